import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PoolSummary } from '../../../shared/contract';
import type { HostNode, InventoryNode, VmNode } from '../../../shared/inventory';
import { flattenTree, groupInventory } from './tree-model';
import { treeKeyAction, typeaheadIndex } from './tree-keys';

const pool: PoolSummary = { id: 'p', name: 'Pool', address: 'a', username: 'u', password: 'none', state: { kind: 'connected', master: 'a' }, demo: false };
const h: HostNode = { kind: 'host', id: 'p/h', poolId: 'p', ref: 'h', uuid: 'hu', name: 'host', address: '1.2.3.4', enabled: true };
function vm(ref: string, name: string, onHost: boolean): VmNode {
  const v: VmNode = { kind: 'vm', id: `p/${ref}`, poolId: 'p', ref, uuid: ref, name, description: '', powerState: onHost ? 'Running' : 'Halted', tags: [], allowedActions: [], consoles: [] };
  if (onHost) v.hostId = 'p/h';
  return v;
}
const nodes: InventoryNode[] = [h, vm('1', 'alpha', true), vm('2', 'beta', true), vm('3', 'apple', false)];
const expanded = flattenTree(groupInventory([pool], nodes), new Set(), '');
// Pool, host, alpha, beta, apple

test('up/down/home/end/page move focus within bounds', () => {
  assert.deepEqual(treeKeyAction('ArrowDown', expanded, 0, 10), { kind: 'focus', index: 1 });
  assert.deepEqual(treeKeyAction('ArrowDown', expanded, 4, 10), { kind: 'focus', index: 4 });
  assert.deepEqual(treeKeyAction('ArrowUp', expanded, 0, 10), { kind: 'focus', index: 0 });
  assert.deepEqual(treeKeyAction('End', expanded, 0, 10), { kind: 'focus', index: 4 });
  assert.deepEqual(treeKeyAction('Home', expanded, 3, 10), { kind: 'focus', index: 0 });
  assert.deepEqual(treeKeyAction('PageDown', expanded, 0, 2), { kind: 'focus', index: 2 });
});

test('right opens or enters, left closes or goes to the parent', () => {
  assert.deepEqual(treeKeyAction('ArrowRight', expanded, 1, 10), { kind: 'focus', index: 2 });
  assert.deepEqual(treeKeyAction('ArrowLeft', expanded, 1, 10), { kind: 'collapse', id: 'p/h' });
  assert.deepEqual(treeKeyAction('ArrowLeft', expanded, 3, 10), { kind: 'focus', index: 1 });
  assert.deepEqual(treeKeyAction('ArrowLeft', expanded, 0, 10), { kind: 'collapse', id: 'p' });
  assert.deepEqual(treeKeyAction('ArrowRight', expanded, 2, 10), { kind: 'none' });
  const closed = flattenTree(groupInventory([pool], nodes), new Set(['p/h']), '');
  assert.deepEqual(treeKeyAction('ArrowRight', closed, 1, 10), { kind: 'expand', ids: ['p/h'] });
  assert.deepEqual(treeKeyAction('*', closed, 2, 10), { kind: 'expand', ids: ['p/h'] });
  assert.deepEqual(treeKeyAction('Enter', closed, 2, 10), { kind: 'activate', index: 2 });
  assert.deepEqual(treeKeyAction('a', closed, 2, 10), { kind: 'typeahead', char: 'a' });
});

test('type-ahead finds the next match, wraps, and cycles on a repeated letter', () => {
  assert.equal(typeaheadIndex(expanded, 0, 'a'), 2);
  assert.equal(typeaheadIndex(expanded, 2, 'a'), 4);
  assert.equal(typeaheadIndex(expanded, 4, 'a'), 2);
  assert.equal(typeaheadIndex(expanded, 2, 'aa'), 4);
  assert.equal(typeaheadIndex(expanded, 2, 'ap'), 4);
  assert.equal(typeaheadIndex(expanded, 2, 'al'), 2);
  assert.equal(typeaheadIndex(expanded, 0, 'zz'), -1);
});
