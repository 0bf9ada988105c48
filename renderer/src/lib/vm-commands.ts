/**
 * What the selection toolbar, the context menu and the shortcuts may do with a VM right now, and why
 * not: pure functions of the VM node (its `allowed_operations`, power state, guest tools and the
 * operation in progress) and its pool's state.
 *
 * A command is enabled exactly when XAPI's `allowed_operations` lists it and the pool is connected;
 * the reason for a disabled one names the first thing that stands in the way, in the order a user
 * would fix them (pool, operation in progress, power state, guest tools).
 */
import type { PoolState } from '../../../shared/contract';
import type { HostNode, VmAction, VmNode } from '../../../shared/inventory';

/** The toolbar's commands, in its order (accessible names in `COMMAND_LABELS`). */
export const TOOLBAR_COMMANDS = ['start', 'clean_shutdown', 'clean_reboot', 'suspend', 'resume', 'hard_shutdown', 'hard_reboot', 'migrate', 'console'] as const;

/** One toolbar command. */
export type VmCommand = (typeof TOOLBAR_COMMANDS)[number];

/** Button names (tests and screen readers rely on them). */
export const COMMAND_LABELS: Record<VmCommand, string> = {
  start: 'Start',
  clean_shutdown: 'Shut down',
  clean_reboot: 'Reboot',
  suspend: 'Suspend',
  resume: 'Resume',
  hard_shutdown: 'Force shut down',
  hard_reboot: 'Force reboot',
  migrate: 'Migrate…',
  console: 'Open console',
};

/** "Starting", "Shutting down"… for each XAPI operation name shown while it runs. */
const OPERATION_VERBS: Record<string, string> = {
  start: 'Starting',
  start_on: 'Starting',
  clean_shutdown: 'Shutting down',
  hard_shutdown: 'Forcing off',
  shutdown: 'Shutting down',
  clean_reboot: 'Rebooting',
  hard_reboot: 'Force-rebooting',
  suspend: 'Suspending',
  resume: 'Resuming',
  resume_on: 'Resuming',
  pool_migrate: 'Migrating',
  migrate_send: 'Migrating',
  snapshot: 'Snapshotting',
  clone: 'Cloning',
  copy: 'Copying',
  export: 'Exporting',
};

/** "Starting… 40 %" for the operation in progress on a VM, or undefined when none runs. */
export function operationText(vm: Pick<VmNode, 'operation'>): string | undefined {
  const op = vm.operation;
  if (op === undefined) return undefined;
  const verb = OPERATION_VERBS[op.op] ?? op.op.replace(/_/g, ' ');
  return op.progress === undefined ? `${verb}…` : `${verb}… ${Math.round(op.progress * 100)} %`;
}

/** Power states each action needs (for the reason text). */
const NEEDS_STATE: Partial<Record<VmCommand, string>> = {
  start: 'halted',
  clean_shutdown: 'running',
  clean_reboot: 'running',
  suspend: 'running',
  resume: 'suspended',
  hard_shutdown: 'running, paused or suspended',
  hard_reboot: 'running or paused',
  migrate: 'running',
};

/** Clean operations an HVM guest can only do with its guest tools running. */
const NEEDS_TOOLS: ReadonlySet<VmCommand> = new Set<VmCommand>(['clean_shutdown', 'clean_reboot', 'suspend', 'migrate']);

/** Why a pool's VMs cannot be acted on, or undefined when it is connected. */
export function poolBlockedReason(poolName: string, state: PoolState | undefined): string | undefined {
  if (state === undefined) return `${poolName} is no longer configured.`;
  switch (state.kind) {
    case 'connected':
      return undefined;
    case 'awaiting-trust':
      return state.reason === 'changed'
        ? `${poolName} is blocked: the certificate of ${state.address} changed. What is shown is stale.`
        : `${poolName} is waiting for you to trust the certificate of ${state.address}.`;
    case 'needs-password':
      return `${poolName} needs a password. What is shown is stale.`;
    case 'reconnecting':
      return `${poolName} is disconnected (${state.reason}). What is shown is stale.`;
    case 'failed':
      return `${poolName} failed: ${state.message}`;
    case 'connecting':
      return `${poolName} is connecting.`;
    case 'disconnected':
      return `${poolName} is disconnected.`;
  }
}

/** Whether a command may run on `vm` now: `{ enabled: true }` or the reason it may not. */
export function commandState(
  vm: VmNode,
  command: VmCommand,
  pool: { name: string; state: PoolState | undefined },
  migrationTargets: readonly HostNode[] = [],
): { enabled: true } | { enabled: false; reason: string } {
  if (command === 'console') {
    if (vm.powerState !== 'Running' && vm.powerState !== 'Paused') return { enabled: true };
    return vm.consoles.length > 0 || pool.state?.kind !== 'connected' ? { enabled: true } : { enabled: false, reason: `${vm.name} reports no console.` };
  }
  const blocked = poolBlockedReason(pool.name, pool.state);
  if (blocked !== undefined) return { enabled: false, reason: blocked };
  const running = operationText(vm);
  if (running !== undefined) return { enabled: false, reason: `Not while an operation runs: ${running}` };
  const allowed = command === 'migrate' ? vm.canMigrate === true : vm.allowedActions.includes(command);
  if (allowed) {
    if (command === 'migrate' && migrationTargets.length === 0) return { enabled: false, reason: 'No other live host in the pool to migrate to.' };
    return { enabled: true };
  }
  const needs = NEEDS_STATE[command];
  const state = vm.powerState.toLowerCase();
  if (needs !== undefined && !needs.split(/, | or /).includes(state)) return { enabled: false, reason: `${vm.name} is ${state}; ${COMMAND_LABELS[command].replace('…', '')} needs it ${needs}.` };
  if (NEEDS_TOOLS.has(command) && vm.hvm === true && vm.tools !== 'running') {
    const alt = command === 'clean_shutdown' ? ' Use Force shut down.' : command === 'clean_reboot' ? ' Use Force reboot.' : '';
    return { enabled: false, reason: `${vm.name} has no guest tools (PV drivers) running.${alt}` };
  }
  return { enabled: false, reason: `XAPI does not allow ${COMMAND_LABELS[command].replace('…', '').toLowerCase()} for ${vm.name} now.` };
}

/** Hosts a VM can be migrated to: the pool's other hosts that are live and enabled. */
export function migrationTargets(vm: VmNode, hosts: readonly HostNode[]): HostNode[] {
  return hosts.filter((h) => h.poolId === vm.poolId && h.id !== vm.hostId && h.live !== false && h.enabled);
}

/** Power actions behind the toolbar commands (the ones `vm:action` runs). */
export function isPowerCommand(command: VmCommand): command is VmAction & VmCommand {
  return command !== 'migrate' && command !== 'console';
}

/** Uptime in words from an ISO start time ("3 d 4 h", "5 min"). */
export function uptimeText(startIso: string | undefined, nowMs: number): string | undefined {
  if (startIso === undefined) return undefined;
  const start = Date.parse(startIso);
  if (!Number.isFinite(start)) return undefined;
  const s = Math.max(0, Math.floor((nowMs - start) / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  return m > 0 ? `${m} min` : `${s} s`;
}

/** Bytes in binary units ("2 GiB", "512 MiB"). */
export function bytesText(bytes: number | undefined): string | undefined {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes <= 0) return undefined;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i] ?? 'B'}`;
}
