/**
 * Generates `shared/keyboard/xkb-layouts.generated.ts`, the guest keyboard layouts the "Type text"
 * dialog offers, from the machine's X11 data — never by hand:
 *
 * - xkb-data's `/usr/share/X11/xkb/symbols/<layout>` (resolved with includes by `xkb-symbols.ts`):
 *   what each key of the alphanumeric block types at levels 1–4;
 * - `/usr/include/X11/keysymdef.h`: keysym values and the characters they stand for;
 * - libX11's `/usr/share/X11/locale/en_US.UTF-8/Compose`: what each dead key makes with the next key.
 *
 * Run: `npx tsx build/gen-keyboard-layouts.ts` (writes the file). The test
 * `shared/keyboard/xkb-layouts.test.ts` regenerates the data from the same files and compares.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KEY_POSITIONS } from '../shared/keyboard/key-positions';
import { resolveLayout } from '../shared/keyboard/xkb-symbols';
import { keysymOf, parseComposeDeadKeys, parseKeysymdef, type DeadKeyTable } from '../shared/keyboard/x11-tables';

/** Where the X11 data lives on a Debian system. */
export const X11_PATHS = {
  symbols: '/usr/share/X11/xkb/symbols',
  keysymdef: '/usr/include/X11/keysymdef.h',
  compose: '/usr/share/X11/locale/en_US.UTF-8/Compose',
};

/** The layouts offered, as XKB `layout` or `layout(variant)`. */
export const LAYOUT_IDS = ['us', 'gb', 'de', 'fr', 'es', 'it', 'se', 'ch', 'ch(fr)', 'be', 'pt', 'dk', 'no', 'fi', 'us(intl)'] as const;

/** Dead-key bases above this code point (Greek, Cyrillic…) are left out: the layouts offered are Latin. */
const MAX_BASE_CODEPOINT = 0x250;

/** One layout as generated: its XKB name and, per key position, the keysym names of levels 1–4. */
export interface GeneratedLayout {
  name: string;
  /** Whether AltGr (ISO_Level3_Shift on the right Alt) reaches levels 3 and 4. */
  altgr: boolean;
  keys: Record<string, string[]>;
}

/** How many levels a key's type gives (1–4); xkbcomp's automatic types otherwise. */
function levelCount(type: string | undefined, symbols: number): number {
  if (type === 'ONE_LEVEL') return 1;
  if (type === 'TWO_LEVEL' || type === 'ALPHABETIC' || type === 'KEYPAD') return 2;
  if (type === 'THREE_LEVEL') return 3;
  return Math.min(4, symbols);
}

/** The layouts part of the generated data, from the symbols folder only. */
export function generateLayouts(symbolsDir: string): Record<string, GeneratedLayout> {
  const read = (file: string): string | undefined => {
    try {
      return readFileSync(join(symbolsDir, file), 'utf8');
    } catch {
      return undefined;
    }
  };
  const out: Record<string, GeneratedLayout> = {};
  for (const id of LAYOUT_IDS) {
    const layout = resolveLayout(read, id);
    const keys: Record<string, string[]> = {};
    for (const position of Object.keys(KEY_POSITIONS)) {
      const key = layout.keys[position];
      if (key === undefined) continue;
      const levels = key.levels.slice(0, levelCount(key.type, key.levels.length));
      while (levels.length > 0 && (levels.at(-1) === 'NoSymbol' || levels.at(-1) === '')) levels.pop();
      if (levels.length > 0) keys[position] = levels;
    }
    const altgr = layout.keys.RALT?.levels[0] === 'ISO_Level3_Shift';
    out[id] = { name: layout.name, altgr, keys };
  }
  return out;
}

/** Every keysym name the layouts use. */
function namesUsed(layouts: Record<string, GeneratedLayout>): Set<string> {
  const names = new Set<string>();
  for (const layout of Object.values(layouts)) for (const levels of Object.values(layout.keys)) for (const n of levels) names.add(n);
  return names;
}

