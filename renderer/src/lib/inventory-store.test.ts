import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InventoryNode, VmNode } from '../../../shared/inventory';
import { InventoryStore } from './inventory-store';

function vm(id: string, name: string): VmNode {
  return {
    kind: 'vm', id: `p1/${id}`, poolId: 'p1', ref: id, uuid: `uuid-${id}`, name, description: '',
    powerState: 'Halted', tags: [], allowedActions: ['start'], consoles: [],
  };
}
const pool: InventoryNode = { kind: 'pool', id: 'p1/pool', poolId: 'p1', name: 'Pool' };

test('diffs apply in order on top of a snapshot', () => {
  const store = new InventoryStore();
  store.beginSync();
  assert.equal(store.applySnapshot({ version: 5, nodes: [pool, vm('a', 'A')] }), 'applied');
  assert.equal(store.offerDiff({ from: 5, to: 6, upserts: [vm('b', 'B')], removes: [] }), 'applied');
  assert.equal(store.offerDiff({ from: 6, to: 7, upserts: [{ ...vm('a', 'A2') }], removes: ['p1/b'] }), 'applied');
  assert.equal(store.version, 7);
  assert.deepEqual([...store.nodes.keys()].sort(), ['p1/a', 'p1/pool']);
  assert.equal((store.nodes.get('p1/a') as VmNode).name, 'A2');
});

test('a diff that skips a version is a gap and changes nothing; an old one is ignored', () => {
  const store = new InventoryStore();
  store.beginSync();
  store.applySnapshot({ version: 10, nodes: [pool] });
  assert.equal(store.offerDiff({ from: 11, to: 12, upserts: [vm('x', 'X')], removes: [] }), 'gap');
  assert.equal(store.version, 10);
  assert.equal(store.nodes.has('p1/x'), false);
  assert.equal(store.offerDiff({ from: 9, to: 10, upserts: [vm('y', 'Y')], removes: [] }), 'ignored');
  assert.equal(store.nodes.has('p1/y'), false);
});

test('diffs during a resync are buffered and replayed after the snapshot', () => {
  const store = new InventoryStore();
  store.beginSync();
  assert.equal(store.offerDiff({ from: 3, to: 4, upserts: [vm('old', 'Old')], removes: [] }), 'buffered');
  assert.equal(store.offerDiff({ from: 4, to: 5, upserts: [vm('new', 'New')], removes: [] }), 'buffered');
  assert.equal(store.syncing, true);
  // The snapshot already includes version 4; only 4→5 must apply.
  assert.equal(store.applySnapshot({ version: 4, nodes: [pool] }), 'applied');
  assert.equal(store.syncing, false);
  assert.equal(store.version, 5);
  assert.equal(store.nodes.has('p1/new'), true);
  assert.equal(store.nodes.has('p1/old'), false);
});

test('a buffered diff that does not continue from the snapshot reports a gap', () => {
  const store = new InventoryStore();
  store.beginSync();
  store.offerDiff({ from: 8, to: 9, upserts: [], removes: [] });
  assert.equal(store.applySnapshot({ version: 6, nodes: [pool] }), 'gap');
  assert.equal(store.version, 6);
});
