// The display tree: running VMs under their host, the rest under the pool, sorted, filtered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDiff, buildTree, flattenTree, nodeMatches, stateFromSnapshot, type TreeItem } from './tree';
import type { HostNode, InventoryNode, VmNode } from './inventory';

function vm(poolId: string, ref: string, name: string, hostRef?: string, extra: Partial<VmNode> = {}): VmNode {
  return {
    kind: 'vm', id: `${poolId}/${ref}`, poolId, ref, uuid: `${ref}-uuid`, name, description: '',
    powerState: hostRef === undefined ? 'Halted' : 'Running', tags: [], allowedActions: [], consoles: [],
    ...(hostRef === undefined ? {} : { hostId: `${poolId}/${hostRef}` }), ...extra,
  };
}

const nodes: InventoryNode[] = [
  { kind: 'pool', id: 'B/p', poolId: 'B', name: 'beta pool' },
  { kind: 'pool', id: 'A/p', poolId: 'A', name: 'Alpha pool' },
  { kind: 'host', id: 'A/h2', poolId: 'A', ref: 'h2', uuid: 'h2', name: 'host10', address: '10.0.0.10', enabled: true },
  { kind: 'host', id: 'A/h1', poolId: 'A', ref: 'h1', uuid: 'h1', name: 'host9', address: '10.0.0.9', enabled: true },
  vm('A', 'v1', 'web 10', 'h1'),
  vm('A', 'v2', 'web 9', 'h1', { ip: '192.168.0.7' }),
  vm('A', 'v3', 'archive'),
  vm('A', 'v4', 'orphan', 'gone'),
  vm('B', 'v5', 'db', undefined, { tags: ['Critical'] }),
];

function shape(items: TreeItem[]): unknown[] {
  return items.map((i) => (i.children.length === 0 ? i.node.name : { [i.node.name]: shape(i.children) }));
}

test('pools → hosts → running VMs; others under the pool; natural sort', () => {
  assert.deepEqual(shape(buildTree(nodes)), [
    { 'Alpha pool': [{ host9: ['web 9', 'web 10'] }, 'host10', 'archive', 'orphan'] },
    { 'beta pool': ['db'] },
  ]);
});

test('filter keeps matches with their ancestors; a matching host keeps its subtree', () => {
  assert.deepEqual(shape(buildTree(nodes, 'WEB 9')), [{ 'Alpha pool': [{ host9: ['web 9'] }] }]);
  assert.deepEqual(shape(buildTree(nodes, '192.168')), [{ 'Alpha pool': [{ host9: ['web 9'] }] }]);
  assert.deepEqual(shape(buildTree(nodes, 'critical')), [{ 'beta pool': ['db'] }]);
  assert.deepEqual(shape(buildTree(nodes, 'host9')), [{ 'Alpha pool': [{ host9: ['web 9', 'web 10'] }] }]);
  assert.deepEqual(shape(buildTree(nodes, 'beta')), [{ 'beta pool': ['db'] }]);
  assert.deepEqual(buildTree(nodes, 'nothing-matches'), []);
});

test('applyDiff follows versions and asks for a resync on a gap', () => {
  const state = stateFromSnapshot({ version: 3, nodes });
  assert.equal(applyDiff(state, { from: 4, to: 5, upserts: [], removes: ['A/v1'] }), false);
  assert.equal(state.nodes.size, nodes.length);
  assert.ok(applyDiff(state, { from: 3, to: 4, upserts: [vm('A', 'v3', 'archive', 'h2')], removes: ['A/v1'] }));
  assert.equal(state.version, 4);
  assert.deepEqual(shape(buildTree(state.nodes.values())), [
    { 'Alpha pool': [{ host9: ['web 9'] }, { host10: ['archive'] }, 'orphan'] },
    { 'beta pool': ['db'] },
  ]);
  const flat = flattenTree(buildTree(state.nodes.values()), new Set(['A/h1']));
  assert.deepEqual(flat.slice(0, 4).map((f) => [f.node.name, f.depth]), [['Alpha pool', 0], ['host9', 1], ['host10', 1], ['archive', 2]]);
});

test('nodeMatches: substrings of name, IP, OS or a tag; a VM uuid only whole; never across two fields', () => {
  const vm: VmNode = {
    kind: 'vm', id: 'p/v', poolId: 'p', ref: 'v', uuid: 'AB12-CD34', name: 'Web-01', description: '', powerState: 'Running',
    ip: '10.0.0.7', os: 'Debian 12', tags: ['Prod', 'eu'], allowedActions: [], consoles: [],
  };
  for (const needle of ['web', '0.0.7', 'debian', 'prod', 'ab12-cd34', '']) assert.equal(nodeMatches(vm, needle), true, needle);
  for (const needle of ['ab12', 'web-01\n10', '01\n10.0', 'zzz']) assert.equal(nodeMatches(vm, needle), false, JSON.stringify(needle));
  const host: HostNode = { kind: 'host', id: 'p/h', poolId: 'p', ref: 'h', uuid: 'h-uuid', name: 'xcp-01', address: '10.0.0.2', enabled: true };
  assert.equal(nodeMatches(host, '10.0.0.2'), true);
  assert.equal(nodeMatches(host, 'h-uuid'), false, 'a host uuid is not matched');
});
