/**
 * VM power operations, `allowed_operations`, console rows and tasks, modelled on
 * `ocaml/xapi/xapi_vm_lifecycle.ml`, `xapi_vm.ml` and `xapi_xenops.ml`.
 *
 * Each operation is a small state machine: check (allowed_operations, power state) → mark
 * `current_operations[task] = op` and empty `allowed_operations` (no second operation while one runs)
 * → wait a realistic time (`powerOpMs` × factor) → apply the transition → clear `current_operations`
 * and recompute `allowed_operations`. Tasks go `pending` → `success` | `failure` | `cancelled`, with
 * `progress` moving in steps of 0.1 on the way (`cancel` allowed until 0.9); all changes are database mutations, so clients see them as events.
 *
 * Console rows follow xapi: removed when the domain goes away (shutdown, suspend), new rows with a
 * new ref and uuid when it comes back (start, resume, reboot) and, after a migration, new rows whose
 * location names the new host. Guest metrics are deleted on halt/suspend and reported again by the
 * "guest agent" shortly after the domain is back. Simplifications are listed in README.md.
 */
import { getLogger } from '../../shared/log';
import { XapiFailure, fail } from './errors';
import type { PoolState, HostRuntime } from './state';
import { NEVER, NULL_REF, map, newRef, newUuid, str, strs, xapiDate, type XRecord } from './values';

const log = getLogger('sim');

/** VM power operations the simulator runs. */
export type PowerOp = 'start' | 'clean_shutdown' | 'hard_shutdown' | 'clean_reboot' | 'hard_reboot' | 'suspend' | 'resume' | 'pool_migrate';

/** Progress steps of an operation (task.progress moves 0.1 at a time). */
const PROGRESS_STEPS = 10;
/** From this progress on, a task can no longer be cancelled (xapi drops `cancel` once the domain is committed). */
const NO_RETURN_PROGRESS = 0.9;

/** Duration of each operation relative to a start. */
const OP_FACTOR: Record<PowerOp, number> = {
  start: 1, clean_shutdown: 0.8, hard_shutdown: 0.3, clean_reboot: 1.2, hard_reboot: 0.8, suspend: 1, resume: 0.8, pool_migrate: 1.3,
};

/** Power state each operation needs, as VM_BAD_POWER_STATE names it (lower case, as xapi). */
const EXPECTED: Record<PowerOp, string> = {
  start: 'halted', clean_shutdown: 'running', hard_shutdown: 'running', clean_reboot: 'running', hard_reboot: 'running',
  suspend: 'running', resume: 'suspended', pool_migrate: 'running',
};

// allowed_operations per power state (the subset of xapi's vm_operations a client cares about, plus the
// common non-power ones so records look real).
const HALTED_OPS = ['changing_VCPUs', 'changing_memory_limits', 'changing_shadow_memory', 'changing_static_range', 'clone', 'copy', 'destroy', 'export', 'make_into_template', 'metadata_export', 'provision', 'snapshot', 'start', 'start_on'];
const RUNNING_OPS = ['changing_VCPUs_live', 'changing_dynamic_range', 'checkpoint', 'clean_reboot', 'clean_shutdown', 'hard_reboot', 'hard_shutdown', 'metadata_export', 'migrate_send', 'pause', 'pool_migrate', 'snapshot', 'suspend'];
const SUSPENDED_OPS = ['clone', 'copy', 'export', 'hard_shutdown', 'metadata_export', 'resume', 'resume_on', 'snapshot'];
const PAUSED_OPS = ['hard_reboot', 'hard_shutdown', 'metadata_export', 'unpause'];
const TEMPLATE_OPS = ['clone', 'copy', 'destroy', 'export', 'metadata_export', 'provision'];
/** Operations that need the guest's PV drivers on an HVM guest (xapi: VM_LACKS_FEATURE). */
const NEEDS_DRIVERS = new Set(['clean_reboot', 'clean_shutdown', 'suspend', 'checkpoint', 'pool_migrate', 'migrate_send']);

/** True for an HVM guest. */
export function isHvm(vm: XRecord): boolean {
  const dt = str(vm, 'domain_type');
  if (dt === 'hvm') return true;
  if (dt === 'pv' || dt === 'pvh' || dt === 'pv_in_pvh') return false;
  return str(vm, 'HVM_boot_policy') !== '';
}

