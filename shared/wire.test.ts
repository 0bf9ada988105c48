// The one wire format: envelopes, harness frames both ways, errors that never leak internals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PortholeError } from './errors';
import { encodeEvent, encodeReply, encodeRequest, fromWireError, parseRequestFrame, parseServerFrame, toWireError } from './wire';

test('a request frame round-trips; void arguments leave no arg key', () => {
  assert.equal(encodeRequest(1, 'pool:list', undefined), '{"id":1,"channel":"pool:list"}');
  assert.deepEqual(parseRequestFrame(encodeRequest(7, 'pool:remove', { id: 'p' })), { id: 7, channel: 'pool:remove', arg: { id: 'p' } });
});

test('frames that are no request say why; an unknown channel keeps its id for the error reply', () => {
  assert.equal(parseRequestFrame('{'), 'not JSON');
  assert.equal(parseRequestFrame('[1]'), 'not an object');
  assert.equal(parseRequestFrame('{"id":"1","channel":"pool:list"}'), 'id is not an integer');
  assert.equal(parseRequestFrame('{"id":1.5,"channel":"pool:list"}'), 'id is not an integer');
  assert.deepEqual(parseRequestFrame('{"id":3,"channel":"__proto__"}'), { badId: 3 });
});

test('replies and events as the page reads them', () => {
  assert.deepEqual(parseServerFrame(encodeReply(2, { ok: true, value: undefined })), { kind: 'reply', id: 2, result: { ok: true, value: null } });
  const failed = parseServerFrame(encodeReply(3, { ok: false, error: { code: 'UNKNOWN_POOL', message: 'No such pool.' } }));
  assert.ok(failed?.kind === 'reply' && !failed.result.ok);
  assert.ok(failed.result.error instanceof PortholeError);
  assert.equal(failed.result.error.code, 'UNKNOWN_POOL');
  assert.deepEqual(parseServerFrame(encodeEvent('pool:list', [])), { kind: 'event', channel: 'pool:list', payload: [] });
  for (const bad of ['x', '[]', '{"event":"nope","payload":1}', '{}']) assert.equal(parseServerFrame(bad), undefined, bad);
  const malformed = parseServerFrame('{"id":4,"result":{"ok":false,"error":{"code":"NOPE","message":"x"}}}');
  assert.ok(malformed?.kind === 'reply' && !malformed.result.ok && malformed.result.error.code === 'INTERNAL');
});

test('errors: PortholeErrors (also from another bundle) keep code and message; anything else is INTERNAL', () => {
  assert.deepEqual(toWireError(new PortholeError('CERT_CHANGED', 'changed')), { code: 'CERT_CHANGED', message: 'changed' });
  const foreign = Object.assign(new Error('from another copy'), { name: 'PortholeError', code: 'NO_CONSOLE' });
  assert.deepEqual(toWireError(foreign), { code: 'NO_CONSOLE', message: 'from another copy' });
  for (const other of [new Error('/home/user/secret'), 'text', { code: 'CERT_CHANGED', message: 'forged' }, Object.assign(new Error('x'), { name: 'PortholeError', code: 'BOGUS' })]) {
    assert.deepEqual(toWireError(other), { code: 'INTERNAL', message: 'Something went wrong inside Porthole.' });
  }
  assert.equal(fromWireError({ code: 'NOPE' }).code, 'INTERNAL');
});
