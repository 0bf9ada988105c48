import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PoolSummary } from '../../../shared/contract';
import type { HostNode, InventoryNode, PoolNode, PowerState, VmNode } from '../../../shared/inventory';
import { searchKey } from '../../../shared/tree';
import { InventoryStore, REGROUP_CHANGES } from './inventory-store';
import { TreeIndex } from './tree-index';
import { flattenTree } from './tree-model';

function summary(id: string): PoolSummary {
  return { id, name: `Pool ${id}`, address: `${id}.example`, username: 'root', password: 'memory', state: { kind: 'connected', master: 'x' }, demo: false };
}

/** Everything the index answers, as plain data (ids in list order). */
const POOLS = ['a', 'b'];

function view(index: TreeIndex, pools: readonly PoolSummary[]): unknown {
  return {
    groups: index.groups(pools).map((g) => ({
      poolId: g.poolId,
      name: g.name,
      node: g.node?.id,
      hosts: g.hosts.map((h) => ({ id: h.node.id, name: h.node.name, vms: h.vms.map((v) => v.id), keys: h.vmKeys.length === 0 || (h.vmKeys.length === h.vms.length && h.vmKeys.every((k, i) => k === searchKey(h.vms[i]!))) })),
      standalone: g.standalone.map((v) => v.id),
      standaloneKeys: g.standaloneKeys.length === 0 || (g.standaloneKeys.length === g.standalone.length && g.standaloneKeys.every((k, i) => k === searchKey(g.standalone[i]!))),
    })),
    vms: [...index.vms].map(([k, v]) => `${k}=${v.id}`).sort(),
    controlDomains: [...index.controlDomains].map(([k, h]) => `${k}=${h.id}`).sort(),
    poolNodes: [...index.poolNodes].map(([k, p]) => `${k}=${p.name}`).sort(),
    hosts: index.hosts.map((h) => h.id).sort(),
    vmCounts: POOLS.map((p) => index.vmCount(p)),
  };
}

/** A small deterministic PRNG (mulberry32), so a failure replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['web 1', 'web 10', 'web 2', 'Web 2', 'db', 'DB', 'cache-03', 'zeta', 'alpha 9', 'alpha 10'];
const POWER: PowerState[] = ['Running', 'Halted', 'Suspended', 'Paused'];

/** A random node of a small universe (ids collide on purpose, so changes replace and remove nodes). */
function randomNode(r: () => number): InventoryNode {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  const poolId = pick(POOLS);
  const roll = r();
  if (roll < 0.05) return { kind: 'pool', id: `${poolId}/pool`, poolId, name: pick(NAMES) } satisfies PoolNode;
  if (roll < 0.3) {
    const ref = `h${Math.floor(r() * 5)}`;
    const host: HostNode = { kind: 'host', id: `${poolId}/${ref}`, poolId, ref, uuid: `hu-${ref}`, name: pick(NAMES), address: '10.0.0.1', enabled: true };
    // Some hosts name a VM uuid as their control domain, which hides that VM.
    if (r() < 0.3) host.controlDomainUuid = `vu-${Math.floor(r() * 30)}`;
    return host;
  }
  const ref = `v${Math.floor(r() * 30)}`;
  const vm: VmNode = { kind: 'vm', id: `${poolId}/${ref}`, poolId, ref, uuid: `vu-${ref.slice(1)}`, name: pick(NAMES), description: '', powerState: pick(POWER), tags: [], allowedActions: [], consoles: [] };
  if (vm.powerState === 'Running' || vm.powerState === 'Paused') vm.hostId = `${pick(POOLS)}/h${Math.floor(r() * 6)}`;
  return vm;
}

test('any sequence of changes leaves the index exactly as a fresh grouping of the final nodes', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const r = rng(seed);
    const pools = r() < 0.5 ? [summary('a')] : [summary('b'), summary('a')];
    const nodes = new Map<string, InventoryNode>();
    const index = new TreeIndex();
    for (let i = 0; i < 20; i++) {
      const n = randomNode(r);
      nodes.set(n.id, n);
    }
    index.reset(nodes.values());
    for (let step = 0; step < 150; step++) {
      const existing = [...nodes.values()];
      if (existing.length > 0 && r() < 0.25) {
        const gone = existing[Math.floor(r() * existing.length)]!;
        nodes.delete(gone.id);
        index.change(gone, undefined);
      } else {
        const next = randomNode(r);
        const old = nodes.get(next.id);
        nodes.set(next.id, next);
        index.change(old, next);
      }
      // Search keys: sometimes computed for every list (as when the page is idle), sometimes by a filter scan.
      if (r() < 0.1) assert.equal(index.warmKeys(() => Infinity), true);
      const fresh = new TreeIndex();
      fresh.reset(nodes.values());
      assert.deepEqual(view(index, pools), view(fresh, pools), `seed ${seed}, step ${step}`);
      const needle = r() < 0.5 ? 'web' : '1';
      const ids = (i: TreeIndex): string[] => flattenTree(i.groups(pools), new Set(), needle).map((row) => row.id);
      assert.deepEqual(ids(index), ids(fresh), `seed ${seed}, step ${step}, filter ${needle}`);
    }
  }
});

