import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyLike } from './shortcuts';
import { tabShortcut, vmShortcut } from './shortcuts';

const k = (key: string, mods: Partial<KeyLike> = {}): KeyLike => ({ key, ctrlKey: true, shiftKey: false, altKey: false, metaKey: false, ...mods });

test('power shortcuts map only to actions the VM allows', () => {
  assert.equal(vmShortcut(k('b'), ['start']), 'start');
  assert.equal(vmShortcut(k('b'), ['resume', 'hard_shutdown']), 'resume');
  assert.equal(vmShortcut(k('b'), ['clean_shutdown']), undefined);
  assert.equal(vmShortcut(k('E', { shiftKey: true }), ['clean_shutdown', 'hard_shutdown']), 'hard_shutdown');
  assert.equal(vmShortcut(k('e'), ['clean_shutdown', 'hard_shutdown']), 'clean_shutdown');
  assert.equal(vmShortcut(k('r', { ctrlKey: false }), ['clean_reboot']), undefined);
  assert.equal(vmShortcut(k('r', { altKey: true }), ['clean_reboot']), undefined);
});

test('tab shortcuts: PageDown/PageUp always, Ctrl+Tab only when the keyboard is not captured', () => {
  assert.equal(tabShortcut(k('PageDown'), true), 'next');
  assert.equal(tabShortcut(k('PageUp'), true), 'previous');
  assert.equal(tabShortcut(k('Tab'), false), 'next');
  assert.equal(tabShortcut(k('Tab', { shiftKey: true }), false), 'previous');
  assert.equal(tabShortcut(k('Tab'), true), undefined);
  assert.equal(tabShortcut(k('PageDown', { ctrlKey: false }), false), undefined);
});
