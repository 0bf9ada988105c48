/**
 * Turns rows from a dump (or the generator) into the live simulated pool.
 *
 * - `planHosts` orders the hosts (master first) and gives each a loopback address: 127.0.0.11, .12, …
 *   (`address-per-host`), or 127.0.0.1 for all of them (`port-per-host`: each gets its own port).
 * - `installRows` loads the rows into the database and makes them consistent with that plan: host
 *   addresses replaced, console `location`s rewritten to `https://<new address>:<port>/console?…`
 *   (the `?ref=` form is kept where the dump has it, as xapi's `create_misc.ml` writes it for dom0),
 *   fields newer than an old dump filled with xapi's defaults, and every VM's `allowed_operations`
 *   recomputed the way xapi does at start-up, and VM_metrics rows shared by several VMs split into one
 *   per VM. Dangling rows (a console whose VM does not exist) are kept.
 */
import type { DumpRow } from './dump';
import { SERVED_CLASSES } from './dump';
import { computeAllowed } from './lifecycle';
import type { PoolState, HostTls } from './state';
import { NULL_REF, isMap, newRef, newUuid, str, strs, type XRecord } from './values';

/** A host of the plan. */
export interface PlannedHost {
  ref: string;
  uuid: string;
  name: string;
  address: string;
  /** Address in the dump, for rewriting console locations. */
  oldAddress: string;
}

/** The address `index` places after `first` (127.0.0.11 + 2 → 127.0.0.13). */
export function nthAddress(first: string, index: number): string {
  const parts = first.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`bad IPv4 address ${first}`);
  let n = ((parts[0] ?? 0) << 24 >>> 0) + ((parts[1] ?? 0) << 16) + ((parts[2] ?? 0) << 8) + (parts[3] ?? 0) + index;
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    out.unshift(n & 255);
    n = Math.floor(n / 256);
  }
  return out.join('.');
}

/** Orders the hosts of `rows` (master first) and assigns loopback addresses (`firstAddress` + i, or all the same). */
export function planHosts(rows: readonly DumpRow[], firstAddress: string, sameAddress = false): PlannedHost[] {
  const pool = rows.find((r) => r.cls === 'pool');
  const master = str(pool?.rec, 'master');
  const hosts = rows.filter((r) => r.cls === 'host');
  hosts.sort((a, b) => (a.ref === master ? -1 : b.ref === master ? 1 : 0));
  return hosts.map((h, i) => ({
    ref: h.ref,
    uuid: str(h.rec, 'uuid'),
    name: str(h.rec, 'name_label') || str(h.rec, 'hostname') || `host${i + 1}`,
    address: sameAddress ? firstAddress : nthAddress(firstAddress, i),
    oldAddress: str(h.rec, 'address'),
  }));
}

const LOCATION_RE = /^(https?):\/\/([^/:?]+|\[[^\]]+\])(?::\d+)?(\/console)?\?(uuid|ref)=(.*)$/;

function withDefaults(rec: XRecord, defaults: XRecord): XRecord {
  const out = { ...rec };
  for (const [k, v] of Object.entries(defaults)) if (out[k] === undefined) out[k] = v;
  return out;
}

/** Creates the runtime entry of every planned host (before listening). */
export function addHosts(state: PoolState, plan: readonly PlannedHost[], tls: readonly HostTls[]): void {
  plan.forEach((p, i) => {
    const t = tls[i];
    if (t === undefined) throw new Error('missing TLS identity');
    state.hosts.push({ ref: p.ref, uuid: p.uuid, name: p.name, address: p.address, port: 0, up: true, bootingUntilMs: 0, tls: t });
  });
}

