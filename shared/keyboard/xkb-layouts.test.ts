// The generated layout tables match the machine's xkb-data, keysymdef.h and Compose file, and the
// XKB reader resolves includes and level merging the way xkbcomp does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { generateDeadKeys, generateKeysyms, generateLayouts, X11_PATHS } from '../../build/gen-keyboard-layouts';
import { readFileSync } from 'node:fs';
import { DEAD_KEYS, KEYSYMS, XKB_LAYOUTS } from './xkb-layouts.generated';
import { resolveLayout } from './xkb-symbols';

/** Skip reason when a data file is missing (fails under CI, which installs them: .ci/run). */
function need(path: string): false | string {
  if (existsSync(path)) return false;
  if (process.env.CI === 'true') throw new Error(`${path} is missing on CI (.ci/run installs it)`);
  return `needs ${path}`;
}

test('the generated layouts equal what xkb-data says today', { skip: need(X11_PATHS.symbols) }, () => {
  assert.deepEqual(generateLayouts(X11_PATHS.symbols), XKB_LAYOUTS);
});

test('the generated keysyms and dead keys equal keysymdef.h and Compose', { skip: need(X11_PATHS.keysymdef) || need(X11_PATHS.compose) }, () => {
  const keysymdef = readFileSync(X11_PATHS.keysymdef, 'utf8');
  assert.deepEqual(generateKeysyms(XKB_LAYOUTS, keysymdef), KEYSYMS);
  assert.deepEqual(generateDeadKeys(XKB_LAYOUTS, keysymdef, readFileSync(X11_PATHS.compose, 'utf8')), DEAD_KEYS);
});

test('spot checks against the German layout as xkb-data writes it', () => {
  const de = XKB_LAYOUTS.de!;
  assert.equal(de.name, 'German');
  assert.equal(de.altgr, true);
  assert.deepEqual(de.keys.AB01, ['y', 'Y', 'guillemotright', 'U203A']);
  assert.deepEqual(de.keys.AD06?.slice(0, 2), ['z', 'Z']);
  assert.deepEqual(de.keys.AD01, ['q', 'Q', 'at', 'Greek_OMEGA'], 'AltGr+Q comes from latin(type4) → latin');
  assert.equal(XKB_LAYOUTS.us!.altgr, false);
  assert.equal(DEAD_KEYS.dead_acute?.e, 'é');
});

test('the reader merges levels like xkbcomp and follows include lists', () => {
  const files: Record<string, string> = {
    base: 'default xkb_symbols "basic" { key <AE01> { [ 1, exclam, onesuperior, exclamdown ] }; name[Group1]="Base"; };',
    top: `default partial xkb_symbols "basic" {
      include "base" // no semicolon after includes in real files
      name[Group1] = "Top";
      key <AE01> { [ NoSymbol, plus ] };
      key <AD01> { type[Group1]="FOUR_LEVEL", symbols[Group1]= [ q, Q, at, NoSymbol ], actions[Group1] = [ NoAction() ] };
      augment key <AE01> { [ x, y, z, w ] };
    };
    xkb_symbols "other" { include "top(basic)+base" };`,
  };
  const top = resolveLayout((f) => files[f], 'top');
  assert.equal(top.name, 'Top');
  assert.deepEqual(top.keys.AE01?.levels, ['1', 'plus', 'onesuperior', 'exclamdown']);
  assert.deepEqual(top.keys.AD01, { levels: ['q', 'Q', 'at', 'NoSymbol'], type: 'FOUR_LEVEL' });
  assert.deepEqual(resolveLayout((f) => files[f], 'top(other)').keys.AE01?.levels, ['1', 'exclam', 'onesuperior', 'exclamdown']);
  assert.throws(() => resolveLayout((f) => files[f], 'missing'), /no XKB symbols file "missing"/);
});
