/**
 * The built bundles (dist/, as `npm run build` leaves them) hold what the app runs and nothing that
 * only tests it: no process launcher (QEMU, Xvnc, x11vnc, X helpers, child-process helpers), no test
 * code, no certificate library, none of proxy-agent's PAC machinery; the Electron main process does not
 * even import node:child_process; and the main bundle stays within its size budget.
 *
 * How it works: each bundle's source map lists every input esbuild put in it; the bundle text is
 * searched for the launchers' program names too (a launcher inlined under another path still names
 * its program).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const MAIN = join(root, 'dist/electron/main.mjs');
const CLI = join(root, 'dist/cli/porthole.mjs');
const PRELOAD = join(root, 'dist/electron/preload.cjs');
/** Budget for the Electron main bundle, bytes. */
const MAIN_BUDGET_BYTES = 1_500_000;

/** Inputs that must never be bundled (path fragments as they appear in source maps). */
const FORBIDDEN_INPUTS: readonly RegExp[] = [
  /(^|\/)test\//,
  /electron\/sim\/vnc\/(qemu|xvnc|rfb33|x11|child)\.ts$/,
  /node_modules\/(selfsigned|@peculiar|asn1js|tsyringe|proxy-agent|pac-proxy-agent|pac-resolver|@tootallnate\/quickjs-emscripten|esprima|escodegen|basic-ftp|socks|socks-proxy-agent|get-uri|degenerator)\//,
];
/** Program names a launcher would carry into the bundle text. */
const FORBIDDEN_TEXT: readonly string[] = ['qemu-system', 'Xvnc', 'x11vnc', 'Xvfb', 'xterm', '-rfbversion', 'screendump'];

const missing = [MAIN, CLI, PRELOAD].filter((f) => !existsSync(f));
const skip = missing.length === 0 ? false : `not built (${missing.map((f) => f.slice(root.length + 1)).join(', ')}): run npm run build first`;
if (skip !== false) {
  if (process.env.CI === 'true') throw new Error(skip);
  process.stderr.write(`SKIP bundle scan: ${skip}\n`);
}

function sourcesOf(bundle: string): string[] {
  const map = JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as { sources: string[] };
  return map.sources;
}

for (const bundle of [MAIN, CLI, PRELOAD]) {
  const name = bundle.slice(root.length + 1);
  test(`${name} bundles no launcher, test code or test-only package`, { skip }, () => {
    const sources = sourcesOf(bundle);
    assert.ok(sources.length > 0, 'the source map lists inputs');
    const bad = sources.filter((s) => FORBIDDEN_INPUTS.some((re) => re.test(s.replace(/^(\.\.\/)+/, ''))));
    assert.deepEqual(bad, []);
    const text = readFileSync(bundle, 'utf8');
    assert.deepEqual(FORBIDDEN_TEXT.filter((t) => text.includes(t)), []);
  });
}

test('the scan sees what it looks for: the test rig itself names the programs', { skip }, () => {
  const rig = ['qemu.ts', 'xvnc.ts', 'rfb33.ts'].map((f) => readFileSync(join(root, 'test/backends', f), 'utf8')).join('\n');
  for (const t of ['qemu-system', 'Xvnc', 'x11vnc', 'Xvfb', 'xterm']) assert.ok(rig.includes(t), `test/backends names ${t}`);
  assert.ok(FORBIDDEN_INPUTS[0]?.test('test/backends/qemu.ts'));
  assert.ok(FORBIDDEN_INPUTS[2]?.test('node_modules/selfsigned/index.js'));
});

test('the main bundle has the demo (simulator core + synthetic VNC), does not spawn, and fits its budget', { skip }, () => {
  const sources = sourcesOf(MAIN).map((s) => s.replace(/^(\.\.\/)+/, ''));
  for (const s of ['electron/demo/provider.ts', 'electron/sim/index.ts', 'electron/sim/vnc/synthetic.ts', 'electron/sim/certificate.ts']) assert.ok(sources.includes(s), `bundles ${s}`);
  assert.ok(sources.includes('stub:proxy-agent'), 'proxy-agent is the stub');
  assert.doesNotMatch(readFileSync(MAIN, 'utf8'), /node:child_process|require\("child_process"\)/);
  const bytes = statSync(MAIN).size;
  assert.ok(bytes <= MAIN_BUDGET_BYTES, `dist/electron/main.mjs is ${bytes} bytes (budget ${MAIN_BUDGET_BYTES})`);
});
