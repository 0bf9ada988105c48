/**
 * A reader for XKB symbols files (xkb-data's `/usr/share/X11/xkb/symbols/<layout>`), enough to
 * resolve one layout variant into "key name → keysym names by shift level" for Group 1.
 *
 * How it works: comments are stripped, the file is cut into `xkb_symbols "variant" { … }` sections
 * (the one flagged `default` answers a bare layout name), and each section's statements are applied
 * in order: `include "file(variant)"` (also `a+b` lists) resolves recursively, `key <NAME> { … }`
 * merges its Group 1 symbols level by level the way xkbcomp does (a later NoSymbol keeps the earlier
 * symbol), `name[Group1]` names the layout. Everything else (modifier maps, actions, other groups)
 * is ignored: the typing planner only needs which keysym each key gives at levels 1–4.
 *
 * Pure: the caller passes a function that reads a symbols file by name, so this runs in the
 * generator script, in tests, and nowhere near the renderer at run time.
 */

/** One resolved key: its Group 1 keysym names by level (index 0 = level 1), and its type if given. */
export interface XkbKey {
  levels: string[];
  type?: string;
}

/** A resolved layout variant. */
export interface XkbLayout {
  /** `name[Group1]` as the file says it (e.g. "German"). */
  name: string;
  /** Key name (without angle brackets, e.g. `AB01`) → its symbols. */
  keys: Record<string, XkbKey>;
}

/** Reads a symbols file by its name (`de`, `latin`, `level3`); undefined when there is none. */
export type SymbolsReader = (file: string) => string | undefined;

interface Section {
  name: string;
  isDefault: boolean;
  body: string;
}

/** Removes `//` and `/* *\/` comments. Strings in symbols files never contain these. */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
}

/** Index just after the brace matching the `{` at `open`. */
function matchBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i + 1;
  }
  throw new Error('unbalanced braces in an XKB symbols file');
}

/** The `xkb_symbols` sections of a file. */
function sections(text: string): Section[] {
  const clean = stripComments(text);
  const out: Section[] = [];
  const re = /((?:[a-z_]+\s+)*)xkb_symbols\s+"([^"]+)"\s*\{/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(clean)) !== null) {
    const open = m.index + m[0].length - 1;
    const end = matchBrace(clean, open);
    out.push({ name: m[2] ?? '', isDefault: /\bdefault\b/.test(m[1] ?? ''), body: clean.slice(open + 1, end - 1) });
    re.lastIndex = end;
  }
  return out;
}

/** Splits a section body into statements at `;` outside braces. */
function statements(body: string): string[] {
  // Includes need no `;` after them in practice: end each one explicitly.
  body = body.replace(/\b(include|augment|override|replace)(\s+"[^"]*")/g, '$1$2;');
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ';' && depth === 0) {
      out.push(body.slice(start, i).trim());
      start = i + 1;
    }
  }
  const rest = body.slice(start).trim();
  if (rest !== '') out.push(rest);
  return out.filter((s) => s !== '');
}

/** The Group 1 symbols and type of a `key <X> { … }` body. */
function keyBody(body: string): XkbKey | undefined {
  const type = /type(?:\[\s*group1\s*\])?\s*=\s*"([^"]+)"/i.exec(body)?.[1];
  let list = /symbols\[\s*group1\s*\]\s*=\s*\[([^\]]*)\]/i.exec(body)?.[1];
  if (list === undefined) {
    // A bare `[ … ]` is Group 1, once the bracketed qualifiers and other groups' lists are gone.
    const bare = body
      .replace(/\w+\[\s*\w+\s*\]\s*=\s*\[[^\]]*\]/g, ' ')
      .replace(/\w+\[\s*\w+\s*\]/g, ' ');
    list = /\[([^\]]*)\]/.exec(bare)?.[1];
  }
  if (list === undefined) return undefined;
  const levels = list.split(',').map((s) => s.trim());
  return type === undefined ? { levels } : { levels, type };
}

/** Merges a key definition into the map the way xkbcomp does for override/augment/replace. */
function mergeKey(keys: Record<string, XkbKey>, name: string, next: XkbKey, mode: 'override' | 'augment' | 'replace'): void {
  const prev = keys[name];
  if (prev === undefined || mode === 'replace') {
    keys[name] = { ...next, levels: [...next.levels] };
    return;
  }
  const width = Math.max(prev.levels.length, next.levels.length);
  const levels: string[] = [];
  for (let i = 0; i < width; i++) {
    const a = prev.levels[i];
    const b = next.levels[i];
    const bSet = b !== undefined && b !== '' && b !== 'NoSymbol';
    const aSet = a !== undefined && a !== '' && a !== 'NoSymbol';
    levels.push(mode === 'override' ? (bSet ? b : (a ?? 'NoSymbol')) : aSet ? a : (b ?? 'NoSymbol'));
  }
  const type = mode === 'override' ? (next.type ?? prev.type) : (prev.type ?? next.type);
  keys[name] = type === undefined ? { levels } : { levels, type };
}

/** Resolves `layout` (e.g. `de`, `ch(fr)`) from the symbols files `read` returns. */
export function resolveLayout(read: SymbolsReader, layout: string): XkbLayout {
  const result: XkbLayout = { name: '', keys: {} };
  apply(read, layout, result, 'override', 0);
  return result;
}

/** Splits `file(variant)` into its parts. */
function parseRef(ref: string): { file: string; variant: string | undefined } {
  const m = /^([\w-]+)(?:\(([\w-]+)\))?$/.exec(ref.trim());
  if (m === null) throw new Error(`cannot read the XKB include "${ref}"`);
  return { file: m[1] ?? '', variant: m[2] };
}

/** Applies one `file(variant)` to `into`. */
function apply(read: SymbolsReader, ref: string, into: XkbLayout, mode: 'override' | 'augment' | 'replace', depth: number): void {
  if (depth > 20) throw new Error(`XKB includes nest too deep at "${ref}"`);
  const { file, variant } = parseRef(ref);
  const text = read(file);
  if (text === undefined) throw new Error(`no XKB symbols file "${file}"`);
  const all = sections(text);
  const section = variant === undefined ? (all.find((s) => s.isDefault) ?? all[0]) : all.find((s) => s.name === variant);
  if (section === undefined) throw new Error(`no variant "${variant ?? 'default'}" in XKB symbols file "${file}"`);
  for (const statement of statements(section.body)) {
    const include = /^(include|augment|override|replace)\s+"([^"]+)"$/.exec(statement);
    if (include !== null) {
      const how = include[1] === 'include' ? mode : (include[1] as 'override' | 'augment' | 'replace');
      // "a(x)+b(y)" overrides in order; "a|b" augments.
      for (const part of (include[2] ?? '').split(/(?=[+|])/)) {
        const partMode = part.startsWith('|') ? 'augment' : how;
        apply(read, part.replace(/^[+|]/, ''), into, partMode, depth + 1);
      }
      continue;
    }
    const key = /^(?:(override|augment|replace)\s+)?key\s+<([\w+-]+)>\s*\{([\s\S]*)\}$/.exec(statement);
    if (key !== null) {
      const parsed = keyBody(key[3] ?? '');
      if (parsed !== undefined) mergeKey(into.keys, key[2] ?? '', parsed, (key[1] as 'override' | 'augment' | 'replace' | undefined) ?? mode);
      continue;
    }
    const name = /^name\[\s*group1\s*\]\s*=\s*"([^"]*)"$/i.exec(statement);
    if (name !== null && (mode === 'override' || into.name === '')) into.name = name[1] ?? '';
  }
}
