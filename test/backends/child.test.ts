// Process and path helpers of the program-based console servers: a child that ignores SIGTERM is
// killed after the grace period, and over-long work directories get a short socket directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SocketDir, spawnChild, stopChild, waitForPath } from './child';

test('stopChild: SIGTERM, then SIGKILL for a child that ignores it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-child-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ready = join(dir, 'ready');
  const script = `process.on('SIGTERM', () => {}); require('fs').writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000);`;
  const child = spawnChild('stubborn', process.execPath, ['-e', script], join(dir, 'log'));
  t.after(() => child.process.kill('SIGKILL'));
  await waitForPath(ready, child, 10_000);
  const started = Date.now();
  await stopChild(child, 200);
  assert.ok(child.hasExited());
  assert.equal(child.process.signalCode, 'SIGKILL');
  assert.ok(Date.now() - started >= 190, 'it got its grace period first');
});

test('waitForPath fails fast, with the log, when the child exits first', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-child-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawnChild('quitter', process.execPath, ['-e', 'console.error("no such display"); process.exit(3)'], join(dir, 'log'));
  await assert.rejects(waitForPath(join(dir, 'never'), child, 10_000), /quitter exited .*no such display/);
});

test('SocketDir: a work directory too long for a unix socket gets a short one, removed after', () => {
  const long = join(tmpdir(), 'x'.repeat(120));
  const sockets = new SocketDir(long);
  assert.ok(sockets.path('vnc.sock').length < 100);
  assert.ok(existsSync(sockets.dir));
  sockets.remove('vnc.sock');
  assert.equal(existsSync(sockets.dir), false);
  const short = new SocketDir(tmpdir());
  assert.equal(short.path('a.sock'), join(tmpdir(), 'a.sock'));
});