/** allowed_operations of a VM in its current state. */
export function computeAllowed(vm: XRecord, hasDrivers: boolean): string[] {
  if (Object.keys(map(vm, 'current_operations')).length > 0) return [];
  if (vm.is_control_domain === true) return ['changing_dynamic_range', 'metadata_export'];
  if (vm.is_a_template === true || vm.is_a_snapshot === true) return [...TEMPLATE_OPS];
  switch (str(vm, 'power_state')) {
    case 'Halted':
      return [...HALTED_OPS];
    case 'Running':
      return RUNNING_OPS.filter((op) => hasDrivers || !isHvm(vm) || !NEEDS_DRIVERS.has(op));
    case 'Suspended':
      return [...SUSPENDED_OPS];
    case 'Paused':
      return [...PAUSED_OPS];
    default:
      return [];
  }
}

/** Guest-agent data kept while a VM is down, to report again when it is back. */
const agentMemory = new WeakMap<PoolState, Map<string, XRecord>>();

function memoryOf(state: PoolState): Map<string, XRecord> {
  let m = agentMemory.get(state);
  if (m === undefined) {
    m = new Map();
    agentMemory.set(state, m);
  }
  return m;
}

/** True when the VM's guest agent is up (it has guest metrics). */
export function hasDrivers(state: PoolState, vm: XRecord): boolean {
  const gm = str(vm, 'guest_metrics');
  return gm !== '' && gm !== NULL_REF && state.db.get('VM_guest_metrics', gm) !== undefined;
}

/** Recomputes and stores a VM's allowed_operations. */
export function refreshAllowed(state: PoolState, vmRef: string): void {
  const vm = state.db.get('VM', vmRef);
  if (vm === undefined) return;
  const allowed = computeAllowed(vm, hasDrivers(state, vm));
  const before = strs(vm, 'allowed_operations');
  if (before.length === allowed.length && before.every((x, i) => x === allowed[i])) return;
  state.db.modify('VM', vmRef, { allowed_operations: allowed });
}

/** Creates the console rows of a domain on `host` (HVM: rfb; PV: rfb and vt100). */
export function createConsoles(state: PoolState, vmRef: string, host: HostRuntime): string[] {
  const vm = state.db.get('VM', vmRef);
  if (vm === undefined) return [];
  const protocols = isHvm(vm) ? ['rfb'] : ['rfb', 'vt100'];
  const refs: string[] = [];
  for (const protocol of protocols) {
    const uuid = newUuid();
    const ref = state.db.add('console', newRef(), {
      uuid, protocol, location: state.consoleLocation(host, uuid), VM: vmRef, other_config: {}, port: 0,
    });
    refs.push(ref);
  }
  state.db.modify('VM', vmRef, { consoles: [...strs(state.db.get('VM', vmRef), 'consoles'), ...refs] });
  return refs;
}

/** Destroys every console row of a VM. */
export function destroyConsoles(state: PoolState, vmRef: string): void {
  const vm = state.db.get('VM', vmRef);
  for (const c of strs(vm, 'consoles')) {
    state.cutTunnels(vmRef, c);
    state.db.remove('console', c);
  }
  state.db.modify('VM', vmRef, { consoles: [] });
}

function dropGuestMetrics(state: PoolState, vmRef: string): void {
  const vm = state.db.get('VM', vmRef);
  const gm = str(vm, 'guest_metrics');
  if (gm === '' || gm === NULL_REF) return;
  const rec = state.db.get('VM_guest_metrics', gm);
  if (rec !== undefined) {
    memoryOf(state).set(vmRef, rec);
    state.db.remove('VM_guest_metrics', gm);
  }
  state.db.modify('VM', vmRef, { guest_metrics: NULL_REF });
}

