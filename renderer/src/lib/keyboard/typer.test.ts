// The typer: steady rate by elapsed time, progress by characters, Cancel releases held keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planTyping, type KeyEvent } from '../../../../shared/keyboard/type-plan';
import { KeyTyper, type TyperClock, type TyperState } from './typer';
import { comboEvents, keyCombos, KEYS, stickyKeys } from './key-combos';

/** A manual clock: `advance(ms)` runs the timers that fall due. */
function manualClock(): TyperClock & { advance(ms: number): void } {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let ids = 0;
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++ids;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout(handle) {
      timers = timers.filter((t) => t.id !== handle);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (due === undefined) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.fn();
      }
      now = end;
    },
  };
}

test('types at one event per interval and reports characters done', () => {
  const clock = manualClock();
  const sent: KeyEvent[] = [];
  const progress: [number, TyperState][] = [];
  const plan = planTyping('aB', 'us', true); // 2 + 4 events
  const typer = new KeyTyper(plan.steps, (e) => sent.push(e), (done, _total, state) => progress.push([done, state]), 10, clock);
  assert.equal(sent.length, 1, 'the first event goes out at once');
  clock.advance(10);
  assert.equal(sent.length, 2);
  assert.deepEqual(progress.at(-1), [1, 'typing']);
  clock.advance(1000);
  assert.equal(sent.length, 6);
  assert.equal(typer.state, 'done');
  assert.deepEqual(progress.at(-1), [2, 'done']);
});

test('a late timer catches up instead of slowing down', () => {
  const clock = manualClock();
  const sent: KeyEvent[] = [];
  const typer = new KeyTyper(planTyping('abcd', 'us', true).steps, (e) => sent.push(e), () => undefined, 10, clock);
  // Nothing ran for 35 ms (a busy page): the next tick sends everything due by then.
  clock.advance(35);
  assert.equal(sent.length, 4);
  assert.equal(typer.state, 'typing');
});

test('Cancel stops and releases the modifier held mid-character', () => {
  const clock = manualClock();
  const sent: KeyEvent[] = [];
  let last: TyperState | undefined;
  const typer = new KeyTyper(planTyping('@@', 'us', true).steps, (e) => sent.push(e), (_d, _t, s) => (last = s), 10, clock);
  clock.advance(10); // Shift down, 2 down
  typer.cancel();
  assert.equal(last, 'cancelled');
  assert.deepEqual(sent.map((e) => [e.code, e.down]), [['ShiftLeft', true], ['Digit2', true], ['Digit2', false], ['ShiftLeft', false]]);
  clock.advance(1000);
  assert.equal(sent.length, 4, 'nothing more after Cancel');
});

test('Keys menu: every combination presses in order and releases in reverse', () => {
  const labels = keyCombos().map((c) => c.label);
  for (const l of ['Ctrl+Alt+Del', 'Ctrl+Alt+Backspace', 'Ctrl+Alt+F1', 'Ctrl+Alt+F12', 'Alt+Tab', 'Alt+F4', 'Win', 'Menu', 'PrintScreen']) assert.ok(labels.includes(l), l);
  assert.ok(labels.some((l) => l.startsWith('Alt+SysRq+B')));
  const f2 = keyCombos().find((c) => c.label === 'Ctrl+Alt+F2');
  assert.deepEqual(comboEvents(f2?.keys ?? []).map((e) => [e.key.code, e.down]), [
    ['ControlLeft', true], ['AltLeft', true], ['F2', true], ['F2', false], ['AltLeft', false], ['ControlLeft', false],
  ]);
  assert.equal(f2?.keys[2]?.keysym, 0xffbf);
  // Sticky Ctrl with Ctrl+Alt+Del presses Ctrl once.
  assert.deepEqual(comboEvents([...stickyKeys(new Set(['ctrl', 'shift'])), KEYS.ctrl, KEYS.alt, KEYS.delete]).filter((e) => e.down).map((e) => e.key.code), ['ControlLeft', 'ShiftLeft', 'AltLeft', 'Delete']);
});
