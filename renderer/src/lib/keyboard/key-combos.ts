/**
 * The Keys menu and the sticky modifiers: key combinations the local keyboard cannot send to a guest
 * (the host OS takes Ctrl+Alt+Del, Alt+Tab, Win…), as the keysym + DOM code pairs noVNC sends.
 *
 * A combination is pressed in order and released in reverse. Sticky modifiers (Ctrl, Alt, AltGr,
 * Shift, Win toggled on in the toolbar) wrap the next menu combination or the next key typed on the
 * console, and are then released and cleared (`stickyKeys` gives their key presses; the console's
 * controls, console-controls.svelte.ts, do the wrapping). Type text does not use them.
 * Keysym values are X11's (keysymdef.h).
 */

/** One key as noVNC's `sendKey(keysym, code, down)` takes it. */
export interface Key {
  keysym: number;
  code: string;
}

/** A modifier that can be made sticky. */
export type StickyModifier = 'ctrl' | 'alt' | 'altgr' | 'shift' | 'win';

/** The sticky modifiers in toolbar order, with their labels. */
export const STICKY_MODIFIERS: readonly { id: StickyModifier; label: string }[] = [
  { id: 'ctrl', label: 'Ctrl' },
  { id: 'alt', label: 'Alt' },
  { id: 'altgr', label: 'AltGr' },
  { id: 'shift', label: 'Shift' },
  { id: 'win', label: 'Win' },
];

/** Named keys. */
export const KEYS = {
  ctrl: { keysym: 0xffe3, code: 'ControlLeft' },
  alt: { keysym: 0xffe9, code: 'AltLeft' },
  altgr: { keysym: 0xfe03, code: 'AltRight' },
  shift: { keysym: 0xffe1, code: 'ShiftLeft' },
  win: { keysym: 0xffeb, code: 'MetaLeft' },
  delete: { keysym: 0xffff, code: 'Delete' },
  backspace: { keysym: 0xff08, code: 'Backspace' },
  tab: { keysym: 0xff09, code: 'Tab' },
  menu: { keysym: 0xff67, code: 'ContextMenu' },
  print: { keysym: 0xff61, code: 'PrintScreen' },
  sysrq: { keysym: 0xff15, code: 'PrintScreen' },
} as const satisfies Record<string, Key>;

/** The function key Fn (1–12). */
export function functionKey(n: number): Key {
  return { keysym: 0xffbe + n - 1, code: `F${n}` };
}

/** A letter key by its US position (Magic SysRq commands are keycodes, not characters). */
export function letterKey(letter: string): Key {
  return { keysym: letter.toLowerCase().charCodeAt(0), code: `Key${letter.toUpperCase()}` };
}

/** One entry of the Keys menu. */
export interface Combo {
  label: string;
  keys: Key[];
  /** Asks before sending when the user wants confirmation (Ctrl+Alt+Del). */
  confirm?: boolean;
}

/** Magic SysRq commands offered (Linux guests): letter and what it does. */
export const SYSRQ_COMMANDS: readonly { letter: string; what: string }[] = [
  { letter: 'h', what: 'help' },
  { letter: 's', what: 'sync' },
  { letter: 'u', what: 'remount read-only' },
  { letter: 'e', what: 'terminate all' },
  { letter: 'i', what: 'kill all' },
  { letter: 'b', what: 'reboot' },
];

/** The Keys menu, in order. */
export function keyCombos(): Combo[] {
  const combos: Combo[] = [
    { label: 'Ctrl+Alt+Del', keys: [KEYS.ctrl, KEYS.alt, KEYS.delete], confirm: true },
    { label: 'Ctrl+Alt+Backspace', keys: [KEYS.ctrl, KEYS.alt, KEYS.backspace] },
  ];
  for (let n = 1; n <= 12; n++) combos.push({ label: `Ctrl+Alt+F${n}`, keys: [KEYS.ctrl, KEYS.alt, functionKey(n)] });
  combos.push(
    { label: 'Alt+Tab', keys: [KEYS.alt, KEYS.tab] },
    { label: 'Alt+F4', keys: [KEYS.alt, functionKey(4)] },
    { label: 'Win', keys: [KEYS.win] },
    { label: 'Menu', keys: [KEYS.menu] },
    { label: 'PrintScreen', keys: [KEYS.print] },
  );
  for (const c of SYSRQ_COMMANDS) combos.push({ label: `Alt+SysRq+${c.letter.toUpperCase()} (${c.what})`, keys: [KEYS.alt, KEYS.sysrq, letterKey(c.letter)] });
  return combos;
}

/** The keys of the sticky modifiers that are on, in toolbar order. */
export function stickyKeys(on: ReadonlySet<StickyModifier>): Key[] {
  return STICKY_MODIFIERS.filter((m) => on.has(m.id)).map((m) => KEYS[m.id]);
}

/** Key events for a combination: each key down in order, then up in reverse; duplicates pressed once. */
export function comboEvents(keys: readonly Key[]): { key: Key; down: boolean }[] {
  const unique: Key[] = [];
  for (const k of keys) if (!unique.some((u) => u.code === k.code && u.keysym === k.keysym)) unique.push(k);
  return [...unique.map((key) => ({ key, down: true })), ...[...unique].reverse().map((key) => ({ key, down: false }))];
}
