/**
 * Turns the flat inventory into the rows the tree draws: pools → hosts → resident VMs, with halted and
 * suspended VMs (no resident host) directly under their pool after the hosts.
 *
 * Two steps so each is cheap where it matters: the grouping (`tree-index.ts`: sorted once, then kept
 * sorted change by change; `groupInventory` is a fresh one) and `flattenTree` (O(n), matching on
 * precomputed lower-case text) which runs when the inventory, the expansion or the filter changes
 * and yields the visible rows in order, each with its ARIA level,
 * position in set and set size (the tree is virtualised, so only the rows in view exist in the DOM and
 * these attributes tell assistive technology the real structure).
 *
 * Control-domain (dom0) VMs are not listed as VMs: their host row stands for them.
 *
 * Matching is `shared/tree.ts`'s `nodeMatches`, so the UI filter and the CLI agree. Its `buildTree`
 * is not used here because it sorts on every call (per filter keystroke, 10,000 VMs) and knows only
 * pools that have inventory nodes; the tree also shows configured pools that are still connecting or
 * failed, from their `PoolSummary`.
 */
import type { PoolSummary } from '../../../shared/contract';
import type { HostNode, InventoryNode, VmNode } from '../../../shared/inventory';
import { keyMatches, nodeMatches, searchKey, type SearchKey } from '../../../shared/tree';
import { TreeIndex, keysOf, type HostGroup, type PoolGroup } from './tree-index';

export type { HostGroup, PoolGroup } from './tree-index';

interface RowBase {
  /** Pool rows use the pool id; host and VM rows their node id (`<poolId>/<ref>`). */
  id: string;
  name: string;
  poolId: string;
  /** 1 for pools, 2 for hosts and halted VMs, 3 for resident VMs. */
  level: number;
  /** Index of the parent row in the flattened list, -1 for pools. */
  parentIndex: number;
  posInSet: number;
  setSize: number;
  expandable: boolean;
  expanded: boolean;
}

/** One visible row. */
export type TreeRow =
  | (RowBase & { kind: 'pool'; pool: PoolGroup })
  | (RowBase & { kind: 'host'; host: HostNode })
  | (RowBase & { kind: 'vm'; vm: VmNode });

/** Groups inventory nodes under pools (in `pools` order, then pools only the inventory knows, by id). */
export function groupInventory(pools: readonly PoolSummary[], nodes: Iterable<InventoryNode>): PoolGroup[] {
  const index = new TreeIndex();
  index.reset(nodes);
  return index.groups(pools);
}

/** Lower-cased, trimmed filter text; empty means "no filter". */
export function normaliseFilter(text: string): string {
  return text.trim().toLowerCase();
}

/** True when a VM matches the (normalised) filter: name, uuid, IP, OS or a tag. */
export function vmMatches(vm: VmNode, filter: string): boolean {
  return nodeMatches(vm, filter);
}

/** True when a host matches the (normalised) filter: name or address. */
export function hostMatches(host: HostNode, filter: string): boolean {
  return nodeMatches(host, filter);
}

/**
 * The visible rows, in order. A row whose own text matches the filter shows all its children; other
 * rows show only when a descendant matches, with just the matching descendants. Rows whose id is in
 * `collapsed` show no children.
 */
export function flattenTree(groups: readonly PoolGroup[], collapsed: ReadonlySet<string>, filterText: string): TreeRow[] {
  const filter = normaliseFilter(filterText);
  const rows: TreeRow[] = [];
  const visiblePools: { group: PoolGroup; hosts: { host: HostGroup; vms: VmNode[] }[]; standalone: VmNode[] }[] = [];

  for (const group of groups) {
    const poolSelf = filter === '' || group.name.toLowerCase().includes(filter) || (group.node !== undefined && nodeMatches(group.node, filter));
    const hosts: { host: HostGroup; vms: VmNode[] }[] = [];
    for (const host of group.hosts) {
      const self = poolSelf || hostMatches(host.node, filter);
      const vms = self ? host.vms : matching(host.vms, host.vmKeys, filter);
      if (self || vms.length > 0) hosts.push({ host, vms });
    }
    const standalone = poolSelf ? group.standalone : matching(group.standalone, group.standaloneKeys, filter);
    if (poolSelf || hosts.length > 0 || standalone.length > 0) visiblePools.push({ group, hosts, standalone });
  }

  visiblePools.forEach(({ group, hosts, standalone }, poolPos) => {
    const poolIndex = rows.length;
    const childCount = hosts.length + standalone.length;
    const poolExpanded = !collapsed.has(group.poolId);
    rows.push({
      kind: 'pool',
      id: group.poolId,
      name: group.name,
      poolId: group.poolId,
      level: 1,
      parentIndex: -1,
      posInSet: poolPos + 1,
      setSize: visiblePools.length,
      expandable: childCount > 0,
      expanded: childCount > 0 && poolExpanded,
      pool: group,
    });
    if (!poolExpanded) return;
    let pos = 0;
    for (const { host, vms } of hosts) {
      const hostIndex = rows.length;
      const hostExpanded = !collapsed.has(host.node.id);
      rows.push({
        kind: 'host',
        id: host.node.id,
        name: host.node.name,
        poolId: group.poolId,
        level: 2,
        parentIndex: poolIndex,
        posInSet: ++pos,
        setSize: childCount,
        expandable: vms.length > 0,
        expanded: vms.length > 0 && hostExpanded,
        host: host.node,
      });
      if (!hostExpanded) continue;
      vms.forEach((vm, i) => {
        rows.push(vmRow(vm, 3, hostIndex, i + 1, vms.length));
      });
    }
    for (const vm of standalone) rows.push(vmRow(vm, 2, poolIndex, ++pos, childCount));
  });
  return rows;
}

/** The VMs of a list that match, scanning its precomputed search keys (same test as `vmMatches`). */
function matching(vms: readonly VmNode[], listKeys: SearchKey[], filter: string): VmNode[] {
  const out: VmNode[] = [];
  const keys = keysOf(vms, listKeys);
  for (let i = 0; i < vms.length; i++) {
    const vm = vms[i] as VmNode;
    if (keyMatches(keys[i] ?? searchKey(vm), filter, vm)) out.push(vm);
  }
  return out;
}

function vmRow(vm: VmNode, level: number, parentIndex: number, posInSet: number, setSize: number): TreeRow {
  return {
    kind: 'vm',
    id: vm.id,
    name: vm.name,
    poolId: vm.poolId,
    level,
    parentIndex,
    posInSet,
    setSize,
    expandable: false,
    expanded: false,
    vm,
  };
}

/** Finds a VM node by pool and uuid in a node map (linear; for one-off lookups). */
export function findVm(nodes: Iterable<InventoryNode>, poolId: string, vmUuid: string): VmNode | undefined {
  for (const node of nodes) {
    if (node.kind === 'vm' && node.poolId === poolId && node.uuid === vmUuid) return node;
  }
  return undefined;
}