/** Keysym name → [keysym, character?] for the names the layouts use (and the Compose bases). */
export function generateKeysyms(layouts: Record<string, GeneratedLayout>, keysymdefText: string): Record<string, [number] | [number, string]> {
  const table = parseKeysymdef(keysymdefText);
  const out: Record<string, [number] | [number, string]> = {};
  for (const name of [...namesUsed(layouts)].sort()) {
    if (name === 'NoSymbol' || name === 'VoidSymbol') continue;
    const info = keysymOf(name, table);
    if (info === undefined) throw new Error(`keysym "${name}" is not in keysymdef.h`);
    out[name] = info.char === undefined ? [info.keysym] : [info.keysym, info.char];
  }
  return out;
}

/** The dead-key table for the dead keys the layouts use, keyed by the typed character after the dead key. */
export function generateDeadKeys(layouts: Record<string, GeneratedLayout>, keysymdefText: string, composeText: string): DeadKeyTable {
  const table = parseKeysymdef(keysymdefText);
  const dead = new Set([...namesUsed(layouts)].filter((n) => n.startsWith('dead_')));
  const raw = parseComposeDeadKeys(composeText, dead);
  const out: DeadKeyTable = {};
  for (const name of [...dead].sort()) {
    const row: Record<string, string> = {};
    for (const [base, result] of Object.entries(raw[name] ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const baseChar = keysymOf(base, table)?.char;
      // Only Latin bases that are characters (a dead key then another dead key is left out).
      if (baseChar !== undefined && (baseChar.codePointAt(0) ?? 0) < MAX_BASE_CODEPOINT) row[baseChar] = result;
    }
    out[name] = row;
  }
  return out;
}

/** The full generated data. */
export interface GeneratedData {
  layouts: Record<string, GeneratedLayout>;
  keysyms: Record<string, [number] | [number, string]>;
  deadKeys: DeadKeyTable;
}

/** Reads the machine's X11 data into the generated form. */
export function generateAll(paths = X11_PATHS): GeneratedData {
  const layouts = generateLayouts(paths.symbols);
  const keysymdef = readFileSync(paths.keysymdef, 'utf8');
  return { layouts, keysyms: generateKeysyms(layouts, keysymdef), deadKeys: generateDeadKeys(layouts, keysymdef, readFileSync(paths.compose, 'utf8')) };
}

/** The TypeScript source of the generated module. */
export function renderSource(data: GeneratedData): string {
  const lines: string[] = [
    '/**',
    ' * GENERATED by build/gen-keyboard-layouts.ts from xkb-data (symbols), keysymdef.h and libX11\'s',
    ' * en_US.UTF-8 Compose file. Do not edit: run `npx tsx build/gen-keyboard-layouts.ts`.',
    ' * `shared/keyboard/xkb-layouts.test.ts` checks it against those files.',
    ' */',
    '',
    '/** One layout: its XKB name, whether AltGr reaches levels 3–4, and per key position the keysym names of levels 1–4. */',
    'export interface GeneratedLayout {',
    '  name: string;',
    '  altgr: boolean;',
    '  keys: Record<string, string[]>;',
    '}',
    '',
    '/** Layout id (`layout` or `layout(variant)`) → layout. */',
    'export const XKB_LAYOUTS: Record<string, GeneratedLayout> = {',
  ];
  for (const [id, layout] of Object.entries(data.layouts)) lines.push(`  ${JSON.stringify(id)}: ${JSON.stringify(layout)},`);
  lines.push('};', '', '/** Keysym name → [keysym value, character typed (absent for dead keys and others)]. */');
  lines.push('export const KEYSYMS: Record<string, [number] | [number, string]> = {');
  for (const [name, info] of Object.entries(data.keysyms)) lines.push(`  ${JSON.stringify(name)}: ${JSON.stringify(info)},`);
  lines.push('};', '', '/** Dead key name → (character typed after it → resulting character), from Compose. */');
  lines.push('export const DEAD_KEYS: Record<string, Record<string, string>> = {');
  for (const [name, row] of Object.entries(data.deadKeys)) lines.push(`  ${JSON.stringify(name)}: ${JSON.stringify(row)},`);
  lines.push('};', '');
  return lines.join('\n');
}

/** The generated module's path. */
export const OUTPUT = join(import.meta.dirname, '..', 'shared', 'keyboard', 'xkb-layouts.generated.ts');

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(OUTPUT, renderSource(generateAll()));
  process.stdout.write(`wrote ${OUTPUT}\n`);
}
