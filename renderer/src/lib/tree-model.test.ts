import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PoolSummary } from '../../../shared/contract';
import type { HostNode, InventoryNode, PowerState, VmNode } from '../../../shared/inventory';
import { flattenTree, groupInventory } from './tree-model';

function summary(id: string, name: string): PoolSummary {
  return { id, name, address: `${id}.example`, username: 'root', password: 'memory', state: { kind: 'connected', master: 'x' }, demo: false };
}
function host(poolId: string, ref: string, name: string, dom0?: string): HostNode {
  const node: HostNode = { kind: 'host', id: `${poolId}/${ref}`, poolId, ref, uuid: `h-${ref}`, name, address: `10.0.0.${ref.length}`, enabled: true };
  if (dom0 !== undefined) node.controlDomainUuid = dom0;
  return node;
}
function vm(poolId: string, ref: string, name: string, powerState: PowerState, hostRef?: string): VmNode {
  const node: VmNode = {
    kind: 'vm', id: `${poolId}/${ref}`, poolId, ref, uuid: `u-${ref}`, name, description: '', powerState,
    tags: [], allowedActions: [], consoles: [],
  };
  if (hostRef !== undefined) node.hostId = `${poolId}/${hostRef}`;
  return node;
}

const nodes: InventoryNode[] = [
  { kind: 'pool', id: 'p1/pool', poolId: 'p1', name: 'xapi pool name' },
  host('p1', 'h2', 'host 10'),
  host('p1', 'h1', 'host 9', 'dom0-uuid'),
  vm('p1', 'v1', 'web 10', 'Running', 'h1'),
  vm('p1', 'v2', 'web 9', 'Running', 'h1'),
  vm('p1', 'v3', 'db', 'Running', 'h2'),
  vm('p1', 'v4', 'archive', 'Halted'),
  vm('p1', 'v5', 'batch', 'Suspended'),
  { ...vm('p1', 'd0', 'Control domain on host 9', 'Running', 'h1'), uuid: 'dom0-uuid' },
];

test('pools hold hosts (natural order) with resident VMs, then halted/suspended VMs; dom0 is hidden', () => {
  const rows = flattenTree(groupInventory([summary('p1', 'Lab')], nodes), new Set(), '');
  assert.deepEqual(
    rows.map((r) => `${r.level}:${r.name}`),
    ['1:Lab', '2:host 9', '3:web 9', '3:web 10', '2:host 10', '3:db', '2:archive', '2:batch'],
  );
  const lab = rows[0]!;
  assert.equal(lab.setSize, 1);
  assert.equal(lab.expanded, true);
  // Hosts and pool-level VMs are siblings: 4 children of the pool.
  assert.deepEqual(rows.filter((r) => r.level === 2).map((r) => `${r.posInSet}/${r.setSize}`), ['1/4', '2/4', '3/4', '4/4']);
  assert.equal(rows[2]!.parentIndex, 1);
  assert.equal(rows[6]!.parentIndex, 0);
});

test('collapsed rows hide their children; leaf rows are not expandable', () => {
  const groups = groupInventory([summary('p1', 'Lab')], nodes);
  const rows = flattenTree(groups, new Set(['p1/h1']), '');
  assert.deepEqual(rows.map((r) => r.name), ['Lab', 'host 9', 'host 10', 'db', 'archive', 'batch']);
  assert.equal(rows[1]!.expandable, true);
  assert.equal(rows[1]!.expanded, false);
  assert.equal(rows[3]!.expandable, false);
  assert.deepEqual(flattenTree(groups, new Set(['p1']), '').map((r) => r.name), ['Lab']);
});

test('filter keeps matches with their ancestors; a matching host keeps all its VMs', () => {
  const groups = groupInventory([summary('p1', 'Lab'), summary('p2', 'Empty')], nodes);
  assert.deepEqual(flattenTree(groups, new Set(), 'WEB 1').map((r) => r.name), ['Lab', 'host 9', 'web 10']);
  assert.deepEqual(flattenTree(groups, new Set(), 'host 10').map((r) => r.name), ['Lab', 'host 10', 'db']);
  assert.deepEqual(flattenTree(groups, new Set(), 'zzz').map((r) => r.name), []);
  // Without a filter an unconnected pool with no nodes still shows, not expandable.
  const empty = flattenTree(groups, new Set(), '').find((r) => r.name === 'Empty');
  assert.equal(empty?.expandable, false);
});

test('the pool row falls back to the inventory pool name when the summary is not known', () => {
  const rows = flattenTree(groupInventory([], nodes), new Set(), '');
  assert.equal(rows[0]!.name, 'xapi pool name');
  assert.equal(rows[0]!.kind, 'pool');
});

test('10,000 VMs group and flatten: every VM once, in name order, filter matches only its own', () => {
  const many: InventoryNode[] = [host('p1', 'h1', 'host')];
  for (let i = 0; i < 10_000; i++) many.push(vm('p1', `v${i}`, `vm-${i}`, i % 3 === 0 ? 'Halted' : 'Running', i % 3 === 0 ? undefined : 'h1'));
  const groups = groupInventory([summary('p1', 'Big')], many);
  const rows = flattenTree(groups, new Set(), '');
  const filtered = flattenTree(groups, new Set(), 'vm-999');
  assert.equal(rows.length, 10_002);
  // vm-999 and vm-9990..vm-9999 (11 VMs) plus ancestors.
  assert.equal(filtered.filter((r) => r.kind === 'vm').length, 11);
  assert.equal(rows[2]!.name, 'vm-1');
  // Speed is measured by `npm run bench -- ui` (filter keystroke, data → tree), not asserted here.
});
