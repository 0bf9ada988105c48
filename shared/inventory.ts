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
  /** The pool's `name_label` (the master's name when the pool has none). */
  name: string;
  /** The pool's `name_description`. */
  description?: string;
  /** Node id of the master host, when known. */
  masterId?: string;
  tags?: string[];
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
  /** `host_metrics.live`: false when the master has lost the host's heartbeat (undefined: no metrics). */
  live?: boolean;
  /** The host's control domain (dom0) VM uuid: the host entry opens that console. */
  controlDomainUuid?: string;
  /** Product and version from `software_version` ("XCP-ng 8.3.0"), when reported. */
  version?: string;
  /** Physical CPUs (`cpu_info.cpu_count`), when reported. */
  cpuCount?: number;
  /** `host_metrics.memory_total` / `memory_free`, bytes. */
  memoryTotal?: number;
  memoryFree?: number;
  tags?: string[];
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
  /** OS version as the guest agent reports it (`major.minor`), when known. */
  osVersion?: string;
  ip?: string;
  /** Every address the guest agent reports, in its order (`0/ip`, `0/ipv4/0`, `0/ipv6/0` …), deduplicated. */
  ips?: string[];
  tags: string[];
  allowedActions: VmAction[];
  /** True when `allowed_operations` has `pool_migrate` (and the pool has another live host to go to). */
  canMigrate?: boolean;
  consoles: ConsoleRef[];
  /** True for an HVM guest (clean operations then need the PV drivers). */
  hvm?: boolean;
  /** Guest tools: `none` (no guest agent), `running` (agent reports, drivers up to date), `outdated`. */
  tools?: 'none' | 'running' | 'outdated';
  /** vCPUs: live count when running (`VM_metrics.VCPUs_number`), else `VCPUs_at_startup`. */
  vcpus?: number;
  /** Memory, bytes: `VM_metrics.memory_actual` when running, else `memory_static_max`. */
  memoryBytes?: number;
  /** When the domain started (ISO 8601), while running: the page shows the uptime from it. */
  startTime?: string;
  /** The operation in progress (`current_operations`), with its task's progress (0..1) when the task is visible. */
  operation?: { op: string; taskRef: string; progress?: number };
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
