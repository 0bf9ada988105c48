/**
 * The tree's grouping kept up to date change by change: pools → hosts (sorted) → resident VMs
 * (sorted), halted/suspended VMs (sorted) under their pool, plus the lookups the page needs (VMs and
 * control domains by `poolId/uuid`, hosts, pool nodes).
 *
 * Why: with 10,000 VMs, regrouping and re-sorting everything on each inventory diff costs more than
 * a frame, and a power event changes one VM. How it works: `reset(nodes)` groups and sorts once
 * (O(n log n)); `change(old, next)` takes one node out of the list it sits in and puts its new
 * version where it belongs, by binary search in the already sorted list (O(log n) comparisons plus
 * one array splice). A VM sits under its host when that host is known, else under its pool; when a
 * host appears or goes, the VMs naming it (`vmsByHost`) move with it. A VM whose uuid is a control
 * domain of some host is not listed (its host row stands for it). Lists are mutated in place: the
 * page reacts to its own revision counter, not to these objects' identities.
 *
 * `groups(pools)` is the same grouping `groupInventory` (tree-model.ts) defines, which is built on
 * this class: the tests check that any sequence of changes ends where a fresh `reset` of the final
 * nodes does.
 */
import type { PoolSummary } from '../../../shared/contract';
import type { HostNode, InventoryNode, PoolNode, VmNode } from '../../../shared/inventory';
import { searchKey, type SearchKey } from '../../../shared/tree';

/** A pool with its sorted children. */
export interface PoolGroup {
  poolId: string;
  name: string;
  summary: PoolSummary | undefined;
  node: PoolNode | undefined;
  hosts: HostGroup[];
  /** VMs with no (known) resident host: halted, suspended. */
  standalone: VmNode[];
  /** `searchKey` of each of `standalone`, same order (the filter scans these, not the nodes); see `keysOf`. */
  standaloneKeys: SearchKey[];
}

/** A host with its resident VMs, sorted. */
export interface HostGroup {
  node: HostNode;
  vms: VmNode[];
  /** `searchKey` of each of `vms`, same order; see `keysOf`. */
  vmKeys: SearchKey[];
}

/** One pool's children as the index keeps them (a `PoolGroup` without the summary). */
interface PoolSlot {
  node: PoolNode | undefined;
  hosts: HostGroup[];
  standalone: VmNode[];
  standaloneKeys: SearchKey[];
}

/**
 * A sorted VM list and its search keys. The keys are either not computed yet (empty: a fresh `reset`
 * leaves them so, the first painted tree does not wait for 10,000 lower-cased strings) or in step with
 * the VMs (the filter's first scan or `warmKeys` fills them, then each change keeps them in step).
 */
