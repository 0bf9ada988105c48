/**
 * Readers for the two X11 tables the keyboard layout generator needs besides xkb-data's symbols:
 *
 * - `keysymdef.h` (X11 protocol headers): keysym name → keysym value and the Unicode character it
 *   stands for (`#define XK_adiaeresis 0x00e4 /* U+00E4 … *\/`). Names of the form `U20AC` and raw
 *   `0x1001E9E` values are Unicode keysyms and need no table (`keysymOf`).
 * - libX11's `Compose` file for UTF-8 locales: which character a dead key followed by one key makes
 *   (`<dead_acute> <e> : "é" eacute`), i.e. what the guest's input method does with dead keys.
 *
 * Pure: callers pass the file text in.
 */

/** A keysym's value and the character it types (undefined for function keys, dead keys, modifiers). */
export interface KeysymInfo {
  keysym: number;
  char?: string;
}

/** Parses keysymdef.h into name (without `XK_`) → info. */
export function parseKeysymdef(text: string): Map<string, KeysymInfo> {
  const out = new Map<string, KeysymInfo>();
  const re = /^#define XK_(\w+)\s+0x([0-9a-f]+)\s*(?:\/\*\s*(\()?U\+([0-9A-F]{4,6}))?/gim;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const [, name = '', hex = '', approx, unicode] = m;
    const keysym = parseInt(hex, 16);
    // "(U+…)" marks an approximate match: no character is typed for sure.
    const code = unicode !== undefined && approx === undefined ? parseInt(unicode, 16) : keysym >= 0x20 && keysym <= 0xff && keysym !== 0x7f ? keysym : undefined;
    if (!out.has(name)) out.set(name, code === undefined ? { keysym } : { keysym, char: String.fromCodePoint(code) });
  }
  return out;
}

/** The keysym of an xkb symbol name: a keysymdef name, `U20AC`, or a raw `0x…` value. */
export function keysymOf(name: string, table: ReadonlyMap<string, KeysymInfo>): KeysymInfo | undefined {
  const known = table.get(name);
  if (known !== undefined) return known;
  const unicode = /^U([0-9A-Fa-f]{4,6})$/.exec(name);
  if (unicode !== null) {
    const code = parseInt(unicode[1] ?? '', 16);
    return { keysym: 0x1000000 + code, char: String.fromCodePoint(code) };
  }
  const raw = /^0x([0-9A-Fa-f]+)$/.exec(name);
  if (raw !== null) {
    const keysym = parseInt(raw[1] ?? '', 16);
    if (keysym >= 0x1000000) return { keysym, char: String.fromCodePoint(keysym - 0x1000000) };
    return { keysym };
  }
  return undefined;
}

/** Dead key name → (the keysym name of the key pressed after it → the character that results). */
export type DeadKeyTable = Record<string, Record<string, string>>;

/**
 * Reads the two-key `<dead_x> <key> : "c"` sequences of a Compose file for the dead keys in
 * `deadKeys`, keeping only results of one character.
 */
export function parseComposeDeadKeys(text: string, deadKeys: ReadonlySet<string>): DeadKeyTable {
  const out: DeadKeyTable = {};
  const re = /^<(dead_\w+)>\s+<(\w+)>\s*:\s*"((?:[^"\\]|\\.)+)"/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const [, dead = '', base = '', quoted = ''] = m;
    if (!deadKeys.has(dead)) continue;
    const result = quoted.replace(/\\(.)/g, '$1');
    if (Array.from(result).length !== 1) continue;
    const row = (out[dead] ??= {});
    if (row[base] === undefined) row[base] = result;
  }
  return out;
}