function reportGuestMetrics(state: PoolState, vmRef: string, delayMs: number): void {
  const remembered = memoryOf(state).get(vmRef);
  if (remembered === undefined) return;
  setTimeout(() => {
    const vm = state.db.get('VM', vmRef);
    if (vm === undefined || str(vm, 'power_state') !== 'Running' || hasDrivers(state, vm)) return;
    const ref = state.db.add('VM_guest_metrics', newRef(), { ...remembered, uuid: newUuid(), last_updated: xapiDate() });
    memoryOf(state).delete(vmRef);
    state.db.modify('VM', vmRef, { guest_metrics: ref });
    refreshAllowed(state, vmRef);
  }, delayMs).unref();
}

function setMetrics(state: PoolState, vmRef: string, running: boolean): void {
  const vm = state.db.get('VM', vmRef);
  const m = str(vm, 'metrics');
  if (m === '' || m === NULL_REF || state.db.get('VM_metrics', m) === undefined) return;
  const memory = typeof vm?.memory_dynamic_max === 'number' ? vm.memory_dynamic_max : 0;
  const vcpus = typeof vm?.VCPUs_at_startup === 'number' ? vm.VCPUs_at_startup : 1;
  // As xapi's metrics updater: a running domain reports its memory and vCPUs; a halted one 0 (dumps show 0).
  state.db.modify(
    'VM_metrics', m,
    running
      ? { start_time: xapiDate(), memory_actual: memory, VCPUs_number: vcpus, last_updated: xapiDate() }
      : { memory_actual: 0, VCPUs_number: 0, last_updated: xapiDate() },
  );
}

function pickHost(state: PoolState, vm: XRecord): HostRuntime {
  const up = state.hosts.filter((h) => h.up && state.db.get('host', h.ref)?.enabled !== false);
  if (up.length === 0) fail('NO_HOSTS_AVAILABLE');
  const affinity = up.find((h) => h.ref === str(vm, 'affinity'));
  if (affinity !== undefined) return affinity;
  const load = new Map(up.map((h) => [h.ref, 0]));
  for (const row of state.db.rows('VM')) {
    const r = str(row.rec, 'resident_on');
    if (load.has(r)) load.set(r, (load.get(r) ?? 0) + 1);
  }
  return [...up].sort((a, b) => (load.get(a.ref) ?? 0) - (load.get(b.ref) ?? 0))[0] ?? fail('NO_HOSTS_AVAILABLE');
}

/** Checks that `op` may run on the VM now; throws the error xapi would. */
export function checkOperation(state: PoolState, vmRef: string, op: PowerOp): void {
  const vm = state.db.get('VM', vmRef) ?? fail('HANDLE_INVALID', 'VM', vmRef);
  const current = map(vm, 'current_operations');
  const running = Object.keys(current);
  if (running.length > 0) fail('OTHER_OPERATION_IN_PROGRESS', 'VM', vmRef, str(current, running[0] ?? ''));
  if (vm.is_a_template === true) fail('VM_IS_TEMPLATE', vmRef, op);
  if (vm.is_control_domain === true) fail('OPERATION_NOT_ALLOWED', `${op} is not allowed on a control domain`);
  if (strs(vm, 'allowed_operations').includes(op)) return;
  const power = str(vm, 'power_state').toLowerCase();
  const wrongState = op === 'hard_shutdown' ? power === 'halted' : power !== EXPECTED[op];
  if (wrongState) fail('VM_BAD_POWER_STATE', vmRef, EXPECTED[op], power);
  if (NEEDS_DRIVERS.has(op)) fail('VM_LACKS_FEATURE', vmRef);
  fail('OPERATION_NOT_ALLOWED', `${op} is not in allowed_operations`);
}

// ---------------------------------------------------------------- tasks

/** Creates a pending task on the master. */
export function createTask(state: PoolState, label: string, description = ''): string {
  return state.db.add('task', newRef(), {
    uuid: newUuid(), name_label: label, name_description: description, allowed_operations: ['cancel'],
    current_operations: {}, created: xapiDate(), finished: NEVER, status: 'pending', resident_on: state.master().ref,
    progress: 0, type: '<none/>', result: '', error_info: [], other_config: {}, subtask_of: NULL_REF, subtasks: [],
    backtrace: '()',
  });
}