/** Loads `rows` into `state` following `plan` (hosts added and listening first, so their ports are known). */
export function installRows(state: PoolState, rows: readonly DumpRow[], plan: readonly PlannedHost[]): void {
  for (const cls of SERVED_CLASSES) state.db.declare(cls);
  const byOldAddress = new Map(plan.map((p) => [p.oldAddress, p]));
  const planByRef = new Map(plan.map((p) => [p.ref, p]));
  const vms = new Map(rows.filter((r) => r.cls === 'VM').map((r) => [r.ref, r.rec]));
  const dom0Of = (hostRef: string): string => {
    for (const [ref, vm] of vms) if (vm.is_control_domain === true && str(vm, 'resident_on') === hostRef) return ref;
    return NULL_REF;
  };
  let havePool = false;
  // xapi gives every VM its own VM_metrics row; a dump whose VMs share one (interesting-development.xml)
  // gets a copy per extra VM, or one VM's start would change the others' figures.
  const metricsRows = new Map(rows.filter((r) => r.cls === 'VM_metrics').map((r) => [r.ref, r.rec]));
  const metricsUsed = new Set<string>();
  for (const row of rows) {
    let rec = row.rec;
    if (row.cls === 'VM') {
      const m = str(rec, 'metrics');
      const shared = metricsRows.get(m);
      if (shared !== undefined && metricsUsed.has(m)) {
        const copy = state.db.add('VM_metrics', newRef(), { ...shared, uuid: newUuid() });
        rec = { ...rec, metrics: copy };
      }
      metricsUsed.add(m);
    }
    switch (row.cls) {
      case 'pool':
        if (havePool) continue; // one pool object only
        havePool = true;
        rec = withDefaults(rec, { other_config: {}, limit_console_sessions: false, vm_console_idle_timeout: 0, name_label: '', tags: [] });
        break;
      case 'host': {
        const p = planByRef.get(row.ref);
        rec = withDefaults(rec, { enabled: true, console_idle_timeout: 0, other_config: {}, tags: [] });
        if (p !== undefined) rec.address = p.address;
        const cd = str(rec, 'control_domain');
        if (cd === '' || cd === NULL_REF) rec.control_domain = dom0Of(row.ref);
        break;
      }
      case 'host_metrics':
        rec = withDefaults(rec, { live: true });
        break;
      case 'console': {
        const m = LOCATION_RE.exec(str(rec, 'location'));
        if (m !== null) {
          const [, , oldHost, , form, id] = m;
          let target = byOldAddress.get(oldHost ?? '');
          if (target === undefined) target = planByRef.get(str(vms.get(str(rec, 'VM')), 'resident_on'));
          const host = target === undefined ? undefined : state.hostByRef(target.ref);
          if (host !== undefined) rec = { ...rec, location: state.consoleLocation(host, id ?? '', form === 'ref' ? 'ref' : 'uuid') };
        }
        rec = withDefaults(rec, { other_config: {} });
        break;
      }
      case 'VM': {
        rec = withDefaults(rec, { current_operations: {}, consoles: [], tags: [], other_config: {}, blocked_operations: {} });
        if (!isMap(rec.current_operations)) rec.current_operations = {};
        if (rec.domain_type === undefined) rec.domain_type = rec.is_control_domain === true ? 'pv' : str(rec, 'HVM_boot_policy') !== '' ? 'hvm' : 'pv';
        break;
      }
      default:
        break;
    }
    state.db.add(row.cls, row.ref, rec);
  }
  if (!havePool) {
    state.db.add('pool', newRef(), {
      uuid: newUuid(), name_label: '', name_description: '', master: plan[0]?.ref ?? NULL_REF, other_config: {},
      limit_console_sessions: false, vm_console_idle_timeout: 0, tags: [],
    });
  }
  // Allowed operations as xapi recomputes them at start-up (current_operations are dropped on restart).
  for (const row of [...state.db.rows('VM')]) {
    const vm = { ...row.rec, current_operations: {} };
    const gm = str(vm, 'guest_metrics');
    const drivers = gm !== '' && gm !== NULL_REF && state.db.get('VM_guest_metrics', gm) !== undefined;
    const allowed = computeAllowed(vm, drivers);
    const before = strs(row.rec, 'allowed_operations');
    if (before.join() !== allowed.join() || Object.keys(row.rec.current_operations as object).length > 0) {
      row.rec = { ...row.rec, current_operations: {}, allowed_operations: allowed };
    }
  }
}
