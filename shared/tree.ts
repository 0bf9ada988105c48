/**
 * The display tree, derived from the flat inventory nodes: pool → hosts → running VMs, and the
 * pool's halted/suspended VMs (and VMs whose host is unknown) directly under the pool, after its hosts.
 *
 * Pure code used by the renderer (and the CLI's `ls`). `applyDiff` keeps a node map in step with the
 * backend's snapshot + diffs; `buildTree` sorts siblings by name (natural order, case-insensitive) and
 * filters by text: a node matches on its name (VMs also on uuid, IP, OS and tags); a match keeps its
 * ancestors, and a matching pool or host keeps its whole subtree.
 */
import type { HostNode, InventoryDiff, InventoryNode, InventorySnapshot, PoolNode, VmNode } from './inventory';

/** One entry of the display tree. */
export interface TreeItem {
  node: InventoryNode;
  children: TreeItem[];
}

/** The page's copy of the inventory: nodes by id and the version they are at. */
export interface InventoryState {
  version: number;
  nodes: Map<string, InventoryNode>;
}

/** A fresh state from a snapshot. */
export function stateFromSnapshot(snapshot: InventorySnapshot): InventoryState {
  return { version: snapshot.version, nodes: new Map(snapshot.nodes.map((n) => [n.id, n])) };
}

/**
 * Applies a diff in place. Returns false (and changes nothing) when the diff does not start at the
 * state's version: the caller must fetch a new snapshot.
 */
export function applyDiff(state: InventoryState, diff: InventoryDiff): boolean {
  if (diff.from !== state.version) return false;
  for (const id of diff.removes) state.nodes.delete(id);
  for (const node of diff.upserts) state.nodes.set(node.id, node);
  state.version = diff.to;
  return true;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function byName(a: TreeItem, b: TreeItem): number {
  return collator.compare(a.node.name, b.node.name) || a.node.id.localeCompare(b.node.id);
}

/** Separates the fields of a search text; a needle containing it is matched field by field. */
const FIELD_SEPARATOR = '\n';

/** What a node is matched on, lower-cased: its fields joined (`text`) and, for a VM, its uuid (else ''). */
export interface SearchKey {
  text: string;
  uuid: string;
}

/** Search keys per node object (nodes are replaced, never mutated, so a node's key never goes stale). */
const searchKeys = new WeakMap<InventoryNode, SearchKey>();

/** The lower-case fields a node matches on, joined: name; VMs also IP, OS and tags; hosts their address. */
function searchFields(node: InventoryNode): string[] {
  if (node.kind === 'vm') return [node.name, node.ip ?? '', node.os ?? '', ...node.tags];
  if (node.kind === 'host') return [node.name, node.address];
  return [node.name];
}

/** A node's search key (computed once per node object). */
export function searchKey(node: InventoryNode): SearchKey {
  let key = searchKeys.get(node);
  if (key === undefined) {
    key = { text: searchFields(node).join(FIELD_SEPARATOR).toLowerCase(), uuid: node.kind === 'vm' ? node.uuid.toLowerCase() : '' };
    searchKeys.set(node, key);
  }
  return key;
}

/**
 * True when a node itself matches a lower-case filter text: a substring of its name (VMs: or of its
 * IP, OS or a tag; hosts: or of its address), or a VM's whole uuid.
 */
export function nodeMatches(node: InventoryNode, needle: string): boolean {
  return keyMatches(searchKey(node), needle, node);
}

/**
 * `nodeMatches` on a node's `searchKey` (the tree keeps them beside its lists, so a scan reads only
 * these small objects); `node` is read only for a needle that contains the field separator.
 */
export function keyMatches(key: SearchKey, needle: string, node: InventoryNode): boolean {
  if (needle === '' || key.uuid === needle) return true;
  if (!needle.includes(FIELD_SEPARATOR)) return key.text.includes(needle);
  // A needle spanning the separator must not match across two fields.
  return searchFields(node).some((f) => f.toLowerCase().includes(needle));
}

/** Builds the sorted (and optionally filtered) tree from all nodes, one root per pool. */
export function buildTree(nodes: Iterable<InventoryNode>, filter = ''): TreeItem[] {
  const needle = filter.trim().toLowerCase();
  const pools = new Map<string, { item: TreeItem; node: PoolNode }>();
  const hosts = new Map<string, { item: TreeItem; node: HostNode }>();
  const vms: VmNode[] = [];
  for (const node of nodes) {
    if (node.kind === 'pool') pools.set(node.poolId, { item: { node, children: [] }, node });
    else if (node.kind === 'host') hosts.set(node.id, { item: { node, children: [] }, node });
    else vms.push(node);
  }

  // Which pools/hosts match themselves (their whole subtree stays visible).
  const poolHit = new Set<string>();
  const hostHit = new Set<string>();
  if (needle !== '') {
    for (const p of pools.values()) if (nodeMatches(p.node, needle)) poolHit.add(p.node.poolId);
    for (const h of hosts.values()) if (poolHit.has(h.node.poolId) || nodeMatches(h.node, needle)) hostHit.add(h.node.id);
  }
  const keepHost = new Set<string>();
  const keepPool = new Set<string>(needle === '' ? pools.keys() : poolHit);

  const poolVms = new Map<string, TreeItem[]>();
  for (const vm of vms) {
    const host = vm.hostId === undefined ? undefined : hosts.get(vm.hostId);
    const visible = needle === '' || poolHit.has(vm.poolId) || (host !== undefined && hostHit.has(host.node.id)) || nodeMatches(vm, needle);
    if (!visible) continue;
    const item: TreeItem = { node: vm, children: [] };
    if (host !== undefined) {
      host.item.children.push(item);
      keepHost.add(host.node.id);
    } else {
      let list = poolVms.get(vm.poolId);
      if (list === undefined) poolVms.set(vm.poolId, (list = []));
      list.push(item);
    }
    keepPool.add(vm.poolId);
  }

  const hostsByPool = new Map<string, TreeItem[]>();
  for (const h of hosts.values()) {
    if (needle !== '' && !hostHit.has(h.node.id) && !keepHost.has(h.node.id)) continue;
    h.item.children.sort(byName);
    let list = hostsByPool.get(h.node.poolId);
    if (list === undefined) hostsByPool.set(h.node.poolId, (list = []));
    list.push(h.item);
    keepPool.add(h.node.poolId);
  }

  const roots: TreeItem[] = [];
  for (const [poolId, p] of pools) {
    if (!keepPool.has(poolId)) continue;
    const hs = (hostsByPool.get(poolId) ?? []).sort(byName);
    const vs = (poolVms.get(poolId) ?? []).sort(byName);
    p.item.children = [...hs, ...vs];
    roots.push(p.item);
  }
  return roots.sort(byName);
}

/** Depth-first flattening (for virtualised lists): each item with its depth. */
export function flattenTree(roots: readonly TreeItem[], collapsed: ReadonlySet<string> = new Set()): { node: InventoryNode; depth: number }[] {
  const out: { node: InventoryNode; depth: number }[] = [];
  const walk = (items: readonly TreeItem[], depth: number): void => {
    for (const item of items) {
      out.push({ node: item.node, depth });
      if (!collapsed.has(item.node.id)) walk(item.children, depth + 1);
    }
  };
  walk(roots, 0);
  return out;
}
