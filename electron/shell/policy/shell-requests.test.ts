import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PortholeError } from '../../../shared/errors';
import { parseCaptureArg, parsePopoutArg } from './shell-requests';

const UUID = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';

function invalid(f: () => unknown): void {
  assert.throws(f, (e: unknown) => e instanceof PortholeError && e.code === 'INVALID_ARGUMENT');
}

test('console:capture takes exactly { active: boolean }', () => {
  assert.deepEqual(parseCaptureArg({ active: true }), { active: true });
  assert.deepEqual(parseCaptureArg({ active: false }), { active: false });
  for (const bad of [undefined, null, true, [], {}, { active: 'yes' }, { active: 1 }, { active: true, x: 1 }]) invalid(() => parseCaptureArg(bad));
});

test('console:popout takes a token pool id and a VM UUID', () => {
  assert.deepEqual(parsePopoutArg({ poolId: 'pool-1', vmUuid: UUID }), { poolId: 'pool-1', vmUuid: UUID });
  const bad: unknown[] = [
    {},
    { poolId: 'p', vmUuid: 'not-a-uuid' },
    { poolId: '', vmUuid: UUID },
    { poolId: 'a/b', vmUuid: UUID },
    { poolId: 'p#x', vmUuid: UUID },
    { poolId: 'x'.repeat(129), vmUuid: UUID },
    { poolId: 7, vmUuid: UUID },
    { poolId: 'p', vmUuid: UUID, extra: true },
  ];
  for (const arg of bad) invalid(() => parsePopoutArg(arg));
});
