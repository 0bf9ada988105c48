/**
 * The physical keys the text typer presses, by their XKB name (xkb-data's `keycodes/evdev` names a
 * key by its place on the board: `AB01` is row B, first key), and the DOM `KeyboardEvent.code` of the
 * same place — which is what noVNC turns into a scancode (QEMU extended key event).
 *
 * This is a table of positions, not of layouts: what each key types on a given layout comes from
 * xkb-data (`xkb-layouts.generated.ts`). The names follow the W3C UI Events code spec, which names
 * each position after what it types on a US keyboard.
 */

/** XKB key name → DOM code, for the keys that type text (the alphanumeric block). */
export const KEY_POSITIONS: Readonly<Record<string, string>> = {
  TLDE: 'Backquote',
  AE01: 'Digit1', AE02: 'Digit2', AE03: 'Digit3', AE04: 'Digit4', AE05: 'Digit5',
  AE06: 'Digit6', AE07: 'Digit7', AE08: 'Digit8', AE09: 'Digit9', AE10: 'Digit0',
  AE11: 'Minus', AE12: 'Equal',
  AD01: 'KeyQ', AD02: 'KeyW', AD03: 'KeyE', AD04: 'KeyR', AD05: 'KeyT',
  AD06: 'KeyY', AD07: 'KeyU', AD08: 'KeyI', AD09: 'KeyO', AD10: 'KeyP',
  AD11: 'BracketLeft', AD12: 'BracketRight',
  AC01: 'KeyA', AC02: 'KeyS', AC03: 'KeyD', AC04: 'KeyF', AC05: 'KeyG',
  AC06: 'KeyH', AC07: 'KeyJ', AC08: 'KeyK', AC09: 'KeyL',
  AC10: 'Semicolon', AC11: 'Quote', BKSL: 'Backslash',
  LSGT: 'IntlBackslash',
  AB01: 'KeyZ', AB02: 'KeyX', AB03: 'KeyC', AB04: 'KeyV', AB05: 'KeyB',
  AB06: 'KeyN', AB07: 'KeyM', AB08: 'Comma', AB09: 'Period', AB10: 'Slash',
};