/** Marks a task finished (success, failure or cancelled). */
export function finishTask(state: PoolState, taskRef: string | undefined, error?: XapiFailure, cancelled = false): void {
  if (taskRef === undefined || state.db.get('task', taskRef) === undefined) return;
  state.db.modify('task', taskRef, {
    status: cancelled ? 'cancelled' : error === undefined ? 'success' : 'failure',
    progress: 1, finished: xapiDate(), allowed_operations: [],
    error_info: error === undefined ? [] : [error.code, ...error.params],
  });
}

interface Running {
  vmRef: string;
  op: PowerOp;
  timer: NodeJS.Timeout;
  cancel: () => void;
}

const runningByTask = new WeakMap<PoolState, Map<string, Running>>();

function runningOf(state: PoolState): Map<string, Running> {
  let m = runningByTask.get(state);
  if (m === undefined) {
    m = new Map();
    runningByTask.set(state, m);
  }
  return m;
}

/** Cancels a pending task's operation; false when it cannot be cancelled (finished, or past the point of no return). */
export function cancelTask(state: PoolState, taskRef: string): boolean {
  const r = runningOf(state).get(taskRef);
  if (r === undefined || !strs(state.db.get('task', taskRef), 'allowed_operations').includes('cancel')) return false;
  r.cancel();
  return true;
}

/** Stops every timer of operations under way (simulator shutdown). */
export function abortAll(state: PoolState): void {
  for (const r of runningOf(state).values()) clearTimeout(r.timer);
  runningOf(state).clear();
  state.held.clear();
}

/** Options of an operation. */
export interface OpArgs {
  startPaused?: boolean;
  migrateTo?: string;
}

/**
 * Runs a power operation: checks it now (throws synchronously-rejected errors before any change),
 * then resolves when it is over. `taskRef` is the task the client watches (Async.* and sync calls alike).
 */
export function runPowerOp(state: PoolState, vmRef: string, op: PowerOp, args: OpArgs, taskRef: string): Promise<void> {
  checkOperation(state, vmRef, op);
  const vm0 = state.db.get('VM', vmRef) ?? fail('HANDLE_INVALID', 'VM', vmRef);
  let target: HostRuntime | undefined;
  if (op === 'start' || op === 'resume') target = pickHost(state, vm0);
  if (op === 'pool_migrate') {
    const h = state.hostByRef(args.migrateTo ?? '') ?? fail('HANDLE_INVALID', 'host', args.migrateTo ?? '');
    if (!h.up) fail('HOST_OFFLINE', h.ref);
    target = h;
  }
  state.db.modify('VM', vmRef, { current_operations: { ...map(vm0, 'current_operations'), [taskRef]: op } });
  refreshAllowed(state, vmRef);
  const duration = Math.max(1, Math.round(state.powerOpMs * OP_FACTOR[op]));
  const stepMs = duration / PROGRESS_STEPS;
  return new Promise<void>((resolve, reject) => {
    let step = 0;
    const clearOp = (): void => {
      const vm = state.db.get('VM', vmRef);
      if (vm === undefined) return;
      const ops = Object.fromEntries(Object.entries(map(vm, 'current_operations')).filter(([k]) => k !== taskRef));
      state.db.modify('VM', vmRef, { current_operations: ops });
      refreshAllowed(state, vmRef);
    };
    const finish = (): void => {
      runningOf(state).delete(taskRef);
      try {
        applyTransition(state, vmRef, op, args, target);
        clearOp();
        finishTask(state, taskRef);
        resolve();
      } catch (e) {
        const err = e instanceof XapiFailure ? e : new XapiFailure('INTERNAL_ERROR', [String(e)]);
        log.warn('power operation failed', { op, code: err.code });
        clearOp();
        finishTask(state, taskRef, err);
        reject(err);
      }
    };
    // One step per tick: progress 0.1, 0.2, … as xenopsd reports it; past NO_RETURN_PROGRESS the
    // task loses `cancel` (the domain is being committed). A `holdOperations` fault parks the step.
    const advance = (): void => {
      const running = runningOf(state).get(taskRef);
      if (running === undefined) return;
      const next = step + 1;
      if (state.holdProgress !== undefined && next / PROGRESS_STEPS > state.holdProgress + 1e-9) {
        const resume = (): void => {
          state.held.delete(resume);
          if (runningOf(state).get(taskRef) === running) running.timer = setTimeout(advance, stepMs);
        };
        state.held.add(resume);
        return;
      }
      step = next;
      if (step >= PROGRESS_STEPS) {
        finish();
        return;
      }
      const progress = Math.round((step / PROGRESS_STEPS) * 100) / 100;
      if (state.db.get('task', taskRef)?.status === 'pending') {
        state.db.modify('task', taskRef, progress >= NO_RETURN_PROGRESS ? { progress, allowed_operations: [] } : { progress });
      }
      running.timer = setTimeout(advance, stepMs);
    };
    const entry: Running = {
      vmRef, op, timer: setTimeout(advance, stepMs),
      cancel: () => {
        clearTimeout(entry.timer);
        runningOf(state).delete(taskRef);
        clearOp();
        const err = new XapiFailure('TASK_CANCELLED', [taskRef]);
        finishTask(state, taskRef, err, true);
        reject(err);
      },
    };
    runningOf(state).set(taskRef, entry);
  });
}

