/**
 * Timers that count themselves, so the bridge can report how many it holds (leak tests check that a
 * closed console leaves none behind). Every timer the bridge starts goes through one `TimerSet`.
 */

/** A set of live timeouts and intervals. */
export class TimerSet {
  private readonly live = new Set<NodeJS.Timeout>();

  /** Number of timers not yet fired (timeouts) or cleared. */
  get size(): number {
    return this.live.size;
  }

  /** setTimeout that forgets itself when it fires. */
  timeout(fn: () => void, ms: number): NodeJS.Timeout {
    const handle = setTimeout(() => {
      this.live.delete(handle);
      fn();
    }, ms);
    this.live.add(handle);
    return handle;
  }

  /** setInterval, live until cleared. */
  interval(fn: () => void, ms: number): NodeJS.Timeout {
    const handle = setInterval(fn, ms);
    this.live.add(handle);
    return handle;
  }

  /** Clears a timer from this set (undefined is ignored). */
  clear(handle: NodeJS.Timeout | undefined): void {
    if (handle === undefined) return;
    clearTimeout(handle);
    this.live.delete(handle);
  }

  /** Clears every timer. */
  clearAll(): void {
    for (const handle of this.live) clearTimeout(handle);
    this.live.clear();
  }
}
