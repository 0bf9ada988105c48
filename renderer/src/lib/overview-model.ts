/**
 * The console wall ("Overview") as pure data: which VMs a scope shows, in what order, with what
 * state, and how the arrow keys move through the grid.
 *
 * Scopes: a pool (its hosts' VMs in tree order, then its halted/suspended VMs), a host (the VMs
 * resident on it), or the tree's current filter result (exactly the VM rows `flattenTree` shows for
 * that filter, so the wall and the tree agree). Control domains are never tiles (the tree model
 * leaves them out). The list is recomputed from the inventory on every change, so VMs that start,
 * stop or migrate move, appear or turn grey by themselves.
 */
import type { PowerState, VmNode } from '../../../shared/inventory';
import { wallKey } from '../../../shared/wall-protocol';
import type { PoolGroup } from './tree-model';
import { flattenTree } from './tree-model';

/** What the wall shows. */
export type OverviewScope = { kind: 'pool'; poolId: string } | { kind: 'host'; hostId: string } | { kind: 'filter' };

/** One tile. */
export interface WallTile {
  /** `${poolId}/${vmUuid}` (shared/wall-protocol.ts). */
  key: string;
  poolId: string;
  vmUuid: string;
  name: string;
  powerState: PowerState;
  /** The resident host's name, when running or paused. */
  hostName: string | undefined;
  /** True when the VM has a graphical console to take pictures of. */
  live: boolean;
}

function tile(vm: VmNode, hostName: string | undefined): WallTile {
  return {
    key: wallKey(vm.poolId, vm.uuid),
    poolId: vm.poolId,
    vmUuid: vm.uuid,
    name: vm.name,
    powerState: vm.powerState,
    hostName,
    live: vm.powerState === 'Running' && vm.consoles.some((c) => c.protocol === 'rfb'),
  };
}

const NO_COLLAPSE: ReadonlySet<string> = new Set();

/** The tiles of a scope, in tree order. */
export function wallTiles(groups: readonly PoolGroup[], scope: OverviewScope, filterText: string): WallTile[] {
  const hostNames = new Map<string, string>();
  for (const g of groups) for (const h of g.hosts) hostNames.set(h.node.id, h.node.name);
  const hostOf = (vm: VmNode): string | undefined => (vm.hostId === undefined ? undefined : hostNames.get(vm.hostId));
  switch (scope.kind) {
    case 'pool': {
      const group = groups.find((g) => g.poolId === scope.poolId);
      if (group === undefined) return [];
      return [...group.hosts.flatMap((h) => h.vms.map((vm) => tile(vm, h.node.name))), ...group.standalone.map((vm) => tile(vm, undefined))];
    }
    case 'host': {
      for (const g of groups) {
        const host = g.hosts.find((h) => h.node.id === scope.hostId);
        if (host !== undefined) return host.vms.map((vm) => tile(vm, host.node.name));
      }
      return [];
    }
    case 'filter':
      return flattenTree(groups, NO_COLLAPSE, filterText).flatMap((row) => (row.kind === 'vm' ? [tile(row.vm, hostOf(row.vm))] : []));
  }
}

/** The wall's title for a scope. */
export function scopeTitle(groups: readonly PoolGroup[], scope: OverviewScope, filterText: string): string {
  switch (scope.kind) {
    case 'pool':
      return `Overview of ${groups.find((g) => g.poolId === scope.poolId)?.name ?? 'a pool'}`;
    case 'host': {
      const host = groups.flatMap((g) => g.hosts).find((h) => h.node.id === scope.hostId);
      return `Overview of ${host?.node.name ?? 'a host'}`;
    }
    case 'filter':
      return filterText.trim() === '' ? 'Overview of all pools' : `Overview of “${filterText.trim()}”`;
  }
}

/** Where a key moves the focus in a grid of `count` tiles, `columns` wide; undefined for other keys. */
export function gridMove(key: string, index: number, columns: number, count: number): number | undefined {
  if (count === 0) return undefined;
  const cols = Math.max(1, columns);
  const clamp = (i: number): number => Math.min(count - 1, Math.max(0, i));
  switch (key) {
    case 'ArrowRight':
      return clamp(index + 1);
    case 'ArrowLeft':
      return clamp(index - 1);
    case 'ArrowDown':
      return index + cols < count ? index + cols : index;
    case 'ArrowUp':
      return index - cols >= 0 ? index - cols : index;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return undefined;
  }
}

/** How many tiles of `tileWidth` (plus `gap`) fit in `width`, at least 1. */
export function gridColumns(width: number, tileWidth: number, gap: number): number {
  return Math.max(1, Math.floor((width + gap) / (tileWidth + gap)));
}