function bootOn(state: PoolState, vmRef: string, host: HostRuntime, paused: boolean): void {
  const vm = state.db.get('VM', vmRef);
  const domid = nextDomid(state);
  state.db.modify('VM', vmRef, { power_state: paused ? 'Paused' : 'Running', resident_on: host.ref, domid, scheduled_to_be_resident_on: NULL_REF });
  createConsoles(state, vmRef, host);
  setMetrics(state, vmRef, true);
  void state.startServers(vmRef);
  reportGuestMetrics(state, vmRef, Math.max(50, state.powerOpMs / 2));
  log.info('VM running', { vm: str(vm, 'name_label'), host: host.name });
}

function takeDown(state: PoolState, vmRef: string, power: 'Halted' | 'Suspended'): void {
  destroyConsoles(state, vmRef);
  dropGuestMetrics(state, vmRef);
  state.db.modify('VM', vmRef, { power_state: power, resident_on: NULL_REF, domid: -1 });
  setMetrics(state, vmRef, false);
  void state.stopServers(vmRef);
}

function nextDomid(state: PoolState): number {
  let max = 0;
  for (const row of state.db.rows('VM')) if (typeof row.rec.domid === 'number' && row.rec.domid > max) max = row.rec.domid;
  return max + 1;
}

function applyTransition(state: PoolState, vmRef: string, op: PowerOp, args: OpArgs, target: HostRuntime | undefined): void {
  const vm = state.db.get('VM', vmRef) ?? fail('HANDLE_INVALID', 'VM', vmRef);
  switch (op) {
    case 'start':
    case 'resume': {
      const host = target ?? pickHost(state, vm);
      if (!host.up) fail('HOST_OFFLINE', host.ref);
      bootOn(state, vmRef, host, args.startPaused === true);
      return;
    }
    case 'clean_shutdown':
    case 'hard_shutdown':
      takeDown(state, vmRef, 'Halted');
      return;
    case 'suspend':
      takeDown(state, vmRef, 'Suspended');
      return;
    case 'clean_reboot':
    case 'hard_reboot': {
      const host = state.residentHost(vm) ?? fail('HOST_OFFLINE', str(vm, 'resident_on'));
      // The domain is destroyed and built again: new domid, new console rows, streams cut.
      destroyConsoles(state, vmRef);
      dropGuestMetrics(state, vmRef);
      state.db.modify('VM', vmRef, { domid: nextDomid(state), power_state: 'Running' });
      createConsoles(state, vmRef, host);
      setMetrics(state, vmRef, true);
      reportGuestMetrics(state, vmRef, Math.max(50, state.powerOpMs / 2));
      return;
    }
    case 'pool_migrate': {
      const host = target ?? fail('HANDLE_INVALID', 'host', args.migrateTo ?? '');
      // A destination that died during the memory copy fails the migration; the VM stays where it was.
      if (!host.up) fail('HOST_OFFLINE', host.ref);
      // The domain moves: the old host's console rows go, new ones name the new host.
      destroyConsoles(state, vmRef);
      state.db.modify('VM', vmRef, { resident_on: host.ref, domid: nextDomid(state) });
      createConsoles(state, vmRef, host);
      return;
    }
  }
}
