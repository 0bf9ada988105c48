// The argument guards keyed by channel: what each accepts, what it refuses (INVALID_ARGUMENT).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REQUEST_CHANNELS, type RequestChannel } from './contract';
import { PortholeError } from './errors';
import { REQUEST_GUARDS, checkArg } from './validate';

const UUID = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
const FP = 'AB:'.repeat(31) + 'AB';

function invalid(channel: RequestChannel, arg: unknown): void {
  assert.throws(() => checkArg(channel, arg), (e: unknown) => e instanceof PortholeError && e.code === 'INVALID_ARGUMENT', `${channel} ${JSON.stringify(arg)}`);
}

test('every request channel has a guard', () => {
  assert.deepEqual(Object.keys(REQUEST_GUARDS).sort(), [...REQUEST_CHANNELS].sort());
});

test('accepted arguments come back as they are', () => {
  const good: [RequestChannel, unknown][] = [
    ['app:info', undefined],
    ['pool:add', { name: 'lab', address: 'https://10.0.0.1:443', username: 'root', password: 'pw', remember: false }],
    ['pool:edit', { id: 'p-1', name: 'lab 2' }],
    ['pool:trust', { id: 'p-1', address: '10.0.0.1', fingerprint: FP }],
    ['vm:action', { poolId: 'p-1', vmUuid: UUID, action: 'clean_reboot' }],
    ['console:open', { poolId: 'p-1', vmUuid: UUID, protocol: 'vt100' }],
    ['ui:set', { tabs: [{ poolId: 'p-1', vmUuid: UUID, protocol: 'rfb' }], treeWidth: 280 }],
    ['console:capture', { active: true }],
    ['console:popout', { poolId: 'pool-1', vmUuid: UUID }],
  ];
  for (const [channel, arg] of good) assert.equal(checkArg(channel, arg), arg, channel);
});

test('malformed arguments are INVALID_ARGUMENT', () => {
  invalid('pool:list', 42);
  invalid('pool:add', { name: 'x', address: 'h', username: 'u' });
  invalid('pool:add', { name: 'x\u0000', address: 'h', username: 'u', remember: false });
  invalid('pool:add', { name: 'x', address: 'h', username: 'u', remember: false, password: 'p'.repeat(5000) });
  invalid('pool:trust', { id: 'a', address: 'h', fingerprint: 'zz' });
  invalid('vm:action', { poolId: 'a', vmUuid: 'not-a-uuid', action: 'start' });
  invalid('vm:action', { poolId: 'a', vmUuid: UUID, action: 'destroy' });
  invalid('console:open', { poolId: 'a', vmUuid: UUID, protocol: 'rdp' });
  invalid('ui:set', { tabs: 'no' });
  for (const bad of [undefined, null, true, [], {}, { active: 'yes' }, { active: 1 }, { active: true, x: 1 }]) invalid('console:capture', bad);
  for (const bad of [
    {},
    { poolId: 'p', vmUuid: 'not-a-uuid' },
    { poolId: '', vmUuid: UUID },
    { poolId: 'a/b', vmUuid: UUID },
    { poolId: 'p#x', vmUuid: UUID },
    { poolId: 'x'.repeat(129), vmUuid: UUID },
    { poolId: 7, vmUuid: UUID },
    { poolId: 'p', vmUuid: UUID, extra: true },
  ]) {
    invalid('console:popout', bad);
  }
});