function vm(i: number, powerState: PowerState, host?: number): VmNode {
  const node: VmNode = { kind: 'vm', id: `p/v${i}`, poolId: 'p', ref: `v${i}`, uuid: `u${i}`, name: `vm-${String(i).padStart(5, '0')}`, description: '', powerState, tags: [], allowedActions: [], consoles: [] };
  if (host !== undefined) node.hostId = `p/h${host}`;
  return node;
}

test('search keys wait for the filter or an idle moment, and warming stops when time runs out', () => {
  const hosts: HostNode[] = Array.from({ length: 4 }, (_, h) => ({ kind: 'host', id: `p/h${h}`, poolId: 'p', ref: `h${h}`, uuid: `hu${h}`, name: `host-${h}`, address: `10.0.0.${h}`, enabled: true }));
  const index = new TreeIndex();
  index.reset([...hosts, ...Array.from({ length: 40 }, (_, i) => vm(i, 'Running', i % 4))]);
  const lists = (): number[] => index.groups([summary('p')])[0]!.hosts.map((h) => h.vmKeys.length);
  assert.deepEqual(lists(), [0, 0, 0, 0], 'a reset computes no keys');
  // One list per check while more than 1 ms is left: time for two lists, then none.
  let budget = [5, 5, 0];
  assert.equal(index.warmKeys(() => budget.shift() ?? 0), false);
  assert.deepEqual(lists(), [10, 10, 0, 0]);
  // A filter scan computes the keys of the lists it reads, and finds the same VMs as a node-by-node test.
  const rows = flattenTree(index.groups([summary('p')]), new Set(), 'vm-0003');
  assert.deepEqual(rows.filter((x) => x.kind === 'vm').map((x) => x.name).sort(), ['vm-00030', 'vm-00031', 'vm-00032', 'vm-00033', 'vm-00034', 'vm-00035', 'vm-00036', 'vm-00037', 'vm-00038', 'vm-00039']);
  assert.deepEqual(lists(), [10, 10, 10, 10]);
  budget = [];
  assert.equal(index.warmKeys(() => 0), true, 'nothing left to compute');
});

test('10,000 VMs: a power event moves one row; small and big diffs end where a snapshot does', () => {
  const hosts: HostNode[] = Array.from({ length: 64 }, (_, h) => ({ kind: 'host', id: `p/h${h}`, poolId: 'p', ref: `h${h}`, uuid: `hu${h}`, name: `host-${h}`, address: `10.0.0.${h}`, enabled: true }));
  const vms = Array.from({ length: 10_000 }, (_, i) => (i % 2 === 0 ? vm(i, 'Running', i % 64) : vm(i, 'Halted')));
  const pools = [summary('p')];
  const store = new InventoryStore();
  store.beginSync();
  store.applySnapshot({ version: 1, nodes: [{ kind: 'pool', id: 'p/pool', poolId: 'p', name: 'Big' }, ...hosts, ...vms] });
  const before = flattenTree(store.index.groups(pools), new Set(), '');
  assert.equal(before.length, 1 + 64 + 10_000);

  // vm-00002 shuts down: it leaves host-2 and joins the pool's halted VMs, in name order.
  assert.equal(store.offerDiff({ from: 1, to: 2, upserts: [vm(2, 'Halted')], removes: [] }), 'applied');
  const after = flattenTree(store.index.groups(pools), new Set(), '');
  assert.equal(after.length, before.length);
  const row = after.find((x) => x.id === 'p/v2')!;
  assert.equal(row.level, 2);
  const halted = after.filter((x) => x.kind === 'vm' && x.level === 2).map((x) => x.name);
  assert.deepEqual(halted, [...halted].sort());
  assert.ok(halted.includes('vm-00002'));

  // A big diff (regrouped from scratch) and a small one (change by change) agree with a snapshot.
  const big = Array.from({ length: REGROUP_CHANGES + 1 }, (_, i) => vm(i * 3, i % 3 === 0 ? 'Suspended' : 'Running', (i * 7) % 64));
  assert.equal(store.offerDiff({ from: 2, to: 3, upserts: big, removes: ['p/h5', 'p/v9999'] }), 'applied');
  assert.equal(store.offerDiff({ from: 3, to: 4, upserts: [vm(1, 'Running', 5), { ...hosts[5]!, name: 'host-00' }], removes: ['p/v7'] }), 'applied');
  const snapshot = new InventoryStore();
  snapshot.beginSync();
  snapshot.applySnapshot({ version: 4, nodes: [...store.nodes.values()] });
  assert.deepEqual(view(store.index, pools), view(snapshot.index, pools));
});