interface VmList {
  vms: VmNode[];
  keys: SearchKey[];
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Sibling order: name (natural, case-insensitive), then id so the order is total. */
export function byName(a: { name: string; id: string }, b: { name: string; id: string }): number {
  return collator.compare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

const hostOrder = (a: HostGroup, b: HostGroup): number => byName(a.node, b.node);

/** First index in sorted `list` whose item sorts after `key` (by `cmp`). */
function upperBound<T, K>(list: readonly T[], key: K, cmp: (item: T, key: K) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cmp(list[mid] as T, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts `item` into sorted `list`, after its equals. */
function insertSorted<T>(list: T[], item: T, cmp: (a: T, b: T) => number): void {
  list.splice(upperBound(list, item, cmp), 0, item);
}

/** Removes the entry with id `id` from sorted `list`, found by binary search on the key it was sorted by. */
function removeSorted<T>(list: T[], key: T, cmp: (a: T, b: T) => number, same: (a: T) => boolean): void {
  let i = upperBound(list, key, cmp) - 1;
  // Ties are impossible (ids are unique), so the entry is just before the upper bound; scan as a fallback.
  if (i < 0 || !same(list[i] as T)) i = list.findIndex(same);
  if (i >= 0) list.splice(i, 1);
}

/** True when a list's keys are in step with its VMs (an empty list's are). */
function keysInStep(vms: readonly VmNode[], keys: readonly SearchKey[]): boolean {
  return keys.length === vms.length;
}

/** A list's search keys, computed first if they are not yet (in place: the list keeps them). */
export function keysOf(vms: readonly VmNode[], keys: SearchKey[]): readonly SearchKey[] {
  if (!keysInStep(vms, keys)) {
    keys.length = 0;
    for (const vm of vms) keys.push(searchKey(vm));
  }
  return keys;
}

/** Inserts a VM (and its search key, when the list has its keys) into a sorted list. */
function insertVm(list: VmList, vm: VmNode): void {
  const at = upperBound(list.vms, vm, byName);
  const withKeys = keysInStep(list.vms, list.keys);
  list.vms.splice(at, 0, vm);
  if (withKeys) list.keys.splice(at, 0, searchKey(vm));
  else list.keys.length = 0;
}

/** Removes a VM (and its search key) from a sorted list, found by the name it was sorted by. */
function removeVm(list: VmList, vm: VmNode): void {
  let at = upperBound(list.vms, vm, byName) - 1;
  if (at < 0 || list.vms[at]?.id !== vm.id) at = list.vms.findIndex((x) => x.id === vm.id);
  if (at < 0) return;
  const withKeys = keysInStep(list.vms, list.keys);
  list.vms.splice(at, 1);
  if (withKeys) list.keys.splice(at, 1);
  else list.keys.length = 0;
}

/** Sorts a VM list that was filled unsorted; its search keys are computed when first needed. */
function sortVms(list: VmList): void {
  list.vms.sort(byName);
  list.keys.length = 0;
}

/** `${poolId}/${uuid}`: how VMs and control domains are looked up. */
function uuidKey(poolId: string, uuid: string): string {
  return `${poolId}/${uuid}`;
}

/** The grouped, sorted inventory, kept in step with the node map. */
export class TreeIndex {
  /** VM nodes by `poolId/uuid`. */
  readonly vms = new Map<string, VmNode>();
  /** Hosts by `poolId/controlDomainUuid`: which uuids are dom0s. */
  readonly controlDomains = new Map<string, HostNode>();
  /** Pool nodes by pool id. */
  readonly poolNodes = new Map<string, PoolNode>();
  private readonly slots = new Map<string, PoolSlot>();
  private readonly hostGroups = new Map<string, HostGroup>();
  /** Host node id → ids of the VMs whose `hostId` names it (whether that host is known or not). */
  private readonly vmsByHost = new Map<string, Set<string>>();
  /** VM id → the node as it is placed in a list (or hidden, as a control domain). */
  private readonly placedVms = new Map<string, VmNode>();
  /** Control-domain uuids (any pool) → how many hosts name them. */
  private readonly dom0Uuids = new Map<string, number>();
  private hostList: HostNode[] | undefined;
  /** VM nodes (control domains included) per pool id. */
  private readonly vmCounts = new Map<string, number>();

  /** Every host node (a fresh array after each host change; the same one otherwise). */
  get hosts(): HostNode[] {
    this.hostList ??= [...this.hostGroups.values()].map((g) => g.node);
    return this.hostList;
  }

  /** How many VM nodes a pool has. */
  vmCount(poolId: string): number {
    return this.vmCounts.get(poolId) ?? 0;
  }

  /** Replaces everything with `nodes`, sorting each list once. */
  reset(nodes: Iterable<InventoryNode>): void {
    this.vms.clear();
    this.controlDomains.clear();
    this.poolNodes.clear();
    this.slots.clear();
    this.hostGroups.clear();
    this.vmsByHost.clear();
    this.placedVms.clear();
    this.dom0Uuids.clear();
    this.vmCounts.clear();
    this.hostList = undefined;
    const vms: VmNode[] = [];
    for (const node of nodes) {
      if (node.kind === 'pool') this.setPool(node);
      else if (node.kind === 'host') {
        const group: HostGroup = { node, vms: [], vmKeys: [] };
        this.hostGroups.set(node.id, group);
        this.slot(node.poolId).hosts.push(group);
        this.addDom0(node);
      } else vms.push(node);
    }
    for (const vm of vms) {
      this.indexVm(vm);
      if (!this.hidden(vm)) this.listOf(vm).vms.push(vm);
    }
    for (const slot of this.slots.values()) {
      slot.hosts.sort(hostOrder);
      for (const host of slot.hosts) sortVms({ vms: host.vms, keys: host.vmKeys });
      sortVms({ vms: slot.standalone, keys: slot.standaloneKeys });
    }
  }

  /** Applies one change: `old` is the node as the index has it (undefined: new), `next` its new version (undefined: removed). */
  change(old: InventoryNode | undefined, next: InventoryNode | undefined): void {
    const kind = next?.kind ?? old?.kind;
    if (kind === 'vm') this.changeVm(old as VmNode | undefined, next as VmNode | undefined);
    else if (kind === 'host') this.changeHost(old as HostNode | undefined, next as HostNode | undefined);
    else if (kind === 'pool') {
      if (old !== undefined) this.poolNodes.delete(old.poolId);
      const slot = old === undefined ? undefined : this.slots.get(old.poolId);
      if (slot !== undefined) slot.node = undefined;
      if (next !== undefined) this.setPool(next as PoolNode);
      if (old !== undefined) this.dropIfEmpty(old.poolId);
    }
  }

  /**
   * Computes the search keys of lists that have none yet, while `timeLeftMs()` stays above 1 ms (the
   * page calls it when idle, so the first filter keystroke after a load scans ready keys). Returns
   * true when every list has its keys.
   */
  warmKeys(timeLeftMs: () => number): boolean {
    for (const slot of this.slots.values()) {
      for (const list of [...slot.hosts.map((h) => ({ vms: h.vms, keys: h.vmKeys })), { vms: slot.standalone, keys: slot.standaloneKeys }]) {
        if (keysInStep(list.vms, list.keys)) continue;
        if (timeLeftMs() <= 1) return false;
        keysOf(list.vms, list.keys);
      }
    }
    return true;
  }

  /** Pools (in `pools` order, then pools only the inventory knows, by id) with their sorted children. */
  groups(pools: readonly PoolSummary[]): PoolGroup[] {
    const out: PoolGroup[] = [];
    const listed = new Set<string>();
    const group = (poolId: string, summary: PoolSummary | undefined): PoolGroup => {
      const slot = this.slots.get(poolId);
      const node = slot?.node;
      return { poolId, name: summary?.name ?? node?.name ?? poolId, summary, node, hosts: slot?.hosts ?? [], standalone: slot?.standalone ?? [], standaloneKeys: slot?.standaloneKeys ?? [] };
    };
    for (const pool of pools) {
      if (listed.has(pool.id)) continue;
      listed.add(pool.id);
      out.push(group(pool.id, pool));
    }
    const extra = [...this.slots.keys()].filter((id) => !listed.has(id)).sort();
    for (const id of extra) out.push(group(id, undefined));
    return out;
  }

  private slot(poolId: string): PoolSlot {
    let slot = this.slots.get(poolId);
    if (slot === undefined) {
      slot = { node: undefined, hosts: [], standalone: [], standaloneKeys: [] };
      this.slots.set(poolId, slot);
    }
    return slot;
  }

  /** Forgets a pool's slot once nothing is left in it (as a fresh grouping would not list it). */
  private dropIfEmpty(poolId: string): void {
    const slot = this.slots.get(poolId);
    if (slot !== undefined && slot.node === undefined && slot.hosts.length === 0 && slot.standalone.length === 0) this.slots.delete(poolId);
  }

  private setPool(node: PoolNode): void {
    this.poolNodes.set(node.poolId, node);
    this.slot(node.poolId).node = node;
  }

  private hidden(vm: VmNode): boolean {
    return this.dom0Uuids.has(vm.uuid);
  }

  /** The sorted list a (visible) VM belongs in. */
  private listOf(vm: VmNode): VmList {
    const host = vm.hostId === undefined ? undefined : this.hostGroups.get(vm.hostId);
    if (host !== undefined) return { vms: host.vms, keys: host.vmKeys };
    const slot = this.slot(vm.poolId);
    return { vms: slot.standalone, keys: slot.standaloneKeys };
  }

  private indexVm(vm: VmNode): void {
    this.placedVms.set(vm.id, vm);
    this.vmCounts.set(vm.poolId, this.vmCount(vm.poolId) + 1);
    this.vms.set(uuidKey(vm.poolId, vm.uuid), vm);
    if (vm.hostId !== undefined) {
      let set = this.vmsByHost.get(vm.hostId);
      if (set === undefined) this.vmsByHost.set(vm.hostId, (set = new Set()));
      set.add(vm.id);
    }
  }

  private unindexVm(vm: VmNode): void {
    this.placedVms.delete(vm.id);
    const count = this.vmCount(vm.poolId) - 1;
    if (count > 0) this.vmCounts.set(vm.poolId, count);
    else this.vmCounts.delete(vm.poolId);
    const key = uuidKey(vm.poolId, vm.uuid);
    if (this.vms.get(key)?.id === vm.id) this.vms.delete(key);
    if (vm.hostId !== undefined) {
      const set = this.vmsByHost.get(vm.hostId);
      set?.delete(vm.id);
      if (set?.size === 0) this.vmsByHost.delete(vm.hostId);
    }
  }

  /** Takes a placed VM out of its list (its list is found from the node as placed). */
  private unplace(vm: VmNode): void {
    if (!this.hidden(vm)) removeVm(this.listOf(vm), vm);
  }

  private place(vm: VmNode): void {
    if (!this.hidden(vm)) insertVm(this.listOf(vm), vm);
  }

  private changeVm(old: VmNode | undefined, next: VmNode | undefined): void {
    const placed = old === undefined ? undefined : this.placedVms.get(old.id);
    if (placed !== undefined) {
      this.unplace(placed);
      this.unindexVm(placed);
    }
    if (next !== undefined) {
      this.indexVm(next);
      this.place(next);
    } else if (placed !== undefined) this.dropIfEmpty(placed.poolId);
  }

  private addDom0(host: HostNode): void {
    if (host.controlDomainUuid === undefined) return;
    const key = uuidKey(host.poolId, host.controlDomainUuid);
    // Two hosts naming one control domain (broken data): the smaller id wins, whatever the order of changes.
    const current = this.controlDomains.get(key);
    if (current === undefined || current.id === host.id || host.id < current.id) this.controlDomains.set(key, host);
    this.dom0Uuids.set(host.controlDomainUuid, (this.dom0Uuids.get(host.controlDomainUuid) ?? 0) + 1);
  }

  private dropDom0(host: HostNode): void {
    if (host.controlDomainUuid === undefined) return;
    const key = uuidKey(host.poolId, host.controlDomainUuid);
    if (this.controlDomains.get(key)?.id === host.id) {
      this.controlDomains.delete(key);
      let other: HostNode | undefined;
      for (const g of this.hostGroups.values()) {
        const h = g.node;
        if (h.id !== host.id && h.poolId === host.poolId && h.controlDomainUuid === host.controlDomainUuid && (other === undefined || h.id < other.id)) other = h;
      }
      if (other !== undefined) this.controlDomains.set(key, other);
    }
    const n = (this.dom0Uuids.get(host.controlDomainUuid) ?? 0) - 1;
    if (n > 0) this.dom0Uuids.set(host.controlDomainUuid, n);
    else this.dom0Uuids.delete(host.controlDomainUuid);
  }

  /** The placed VMs with one of these uuids (whose visibility a control-domain change may flip). */
  private vmsWithUuid(uuids: ReadonlySet<string>): VmNode[] {
    if (uuids.size === 0) return [];
    const out: VmNode[] = [];
    for (const vm of this.placedVms.values()) if (uuids.has(vm.uuid)) out.push(vm);
    return out;
  }

  private changeHost(old: HostNode | undefined, next: HostNode | undefined): void {
    this.hostList = undefined;
    const group = old === undefined ? undefined : this.hostGroups.get(old.id);
    const dom0Changed = old?.controlDomainUuid !== next?.controlDomainUuid || old?.poolId !== next?.poolId;
    const flipped = new Set<string>();
    if (dom0Changed) {
      if (old?.controlDomainUuid !== undefined) flipped.add(old.controlDomainUuid);
      if (next?.controlDomainUuid !== undefined) flipped.add(next.controlDomainUuid);
    }
    // VMs whose place depends on this host (its group appears or goes) or whose visibility may flip.
    const moving = new Map<string, VmNode>();
    if (group === undefined || next === undefined) {
      const id = next?.id ?? old?.id;
      for (const vmId of (id === undefined ? undefined : this.vmsByHost.get(id)) ?? []) {
        const vm = this.placedVms.get(vmId);
        if (vm !== undefined) moving.set(vm.id, vm);
      }
    }
    for (const vm of this.vmsWithUuid(flipped)) moving.set(vm.id, vm);
    for (const vm of moving.values()) this.unplace(vm);

    if (group !== undefined && old !== undefined) {
      const slot = this.slot(old.poolId);
      const samePlace = next !== undefined && next.poolId === old.poolId && byName(old, next) === 0 && old.id === next.id;
      if (!samePlace) removeSorted(slot.hosts, group, hostOrder, (g) => g === group);
      this.dropDom0(old);
      if (next === undefined) {
        this.hostGroups.delete(old.id);
      } else {
        group.node = next;
        if (!samePlace) insertSorted(this.slot(next.poolId).hosts, group, hostOrder);
      }
    } else if (next !== undefined) {
      const created: HostGroup = { node: next, vms: [], vmKeys: [] };
      this.hostGroups.set(next.id, created);
      insertSorted(this.slot(next.poolId).hosts, created, hostOrder);
    }
    if (next !== undefined) this.addDom0(next);
    for (const vm of moving.values()) this.place(vm);
    if (old !== undefined && (next === undefined || next.poolId !== old.poolId)) this.dropIfEmpty(old.poolId);
  }
}
