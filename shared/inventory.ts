/**
 * The inventory as the page sees it: flat nodes keyed by id, sent once as a snapshot and then as small
 * diffs (upserts and removals). The tree (pool → host → VMs; halted/suspended VMs under the pool) is
 * derived from these nodes by `shared/tree.ts`; nothing sends a whole tree per event.
 *
 * Node ids are `${poolId}/${opaqueRef}` so they are unique across pools.
 */
import type { ConsoleProtocol } from './contract';

/** Power actions the UI offers (each maps to a XAPI async call and an `allowed_operations` entry). */
export type VmAction =
  | 'start'
  | 'clean_shutdown'
  | 'clean_reboot'
  | 'hard_shutdown'
  | 'hard_reboot'
  | 'suspend'
  | 'resume';

export const VM_ACTIONS: readonly VmAction[] = [
  'start',
  'clean_shutdown',
  'clean_reboot',
  'hard_shutdown',
  'hard_reboot',
  'suspend',
  'resume',
];

export type PowerState = 'Running' | 'Halted' | 'Suspended' | 'Paused';

export interface PoolNode {
  kind: 'pool';
  id: string;
  poolId: string;
  name: string;
}

export interface HostNode {
  kind: 'host';
  id: string;
  poolId: string;
  ref: string;
  uuid: string;
  name: string;
  address: string;
  enabled: boolean;
  /** The host's control domain (dom0) VM uuid: the host entry opens that console. */
  controlDomainUuid?: string;
}

export interface ConsoleRef {
  uuid: string;
  protocol: ConsoleProtocol | 'rdp';
}

export interface VmNode {
  kind: 'vm';
  id: string;
  poolId: string;
  ref: string;
  uuid: string;
  name: string;
  description: string;
  powerState: PowerState;
  /** Node id of the resident host when running/paused, else undefined (shown under the pool). */
  hostId?: string;
  os?: string;
  ip?: string;
  tags: string[];
  allowedActions: VmAction[];
  consoles: ConsoleRef[];
}

export type InventoryNode = PoolNode | HostNode | VmNode;

/** Everything the page needs to draw the tree, across all connected pools. */
export interface InventorySnapshot {
  /** Increases with each diff; a diff whose `from` is not the current version means "resync". */
  version: number;
  nodes: InventoryNode[];
}

/** A small change: nodes to add or replace, ids to remove. */
export interface InventoryDiff {
  from: number;
  to: number;
  upserts: InventoryNode[];
  removes: string[];
}
