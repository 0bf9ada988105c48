/**
 * What typing the issue's sample text must press, per layout, as the tests expect it at the servers:
 * key positions and levels from xkb-data (checked against the symbols files by console-tools'
 * first test), QEMU's qcode for each position, and the keysyms a keysym-only server gets.
 */

/** The characters the issue asks for, with spaces between and a newline. */
export const SAMPLE = 'y z @ € { } | \\ ~ ä ß é ñ\n';

/**
 * What xkb-data says each sample character is, per layout: [key, level, keysym name] strokes
 * (level 2 = Shift, 3 = AltGr); a dead key is a stroke of its own. Absent: not on the layout.
 * Every entry is checked against the symbols files before it is used.
 */
export const XKB_SAYS: Record<string, Record<string, [string, number, string][]>> = {
  us: {
    y: [['AD06', 1, 'y']], z: [['AB01', 1, 'z']], '@': [['AE02', 2, 'at']], '{': [['AD11', 2, 'braceleft']],
    '}': [['AD12', 2, 'braceright']], '|': [['BKSL', 2, 'bar']], '\\': [['BKSL', 1, 'backslash']], '~': [['TLDE', 2, 'asciitilde']],
  },
  de: {
    y: [['AB01', 1, 'y']], z: [['AD06', 1, 'z']], '@': [['AD01', 3, 'at']], '€': [['AD03', 3, 'EuroSign']],
    '{': [['AE07', 3, 'braceleft']], '}': [['AE10', 3, 'braceright']], '|': [['LSGT', 3, 'bar']], '\\': [['AE11', 3, 'backslash']],
    '~': [['AD12', 3, 'asciitilde']], ä: [['AC11', 1, 'adiaeresis']], ß: [['AE11', 1, 'ssharp']],
    é: [['AE12', 1, 'dead_acute'], ['AD03', 1, 'e']],
  },
};

/** QEMU's qcode for each XKB key position used above (QEMU names keys after the US layout). */
export const QCODE: Record<string, string> = {
  AD06: 'y', AB01: 'z', AE02: '2', AD11: 'bracket_left', AD12: 'bracket_right', BKSL: 'backslash', TLDE: 'grave_accent',
  AD01: 'q', AD03: 'e', AE07: '7', AE10: '0', LSGT: 'less', AE11: 'minus', AC11: 'apostrophe', AE12: 'equal',
};

/** The qcodes pressed (down) to type `text` on `layout`, from XKB_SAYS. */
export function expectedQcodes(text: string, layout: string): string[] {
  const out: string[] = [];
  for (const char of Array.from(text)) {
    if (char === ' ') out.push('spc');
    else if (char === '\n') out.push('ret');
    else
      for (const [key, level] of XKB_SAYS[layout]?.[char] ?? []) {
        if (level >= 3) out.push('alt_r');
        if (level === 2 || level === 4) out.push('shift');
        out.push(QCODE[key] ?? `?${key}`);
      }
  }
  return out;
}

/** The sample without the characters a layout lacks. */
export function producible(text: string, layout: string): string {
  return Array.from(text)
    .filter((c) => c === ' ' || c === '\n' || XKB_SAYS[layout]?.[c] !== undefined)
    .join('');
}

/** X keysym names (keysymdef.h) of the sample characters a layout has no key for, sent bare on a keysym-only server. */
const BARE_KEYSYM: Record<string, string> = { '€': 'EuroSign', ä: 'adiaeresis', ß: 'ssharp', é: 'eacute', ñ: 'ntilde' };

/**
 * The keysyms pressed (down) to type `text` on `layout` on a server without key positions: a
 * character on one key with its modifiers (Shift_L for level 2, ISO_Level3_Shift for AltGr), any
 * other (a dead-key route included: the server maps keysyms itself) as its bare keysym.
 */
export function expectedKeysyms(text: string, layout: string): string[] {
  const out: string[] = [];
  for (const char of Array.from(text)) {
    const strokes = XKB_SAYS[layout]?.[char];
    if (char === ' ') out.push('space');
    else if (char === '\n') out.push('Return');
    else if (strokes?.length === 1) {
      const [, level, keysym] = strokes[0]!;
      if (level >= 3) out.push('ISO_Level3_Shift');
      if (level === 2 || level === 4) out.push('Shift_L');
      out.push(keysym);
    } else out.push(BARE_KEYSYM[char] ?? `?${char}`);
  }
  return out;
}
