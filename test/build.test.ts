/**
 * The build gates: `build` (and so `dist` and `start`) type-checks before it bundles, and the
 * bundler refuses to run when an entry point is missing instead of silently leaving a bundle out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

test('build runs the type-check first; dist and start go through build', () => {
  assert.match(scripts.build ?? '', /^npm run typecheck && /);
  assert.match(scripts.typecheck ?? '', /tsc -p tsconfig\.node\.json && tsc -p tsconfig\.web\.json && svelte-check/);
  assert.match(scripts.dist ?? '', /^npm run build && electron-builder/);
  assert.match(scripts.start ?? '', /^npm run build && /);
  assert.match(scripts.test ?? '', /npm run build && /);
});

test('the bundler fails, naming the entry, when an entry point is missing', () => {
  const empty = mkdtempSync(join(tmpdir(), 'porthole-bundle-'));
  try {
    const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(root, 'build', 'bundle.ts')], { cwd: empty, encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /missing entry point\(s\): electron\/shell\/main\.ts, electron\/shell\/preload\.ts, electron\/cli\/porthole\.ts/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
