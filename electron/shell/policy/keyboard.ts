/**
 * Keyboard capture: who gets a key while a console has focus.
 *
 * The shell watches every key in `before-input-event`. When no console holds the keyboard, keys go
 * to the app as usual (menus and accelerators work). While a console holds it ("capture"), every key
 * goes to the guest: the shell suppresses menu accelerators for that key
 * (`webContents.setIgnoreMenuShortcuts(true)`), so Ctrl+W, Ctrl+Q, Ctrl+Tab, Ctrl+Shift+Tab, F11,
 * Ctrl+Alt+F1…F12 and, on macOS, Cmd+Q/Cmd+W reach noVNC instead of closing tabs or the app. Alt+F4
 * on Windows/Linux is turned into a cancelled window close by the shell (see `closeGuardFor`).
 * Shortcuts the OS itself grabs before Electron sees them (Ctrl+Alt+Del, Cmd+Tab, VT switching on
 * some Linux desktops) cannot be captured; the Console menu has "Send Ctrl+Alt+Del" for that.
 *
 * **Release combination: Ctrl+Alt+Shift** (Control+Option+Shift on macOS), the three modifiers held
 * together with no other key. It is decided on the key-down of the last of the three, is never passed
 * to the guest, and makes the page give the keyboard back to the app. Guests practically never use
 * that chord alone. Caveat (Windows): AltGr is reported as Ctrl+Alt there, so AltGr then Shift on an
 * AltGr layout also releases; pressing Shift first is not mistaken (the AltGr key-down is ignored).
 */

import { KEYBOARD_RELEASE_LABEL } from '../../../shared/contract';

/** What we read of an Electron `Input`. */
export interface KeyInput {
  type: string;
  key: string;
  code: string;
  control: boolean;
  alt: boolean;
  shift: boolean;
  meta: boolean;
}

/** Where a key goes: the guest (menus suppressed), the app (normal handling), or release the capture. */
export type KeyDecision = 'guest' | 'app' | 'release';

/** The release combination as shown in the toolbar and menu, per platform. */
export function releaseComboLabel(platform: NodeJS.Platform): string {
  return platform === 'darwin' ? KEYBOARD_RELEASE_LABEL.darwin : KEYBOARD_RELEASE_LABEL.default;
}

const MODIFIER_KEYS = new Set(['Control', 'Alt', 'Shift']);

function isReleaseChord(input: KeyInput, platform: NodeJS.Platform): boolean {
  if (input.type !== 'keyDown' || input.meta || !MODIFIER_KEYS.has(input.key)) return false;
  // Why: on Windows AltGr arrives as Ctrl+Alt; its own key-down must not count as the chord.
  if (platform === 'win32' && input.code === 'AltRight') return false;
  // The key being pressed may or may not be reflected in its own flag yet; count it either way.
  const control = input.control || input.key === 'Control';
  const alt = input.alt || input.key === 'Alt';
  const shift = input.shift || input.key === 'Shift';
  return control && alt && shift;
}

/** The decision table for one key event. */
export function decideKey(input: KeyInput, captureActive: boolean, platform: NodeJS.Platform): KeyDecision {
  if (!captureActive) return 'app';
  if (isReleaseChord(input, platform)) return 'release';
  return 'guest';
}

/** How long after an Alt+F4 key-down a window close is treated as that key and cancelled, in ms. */
export const CLOSE_GUARD_MS = 500;

/**
 * When a captured key is one the OS turns into "close window" (Alt+F4 on Windows and Linux window
 * managers), the time until which the shell cancels the window's `close` event; else undefined.
 */
export function closeGuardFor(input: KeyInput, decision: KeyDecision, platform: NodeJS.Platform, nowMs: number): number | undefined {
  if (decision !== 'guest' || platform === 'darwin') return undefined;
  if (input.type === 'keyDown' && input.alt && input.key === 'F4') return nowMs + CLOSE_GUARD_MS;
  return undefined;
}
