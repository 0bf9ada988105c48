import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configureLog, getLogger, parseLogLevel, redact } from './log';

test('redact masks opaque refs such as session ids', () => {
  assert.equal(redact('session OpaqueRef:0123abcd-1111-2222-3333-444455556666 ok'), 'session OpaqueRef:… ok');
});

test('logger drops lines below the configured level', () => {
  const lines: string[] = [];
  configureLog((_lvl, line) => lines.push(line), 'warn');
  const log = getLogger('t');
  log.info('hidden');
  log.warn('shown', { n: 1 });
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? '', /\[t\] shown \{"n":1\}$/);
  assert.equal(parseLogLevel('debug', 'warn'), 'debug');
  assert.equal(parseLogLevel('nope', 'warn'), 'warn');
});
