import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureLog, getLogger } from '../../../shared/log';
import { createRotatingLog } from './log-file';

const base = mkdtempSync(join(tmpdir(), 'porthole-logs-'));
after(() => rmSync(base, { recursive: true, force: true }));

test('lines are appended with their level, in a private file', () => {
  const dir = join(base, 'a', 'logs');
  const log = createRotatingLog({ dir });
  log.sink('info', 'first');
  log.sink('error', 'second');
  assert.equal(log.path, join(dir, 'porthole.log'));
  assert.equal(readFileSync(log.path, 'utf8'), 'INFO first\nERROR second\n');
  if (process.platform !== 'win32') assert.equal(statSync(log.path).mode & 0o777, 0o600);
});

test('the file rotates before it would pass the size limit, keeping the newest N generations', () => {
  const dir = join(base, 'b');
  const log = createRotatingLog({ dir, maxBytes: 100, keep: 3 });
  // Each line is "INFO line-NN xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n" = 44 bytes: two fit in 100, the third rotates.
  for (let i = 0; i < 20; i++) log.sink('info', `line-${String(i).padStart(2, '0')} ${'x'.repeat(30)}`);
  assert.deepEqual(readdirSync(dir).sort(), ['porthole.log', 'porthole.log.1', 'porthole.log.2', 'porthole.log.3']);
  const lines = (name: string) => readFileSync(join(dir, name), 'utf8').trim().split('\n').map((l) => l.split(' ')[1]);
  assert.deepEqual(lines('porthole.log'), ['line-18', 'line-19']);
  assert.deepEqual(lines('porthole.log.1'), ['line-16', 'line-17']);
  assert.deepEqual(lines('porthole.log.2'), ['line-14', 'line-15']);
  assert.deepEqual(lines('porthole.log.3'), ['line-12', 'line-13']);
  for (const name of readdirSync(dir)) assert.ok(statSync(join(dir, name)).size <= 100, name);
});

test('reopening continues the existing file and counts its size', () => {
  const dir = join(base, 'c');
  createRotatingLog({ dir, maxBytes: 60 }).sink('info', 'x'.repeat(40));
  const again = createRotatingLog({ dir, maxBytes: 60 });
  again.sink('info', 'y'.repeat(40));
  assert.equal(readFileSync(join(dir, 'porthole.log.1'), 'utf8'), `INFO ${'x'.repeat(40)}\n`);
  assert.equal(readFileSync(join(dir, 'porthole.log'), 'utf8'), `INFO ${'y'.repeat(40)}\n`);
});

test('a single line longer than the limit is still written (never dropped silently)', () => {
  const dir = join(base, 'd');
  const log = createRotatingLog({ dir, maxBytes: 10 });
  log.sink('warn', 'a long line');
  assert.equal(readFileSync(join(dir, 'porthole.log'), 'utf8'), 'WARN a long line\n');
});

test('as the process log sink, session refs are redacted before they reach the file', () => {
  const dir = join(base, 'e');
  const log = createRotatingLog({ dir });
  configureLog(log.sink, 'info');
  getLogger('test').info('login ok', { session: 'OpaqueRef:8a1f2b3c-1111-2222-3333-444455556666' });
  configureLog(() => undefined, 'silent');
  const text = readFileSync(log.path, 'utf8');
  assert.match(text, /\[test\] login ok/);
  assert.doesNotMatch(text, /8a1f2b3c/);
});

test('an unwritable folder does not throw from the sink', () => {
  const dir = join(base, 'f');
  const log = createRotatingLog({ dir });
  rmSync(dir, { recursive: true, force: true });
  assert.doesNotThrow(() => log.sink('error', 'lost'));
});
