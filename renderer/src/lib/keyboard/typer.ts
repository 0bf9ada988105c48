/**
 * Sends a typing plan (`shared/keyboard/type-plan.ts`) to the console at a steady rate, with
 * progress and Cancel.
 *
 * How it works: one key event every `intervalMs`; a timer wakes up and sends every event that is due
 * by elapsed time (so a late timer catches up instead of slowing the rate), and reports the number of
 * characters done. `cancel()` stops at once and releases every key still held, so no modifier stays
 * down in the guest. The clock and timer are injectable for tests.
 */
import type { CharStep, KeyEvent } from '../../../../shared/keyboard/type-plan';

/**
 * Time between two key events, ms (a character with Shift is four events). QEMU's VNC server holds
 * each key event 10 ms (`kbd_default_delay_ms` in ui/input.c) and queues what comes faster, up to
 * 1,024 entries (`queue_limit`, about 340 key events); beyond that it drops keys. Sending slower
 * than its delay keeps that queue empty; a late timer's catch-up burst fits in it.
 */
export const TYPE_EVENT_INTERVAL_MS = 12;

/** Where the events go (noVNC's sendKey). */
export type KeySink = (event: KeyEvent) => void;

/** The typer's state. */
export type TyperState = 'typing' | 'done' | 'cancelled';

/** Clock and timer (window's by default). */
export interface TyperClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const defaultClock: TyperClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Types one plan; create a new one per text. */
export class KeyTyper {
  state: TyperState = 'typing';
  /** Number of characters in the plan. */
  readonly total: number;
  private readonly events: { event: KeyEvent; charsDone: number }[] = [];
  private next = 0;
  private readonly start: number;
  private timer: unknown;
  private readonly held = new Map<string, KeyEvent>();

  constructor(
    steps: readonly CharStep[],
    private readonly sink: KeySink,
    private readonly onProgress: (done: number, total: number, state: TyperState) => void,
    private readonly intervalMs = TYPE_EVENT_INTERVAL_MS,
    private readonly clock: TyperClock = defaultClock,
  ) {
    steps.forEach((step, i) => step.events.forEach((event, j) => this.events.push({ event, charsDone: j === step.events.length - 1 ? i + 1 : i })));
    this.total = steps.length;
    this.start = clock.now();
    this.tick();
  }

  private tick(): void {
    this.timer = undefined;
    if (this.state !== 'typing') return;
    const due = Math.floor((this.clock.now() - this.start) / this.intervalMs) + 1;
    let done = this.next === 0 ? 0 : (this.events[this.next - 1]?.charsDone ?? 0);
    while (this.next < this.events.length && this.next < due) {
      const item = this.events[this.next++];
      if (item === undefined) break;
      this.send(item.event);
      done = item.charsDone;
    }
    if (this.next >= this.events.length) {
      this.state = 'done';
      this.onProgress(this.total, this.total, 'done');
      return;
    }
    this.onProgress(done, this.total, 'typing');
    this.timer = this.clock.setTimeout(() => this.tick(), this.intervalMs);
  }

  private send(event: KeyEvent): void {
    const id = `${event.code}/${event.keysym}`;
    if (event.down) this.held.set(id, event);
    else this.held.delete(id);
    this.sink(event);
  }

  /** Stops typing and releases every key still down. */
  cancel(): void {
    if (this.state !== 'typing') return;
    this.state = 'cancelled';
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    for (const event of [...this.held.values()].reverse()) this.sink({ ...event, down: false });
    this.held.clear();
    const done = this.next === 0 ? 0 : (this.events[this.next - 1]?.charsDone ?? 0);
    this.onProgress(done, this.total, 'cancelled');
  }
}
