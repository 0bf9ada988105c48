// Text → key presses on a layout: levels, AltGr, dead keys, unproducible characters, keysym mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keysymForChar, planTyping, type KeyEvent } from './type-plan';

/** The codes pressed down, in order, for a plan's steps. */
function downs(events: KeyEvent[]): string[] {
  return events.filter((e) => e.down).map((e) => e.code);
}

test('us: shifted characters press Shift around the key', () => {
  const plan = planTyping('a@{', 'us', true);
  assert.deepEqual(plan.unproducible, []);
  assert.deepEqual(plan.steps.map((s) => downs(s.events)), [['KeyA'], ['ShiftLeft', 'Digit2'], ['ShiftLeft', 'BracketLeft']]);
  const at = plan.steps[1]!.events;
  assert.deepEqual(at.map((e) => [e.code, e.down]), [['ShiftLeft', true], ['Digit2', true], ['Digit2', false], ['ShiftLeft', false]]);
  assert.equal(at[1]!.keysym, 0x40);
});

test('de: y and z swap, AltGr makes @ € { } | \\ ~, dead acute makes é', () => {
  const plan = planTyping('yz@€{}|\\~äßé', 'de', true);
  assert.deepEqual(plan.unproducible, []);
  assert.deepEqual(plan.steps.map((s) => downs(s.events)), [
    ['KeyZ'],
    ['KeyY'],
    ['AltRight', 'KeyQ'],
    ['AltRight', 'KeyE'],
    ['AltRight', 'Digit7'],
    ['AltRight', 'Digit0'],
    ['AltRight', 'IntlBackslash'],
    ['AltRight', 'Minus'],
    ['AltRight', 'BracketRight'],
    ['Quote'],
    ['Minus'],
    ['Equal', 'KeyE'],
  ]);
});

test('characters a layout cannot make are listed once and skipped with scancodes', () => {
  const plan = planTyping('aäßäé€ñ', 'us', true);
  assert.deepEqual(plan.unproducible, ['ä', 'ß', 'é', '€', 'ñ']);
  assert.equal(plan.steps.length, 1);
  assert.deepEqual(planTyping('ñ', 'de', true).unproducible, ['ñ'], 'German has no dead tilde');
  assert.deepEqual(downs(planTyping('ñ', 'es', true).steps[0]!.events), ['Semicolon'], 'Spanish has ñ on its own key');
});

test('newlines (any convention), tabs and spaces are the fixed keys', () => {
  const plan = planTyping('a\r\nb\nc\t d', 'fr', true);
  assert.deepEqual(plan.steps.map((s) => downs(s.events)), [['KeyQ'], ['Enter'], ['KeyB'], ['Enter'], ['KeyC'], ['Tab'], ['Space'], ['KeyD']]);
});

test('level 4 presses AltGr and Shift; a dead key then space makes the spacing accent', () => {
  assert.deepEqual(downs(planTyping('»', 'de', true).steps[0]!.events), ['AltRight', 'KeyZ']);
  assert.deepEqual(downs(planTyping('›', 'de', true).steps[0]!.events), ['AltRight', 'ShiftLeft', 'KeyZ']);
  assert.deepEqual(downs(planTyping('^', 'de', true).steps[0]!.events), ['Backquote', 'Space']);
});

test('keysym servers get the bare keysym of what the layout cannot make, and of dead-key characters', () => {
  const plan = planTyping('€é', 'us', false);
  assert.deepEqual(plan.unproducible, []);
  assert.deepEqual(plan.steps.map((s) => s.events.map((e) => [e.keysym, e.code, e.down])), [
    [[0x20ac, '', true], [0x20ac, '', false]],
    [[0xe9, '', true], [0xe9, '', false]],
  ]);
  assert.equal(keysymForChar('☃'), 0x1002603);
  assert.throws(() => planTyping('a', 'xx', true), /unknown keyboard layout "xx"/);
});
