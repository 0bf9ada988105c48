import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSE_GUARD_MS, closeGuardFor, decideKey, releaseComboLabel } from './keyboard';
import type { KeyInput } from './keyboard';

function key(spec: string, type = 'keyDown'): KeyInput {
  // "Ctrl+Alt+F1" → modifiers + key; the key's code is a plausible one for the tests that need it.
  const parts = spec.split('+');
  const k = parts.pop()!;
  const mods = new Set(parts);
  const named: Record<string, string> = { Ctrl: 'Control', Control: 'Control', Alt: 'Alt', Shift: 'Shift', Meta: 'Meta' };
  const keyName = named[k] ?? k;
  return {
    type,
    key: keyName,
    code: keyName.length === 1 ? `Key${keyName.toUpperCase()}` : keyName === 'Control' ? 'ControlLeft' : keyName === 'Alt' ? 'AltLeft' : keyName,
    control: mods.has('Ctrl'),
    alt: mods.has('Alt'),
    shift: mods.has('Shift'),
    meta: mods.has('Meta'),
  };
}

const PLATFORMS: NodeJS.Platform[] = ['linux', 'win32', 'darwin'];
const OS_COMBOS = ['Ctrl+w', 'Ctrl+q', 'Alt+F4', 'Ctrl+Tab', 'Ctrl+Shift+Tab', 'F11', 'Ctrl+Alt+F1', 'Ctrl+Alt+F12', 'Meta+q', 'Meta+w', 'Ctrl+Alt+Delete', 'a', 'Alt'];

test('without capture every key goes to the app (menus work)', () => {
  for (const platform of PLATFORMS) for (const combo of [...OS_COMBOS, 'Ctrl+Alt+Shift']) assert.equal(decideKey(key(combo), false, platform), 'app', `${platform} ${combo}`);
});

test('with capture the combos the OS or Electron would take go to the guest', () => {
  for (const platform of PLATFORMS) {
    for (const combo of OS_COMBOS) {
      assert.equal(decideKey(key(combo), true, platform), 'guest', `${platform} ${combo}`);
      assert.equal(decideKey(key(combo, 'keyUp'), true, platform), 'guest', `${platform} ${combo} up`);
    }
  }
});

test('Ctrl+Alt+Shift releases, whichever modifier comes last, and whether or not its own flag is set', () => {
  for (const platform of PLATFORMS) {
    assert.equal(decideKey(key('Ctrl+Alt+Shift'), true, platform), 'release');
    assert.equal(decideKey(key('Ctrl+Shift+Alt'), true, platform), 'release');
    assert.equal(decideKey(key('Alt+Shift+Ctrl'), true, platform), 'release');
    assert.equal(decideKey(key('Ctrl+Alt+Shift+Shift'), true, platform), 'release');
  }
});

test('near misses of the release chord go to the guest', () => {
  for (const platform of PLATFORMS) {
    assert.equal(decideKey(key('Ctrl+Alt+Shift+x'), true, platform), 'guest', 'a fourth, non-modifier key');
    assert.equal(decideKey(key('Ctrl+Alt+Shift', 'keyUp'), true, platform), 'guest', 'key-up');
    assert.equal(decideKey(key('Ctrl+Alt'), true, platform), 'guest', 'two modifiers');
    assert.equal(decideKey(key('Meta+Ctrl+Alt+Shift'), true, platform), 'guest', 'with Meta');
  }
});

test('on Windows the AltGr key-down (reported as Ctrl+Alt) is not the chord', () => {
  const altGr: KeyInput = { type: 'keyDown', key: 'Alt', code: 'AltRight', control: true, alt: true, shift: true, meta: false };
  assert.equal(decideKey(altGr, true, 'win32'), 'guest');
  assert.equal(decideKey(altGr, true, 'linux'), 'release');
});

test('the release label names the keys per platform', () => {
  assert.equal(releaseComboLabel('linux'), 'Ctrl+Alt+Shift');
  assert.equal(releaseComboLabel('win32'), 'Ctrl+Alt+Shift');
  assert.equal(releaseComboLabel('darwin'), 'Control+Option+Shift');
});

test('a captured Alt+F4 guards the window close for a short time (not on macOS, not without capture)', () => {
  assert.equal(closeGuardFor(key('Alt+F4'), 'guest', 'win32', 1000), 1000 + CLOSE_GUARD_MS);
  assert.equal(closeGuardFor(key('Alt+F4'), 'guest', 'linux', 1000), 1000 + CLOSE_GUARD_MS);
  assert.equal(closeGuardFor(key('Alt+F4'), 'guest', 'darwin', 1000), undefined);
  assert.equal(closeGuardFor(key('Alt+F4'), 'app', 'win32', 1000), undefined);
  assert.equal(closeGuardFor(key('Ctrl+w'), 'guest', 'win32', 1000), undefined);
  assert.equal(closeGuardFor(key('Alt+F4', 'keyUp'), 'guest', 'win32', 1000), undefined);
});
