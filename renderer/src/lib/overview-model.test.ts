// The wall's pure parts: scopes pick the right VMs in tree order, and the arrow keys move in a grid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostNode, InventoryNode, VmNode } from '../../../shared/inventory';
import { gridColumns, gridMove, scopeTitle, wallTiles } from './overview-model';
import { groupInventory } from './tree-model';

const UUID = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function host(n: number): HostNode {
  return { kind: 'host', id: `p/h${n}`, poolId: 'p', ref: `h${n}`, uuid: UUID(100 + n), name: `host-${n}`, address: `10.0.0.${n}`, enabled: true };
}

function vm(n: number, name: string, powerState: VmNode['powerState'], hostN?: number): VmNode {
  return {
    kind: 'vm', id: `p/v${n}`, poolId: 'p', ref: `v${n}`, uuid: UUID(n), name, description: '', powerState,
    ...(hostN === undefined ? {} : { hostId: `p/h${hostN}` }),
    tags: [], allowedActions: [], consoles: powerState === 'Running' ? [{ uuid: UUID(200 + n), protocol: 'rfb' }] : [],
  };
}

const nodes: InventoryNode[] = [
  { kind: 'pool', id: 'p/pool', poolId: 'p', name: 'lab' },
  host(1),
  host(2),
  vm(1, 'web-2', 'Running', 1),
  vm(2, 'web-10', 'Running', 1),
  vm(3, 'db', 'Running', 2),
  vm(4, 'old', 'Halted'),
];
const groups = groupInventory([], nodes);

test('a pool shows its hosts’ VMs in tree order, then its halted ones, with host names', () => {
  const tiles = wallTiles(groups, { kind: 'pool', poolId: 'p' }, '');
  assert.deepEqual(tiles.map((t) => [t.name, t.hostName, t.live]), [
    ['web-2', 'host-1', true],
    ['web-10', 'host-1', true],
    ['db', 'host-2', true],
    ['old', undefined, false],
  ]);
  assert.equal(scopeTitle(groups, { kind: 'pool', poolId: 'p' }, ''), 'Overview of lab');
});

test('a host shows the VMs resident on it; the filter scope shows what the tree filter matches', () => {
  assert.deepEqual(wallTiles(groups, { kind: 'host', hostId: 'p/h2' }, '').map((t) => t.name), ['db']);
  assert.deepEqual(wallTiles(groups, { kind: 'filter' }, 'web').map((t) => t.name), ['web-2', 'web-10']);
  assert.equal(scopeTitle(groups, { kind: 'filter' }, ' web '), 'Overview of “web”');
  assert.equal(wallTiles(groups, { kind: 'filter' }, '').length, 4);
});

test('arrow keys, Home and End move through a grid and stop at its edges', () => {
  // 10 tiles, 4 columns: rows 0-3, 4-7, 8-9.
  assert.equal(gridMove('ArrowRight', 3, 4, 10), 4);
  assert.equal(gridMove('ArrowLeft', 0, 4, 10), 0);
  assert.equal(gridMove('ArrowDown', 5, 4, 10), 9);
  assert.equal(gridMove('ArrowDown', 7, 4, 10), 7, 'no tile below: stay');
  assert.equal(gridMove('ArrowUp', 9, 4, 10), 5);
  assert.equal(gridMove('ArrowUp', 2, 4, 10), 2);
  assert.equal(gridMove('Home', 6, 4, 10), 0);
  assert.equal(gridMove('End', 1, 4, 10), 9);
  assert.equal(gridMove('a', 1, 4, 10), undefined);
  assert.equal(gridColumns(1000, 244, 10), 3);
  assert.equal(gridColumns(100, 244, 10), 1);
});
