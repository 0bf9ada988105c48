import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_BOUNDS, readWindowState, sanitizeBounds, writeWindowState } from './window-state';
import type { Rect } from './window-state';

const ONE: Rect[] = [{ x: 0, y: 0, width: 1920, height: 1040 }];
const TWO: Rect[] = [...ONE, { x: 1920, y: 0, width: 2560, height: 1400 }];

test('a position on a present display is kept', () => {
  assert.deepEqual(sanitizeBounds({ x: 100, y: 50, width: 1200, height: 800, maximized: false }, ONE), { x: 100, y: 50, width: 1200, height: 800, maximized: false });
  assert.deepEqual(sanitizeBounds({ x: 2000, y: 100, width: 1600, height: 1000, maximized: true }, TWO), { x: 2000, y: 100, width: 1600, height: 1000, maximized: true });
});

test('a window left on an unplugged monitor is centred on what remains', () => {
  assert.deepEqual(sanitizeBounds({ x: 2000, y: 100, width: 1600, height: 1000, maximized: false }, ONE), { width: 1600, height: 1000, maximized: false });
});

test('a title bar just off-screen (above, or only a sliver visible) is not kept', () => {
  assert.deepEqual(sanitizeBounds({ x: 100, y: -500, width: 800, height: 600 }, ONE), { width: 800, height: 600, maximized: false });
  assert.deepEqual(sanitizeBounds({ x: 1900, y: 100, width: 800, height: 600 }, ONE), { width: 800, height: 600, maximized: false });
});

test('oversized windows are clamped to the largest work area; tiny or junk sizes fall back', () => {
  assert.deepEqual(sanitizeBounds({ width: 5000, height: 4000 }, ONE), { width: 1920, height: 1040, maximized: false });
  assert.deepEqual(sanitizeBounds({ width: 50, height: 50 }, ONE), { width: 1280, height: 800, maximized: false });
  assert.deepEqual(sanitizeBounds({ width: 'wide', height: Number.NaN, x: Infinity, y: 0 }, ONE), { width: 1280, height: 800, maximized: false });
  assert.deepEqual(sanitizeBounds(null, ONE), DEFAULT_BOUNDS);
  assert.deepEqual(sanitizeBounds('garbage', ONE), DEFAULT_BOUNDS);
  assert.deepEqual(sanitizeBounds({ width: 900, height: 700 }, []), DEFAULT_BOUNDS);
});

const dir = mkdtempSync(join(tmpdir(), 'porthole-winstate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('state round-trips through the file, which is private and written atomically', () => {
  const file = join(dir, 'window-state.json');
  writeWindowState(file, { x: 10, y: 20, width: 900, height: 700 }, true);
  assert.deepEqual(readWindowState(file), { x: 10, y: 20, width: 900, height: 700, maximized: true });
  if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ['window-state.json']);
});

test('a missing or corrupt file reads as nothing', () => {
  assert.equal(readWindowState(join(dir, 'absent.json')), undefined);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"x": 1,');
  assert.equal(readWindowState(bad), undefined);
});
