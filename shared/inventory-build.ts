/**
 * Builds inventory nodes (see `inventory.ts`) from raw XAPI records, and small diffs when records change.
 *
 * Pure code (no Node, no Electron): the main process feeds it `event.from` results, tests feed it records
 * parsed from database dumps. How it works:
 *
 * - `PoolInventory` keeps the records of the watched classes for one pool (pool, host, host_metrics,
 *   VM, VM_metrics, VM_guest_metrics, console, task) plus reverse indexes (metrics → VM or host, task →
 *   the VM whose `current_operations` names it, console → VM, control domain → host), because a change
 *   to one record can change another record's node (a task's progress shows on its VM's row).
 * - Every applied event marks the node ids it may affect as dirty. `takeDiff()` rebuilds only the dirty
 *   nodes and compares each with the node last handed out, by value: unchanged nodes are not sent.
 * - Templates, snapshots and control domains are not VM nodes; a control domain becomes its host's
 *   `controlDomainUuid` (the host entry opens dom0's console).
 *
 * Records arrive from the network, so every field is read defensively (`str`, `bool`, `strList`, `strMap`),
 * and what is shown is capped (`text`): a name past `MAX_NAME_CHARS` ends in "…", so a hostile or broken
 * host cannot push megabytes per node to the page. Records whose ref is longer than any opaque ref
 * (`MAX_REF_CHARS`) are ignored.
 */
import { VM_ACTIONS, type ConsoleRef, type HostNode, type InventoryNode, type PoolNode, type PowerState, type VmAction, type VmNode } from './inventory';
import type { ConsoleProtocol } from './contract';

/** XAPI's null reference. */
export const NULL_REF = 'OpaqueRef:NULL';

/** The XAPI classes the inventory needs (as `event.from` class names, lower case). */
export const INVENTORY_CLASSES = ['pool', 'host', 'host_metrics', 'vm', 'vm_metrics', 'vm_guest_metrics', 'console', 'task'] as const;
export type InventoryClass = (typeof INVENTORY_CLASSES)[number];

/** One event from `event.from` (or a synthetic `add` for a fetched record). */
export interface XapiEvent {
  class: string;
  operation: string;
  ref: string;
  snapshot?: unknown;
}

/** A record as it came off the wire: field name → value, not trusted. */
export type RawRecord = Record<string, unknown>;

/** Records of one pool keyed by class name (any case) and then by opaque ref. */
export type RecordTables = Partial<Record<string, Record<string, unknown>>>;

/** What a console lookup yields (for the console bridge). */
export interface ConsoleLookup {
  vmRef: string;
  vmUuid: string;
  vmName: string;
  consoleUuid: string;
  location: string;
  protocol: ConsoleProtocol;
}

/** The reasons a console lookup can fail (PortholeError codes). */
export type ConsoleLookupError = 'UNKNOWN_VM' | 'VM_NOT_RUNNING' | 'NO_CONSOLE';

function str(rec: RawRecord | undefined, field: string): string {
  const v = rec?.[field];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** Most characters of a name shown (pool, host, VM, OS), including the final "…". */
export const MAX_NAME_CHARS = 256;
/** Most characters of a VM description shown. */
export const MAX_DESCRIPTION_CHARS = 1024;
/** Most characters of a short value (address, IP, uuid, tag). */
export const MAX_SHORT_CHARS = 128;
/** Most tags shown per VM. */
export const MAX_TAGS = 64;
/** Longest ref accepted (`OpaqueRef:` + a uuid is 46). */
export const MAX_REF_CHARS = 128;

/** `value` cut to `max` characters with a visible "…" (never splitting a surrogate pair). */
export function capText(value: string, max: number): string {
  if (value.length <= max) return value;
  let cut = value.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** A field as display text, capped to `max` characters. */
function text(rec: RawRecord | undefined, field: string, max: number): string {
  return capText(str(rec, field), max);
}

function bool(rec: RawRecord | undefined, field: string): boolean {
  const v = rec?.[field];
  return v === true || v === 'true';
}

function strList(rec: RawRecord | undefined, field: string): string[] {
  const v = rec?.[field];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function strMap(rec: RawRecord | undefined, field: string): Record<string, string> {
  const v = rec?.[field];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** The keys of a map field (`current_operations`: task refs), without copying its values. */
function mapKeys(rec: RawRecord | undefined, field: string): string[] {
  const v = rec?.[field];
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.keys(v) : [];
}

function num(rec: RawRecord | undefined, field: string): number | undefined {
  const v = rec?.[field];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** A XAPI date (`20240501T10:02:24Z`, ISO 8601, or a Date) as ISO 8601; undefined for the epoch ("never") and junk. */
export function xapiDateToIso(value: unknown): string | undefined {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'string') {
    const m = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(value);
    if (m === null) return undefined;
    ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? 'Z'}`);
  } else return undefined;
  return Number.isFinite(ms) && ms > 86_400_000 ? new Date(ms).toISOString() : undefined;
}

/** Every address a guest agent reports (`N/ip`, `N/ipv4/M`, `N/ipv6/M`), by device then kind, without repeats. */
export function ipsOf(networks: Record<string, string>): string[] {
  const rank = (k: string): [number, number, number] => {
    const m = /^(\d+)\/(ip|ipv4|ipv6)(?:\/(\d+))?$/.exec(k);
    if (m === null) return [Infinity, 0, 0];
    return [Number(m[1]), m[2] === 'ipv6' ? 2 : m[2] === 'ip' ? 0 : 1, Number(m[3] ?? 0)];
  };
  const keys = Object.keys(networks).filter((k) => Number.isFinite(rank(k)[0]));
  keys.sort((a, b) => {
    const x = rank(a);
    const y = rank(b);
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  const out: string[] = [];
  for (const k of keys) {
    const v = networks[k];
    if (v !== undefined && v !== '' && !out.includes(v)) out.push(v);
  }
  return out;
}

function isRecord(value: unknown): value is RawRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Normalises a power state (`running`, `Running`) to the contract's spelling; unknown → Halted. */
export function powerStateOf(value: string): PowerState {
  const v = value.toLowerCase();
  if (v === 'running') return 'Running';
  if (v === 'suspended') return 'Suspended';
  if (v === 'paused') return 'Paused';
  return 'Halted';
}

/** The OS name a guest agent reports: `os_version.name` up to the first `|` (Windows adds paths). */
export function osNameOf(osVersion: Record<string, string>): string | undefined {
  const name = osVersion.name ?? osVersion.distro;
  if (name === undefined) return undefined;
  const first = name.split('|')[0]?.trim() ?? '';
  return first === '' ? undefined : first;
}

/** The first IP a guest agent reports: `0/ip`, then `0/ipv4/0`, then any IPv4, then any IPv6. */
export function ipOf(networks: Record<string, string>): string | undefined {
  const keys = Object.keys(networks).sort();
  const pick = (re: RegExp): string | undefined => {
    for (const k of keys) {
      const v = networks[k];
      if (re.test(k) && v !== undefined && v !== '') return v;
    }
    return undefined;
  };
  return pick(/^0\/ip$/) ?? pick(/^0\/ipv4\/0$/) ?? pick(/^\d+\/ip$/) ?? pick(/^\d+\/ipv4\/\d+$/) ?? pick(/^\d+\/ipv6\/\d+$/);
}

/** The power actions XAPI currently allows, in the UI's order. */
export function allowedActionsOf(allowedOperations: readonly string[]): VmAction[] {
  // A linear scan: the list is a dozen short strings, cheaper than building a Set per VM.
  return VM_ACTIONS.filter((a) => allowedOperations.includes(a));
}

/** Structural equality of plain JSON-like values (nodes), key order ignored. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => sameValue(ao[k], bo[k]));
}

function addIndex(index: Map<string, Set<string>>, key: string, ref: string): void {
  if (key === '' || key === NULL_REF) return;
  let set = index.get(key);
  if (set === undefined) index.set(key, (set = new Set()));
  set.add(ref);
}

function dropIndex(index: Map<string, Set<string>>, key: string, ref: string): void {
  const set = index.get(key);
  set?.delete(ref);
  if (set?.size === 0) index.delete(key);
}

/** True for an HVM guest: `domain_type` when present, else an HVM boot policy (older xapi). */
function isHvmRecord(rec: RawRecord): boolean {
  const dt = str(rec, 'domain_type');
  if (dt !== '' && dt !== 'unspecified') return dt === 'hvm';
  return str(rec, 'HVM_boot_policy') !== '';
}

/**
 * The fields kept of each class's records: what the nodes and the console lookup read. A XAPI VM
 * record has about a hundred fields (2 KB of JSON); keeping only these holds 10,000 VMs in a fraction
 * of the memory the full records take.
 */
export const KEPT_FIELDS: Record<InventoryClass, readonly string[]> = {
  pool: ['name_label', 'name_description', 'master', 'tags'],
  host: ['uuid', 'name_label', 'address', 'enabled', 'tags', 'control_domain', 'metrics', 'software_version', 'cpu_info'],
  host_metrics: ['live', 'memory_total', 'memory_free'],
  vm: [
    'uuid', 'name_label', 'name_description', 'power_state', 'is_a_template', 'is_a_snapshot', 'is_control_domain', 'resident_on',
    'tags', 'allowed_operations', 'current_operations', 'consoles', 'domain_type', 'HVM_boot_policy', 'VCPUs_at_startup',
    'memory_static_max', 'guest_metrics', 'metrics',
  ],
  vm_guest_metrics: ['os_version', 'networks', 'PV_drivers_version', 'PV_drivers_detected', 'PV_drivers_up_to_date'],
  vm_metrics: ['VCPUs_number', 'memory_actual', 'start_time'],
  console: ['uuid', 'protocol', 'location', 'VM'],
  task: ['progress'],
};

/** A record with only its class's `KEPT_FIELDS` (a plain object: no kept field is named `__proto__`, and plain objects stay in V8's compact fast mode). */
function project(cls: InventoryClass, rec: RawRecord): RawRecord {
  const out: RawRecord = {};
  for (const field of KEPT_FIELDS[cls]) {
    const v = rec[field];
    if (v !== undefined) out[field] = v;
  }
  return out;
}

/** Canonical class name for an event class or dump table name (`VM` → `vm`). */
function classOf(name: string): InventoryClass | undefined {
  const lc = name.toLowerCase();
  return (INVENTORY_CLASSES as readonly string[]).includes(lc) ? (lc as InventoryClass) : undefined;
}

/** The records of one pool, and the nodes last handed out for it. */
export class PoolInventory {
  /** The pool id used as the node id prefix. */
  readonly poolId: string;
  private readonly tables: Record<InventoryClass, Map<string, RawRecord>> = {
    pool: new Map(),
    host: new Map(),
    host_metrics: new Map(),
    vm: new Map(),
    vm_metrics: new Map(),
    vm_guest_metrics: new Map(),
    console: new Map(),
    task: new Map(),
  };
  private readonly vmByUuid = new Map<string, string>();
  private readonly vmsByMetrics = new Map<string, Set<string>>();
  private readonly vmsByVmMetrics = new Map<string, Set<string>>();
  private readonly hostsByMetrics = new Map<string, Set<string>>();
  private readonly vmsByTask = new Map<string, Set<string>>();
  private readonly emitted = new Map<string, InventoryNode>();
  /** Dirty refs (not node ids): pools, hosts and VMs whose node must be rebuilt. */
  private readonly dirty = new Set<string>();
  /** True during `load`: `touch` marks only the record itself (everything is rebuilt anyway). */
  private loading = false;

  constructor(poolId: string) {
    this.poolId = poolId;
  }

  /** Node id for an opaque ref of this pool. */
  nodeId(ref: string): string {
    return `${this.poolId}/${ref}`;
  }

  /** True when some node may have changed since the last `takeDiff`. */
  get hasChanges(): boolean {
    return this.dirty.size > 0;
  }

  /** Replaces every record (a full fetch or a resync after reconnecting); `takeDiff` then sends only real changes. */
  load(tables: RecordTables): void {
    this.replaceAll(() => {
      for (const [name, rows] of Object.entries(tables)) {
        const cls = classOf(name);
        if (cls === undefined || rows === undefined) continue;
        for (const [ref, rec] of Object.entries(rows)) if (isRecord(rec) && ref.length <= MAX_REF_CHARS) this.put(cls, ref, rec);
      }
    });
  }

  /** Like `load`, from the events of a full `event.from` reply (token ""): every `add`/`mod` snapshot, later ones winning. */
  loadEvents(events: readonly XapiEvent[]): void {
    this.replaceAll(() => {
      for (const e of events) {
        if (e.operation === 'del') continue;
        const cls = classOf(e.class);
        if (cls !== undefined && typeof e.ref === 'string' && e.ref.length <= MAX_REF_CHARS && isRecord(e.snapshot)) this.put(cls, e.ref, e.snapshot);
      }
    });
  }

  /** Clears every record, marks every node handed out as dirty, then lets `fill` put the new records. */
  private replaceAll(fill: () => void): void {
    for (const ref of this.allRefs()) this.dirty.add(ref);
    for (const id of this.emitted.keys()) this.dirty.add(id.slice(this.poolId.length + 1));
    for (const t of Object.values(this.tables)) t.clear();
    this.vmByUuid.clear();
    this.vmsByMetrics.clear();
    this.vmsByVmMetrics.clear();
    this.hostsByMetrics.clear();
    this.vmsByTask.clear();
    // Every pool, host and VM is rebuilt after a load, so the records they depend on need not mark them.
    this.loading = true;
    try {
      fill();
    } finally {
      this.loading = false;
    }
  }

  /** Applies `event.from` events (classes not watched here are ignored). */
  applyEvents(events: readonly XapiEvent[]): void {
    for (const e of events) {
      const cls = classOf(e.class);
      if (cls === undefined || typeof e.ref !== 'string' || e.ref.length > MAX_REF_CHARS) continue;
      if (e.operation === 'del') this.del(cls, e.ref);
      else if (isRecord(e.snapshot)) this.put(cls, e.ref, e.snapshot);
    }
  }

  /** Forgets everything: the next `takeDiff` removes every node handed out. */
  clear(): void {
    this.load({});
  }

  /** Rebuilds the dirty nodes and returns those that differ (by value) from the last ones handed out. */
  takeDiff(): { upserts: InventoryNode[]; removes: string[] } {
    const upserts: InventoryNode[] = [];
    const removes: string[] = [];
    for (const ref of this.dirty) {
      const id = this.nodeId(ref);
      const node = this.build(ref);
      const old = this.emitted.get(id);
      if (node === undefined) {
        if (old !== undefined) {
          this.emitted.delete(id);
          removes.push(id);
        }
      } else if (old === undefined || !sameValue(old, node)) {
        this.emitted.set(id, node);
        upserts.push(node);
      }
    }
    this.dirty.clear();
    return { upserts, removes };
  }

  /** The nodes last handed out by `takeDiff` (what the page has). */
  nodes(): IterableIterator<InventoryNode> {
    return this.emitted.values();
  }

  /** Number of nodes handed out. */
  get size(): number {
    return this.emitted.size;
  }

  /** A record by class and ref. */
  record(cls: InventoryClass, ref: string): RawRecord | undefined {
    return this.tables[cls].get(ref);
  }

  /** The ref of the VM (or control domain) with this uuid. */
  vmRef(uuid: string): string | undefined {
    return this.vmByUuid.get(uuid);
  }

  /** The pool's master host ref, when known. */
  masterRef(): string | undefined {
    for (const rec of this.tables.pool.values()) {
      const m = str(rec, 'master');
      if (m !== '' && m !== NULL_REF) return m;
    }
    return undefined;
  }

  /** Every host: ref, name and management address (for failover candidates and member pins). */
  hosts(): { ref: string; uuid: string; name: string; address: string }[] {
    return [...this.tables.host].map(([ref, rec]) => ({ ref, uuid: str(rec, 'uuid'), name: str(rec, 'name_label'), address: str(rec, 'address') }));
  }

  /** The current console of a VM (first of that protocol), or why there is none. */
  resolveConsole(vmUuid: string, protocol: ConsoleProtocol): ConsoleLookup | ConsoleLookupError {
    const vmRef = this.vmByUuid.get(vmUuid);
    const vm = vmRef === undefined ? undefined : this.tables.vm.get(vmRef);
    if (vmRef === undefined || vm === undefined || bool(vm, 'is_a_template') || bool(vm, 'is_a_snapshot')) return 'UNKNOWN_VM';
    const power = powerStateOf(str(vm, 'power_state'));
    if (power !== 'Running' && power !== 'Paused') return 'VM_NOT_RUNNING';
    for (const cref of strList(vm, 'consoles')) {
      const c = this.tables.console.get(cref);
      if (c !== undefined && str(c, 'protocol') === protocol && str(c, 'location') !== '') {
        return { vmRef, vmUuid, vmName: str(vm, 'name_label'), consoleUuid: str(c, 'uuid'), location: str(c, 'location'), protocol };
      }
    }
    return 'NO_CONSOLE';
  }

  private *allRefs(): Generator<string> {
    yield* this.tables.pool.keys();
    yield* this.tables.host.keys();
    yield* this.tables.vm.keys();
  }

  private put(cls: InventoryClass, ref: string, raw: RawRecord): void {
    const rec = project(cls, raw);
    const old = this.tables[cls].get(ref);
    this.touch(cls, ref, old);
    this.tables[cls].set(ref, rec);
    if (cls === 'vm') {
      if (old !== undefined) this.unindexVm(ref, old);
      this.vmByUuid.set(str(rec, 'uuid'), ref);
      addIndex(this.vmsByMetrics, str(rec, 'guest_metrics'), ref);
      addIndex(this.vmsByVmMetrics, str(rec, 'metrics'), ref);
      for (const task of mapKeys(rec, 'current_operations')) addIndex(this.vmsByTask, task, ref);
    } else if (cls === 'host') {
      if (old !== undefined) dropIndex(this.hostsByMetrics, str(old, 'metrics'), ref);
      addIndex(this.hostsByMetrics, str(rec, 'metrics'), ref);
    }
    this.touch(cls, ref, rec);
  }

  private del(cls: InventoryClass, ref: string): void {
    const old = this.tables[cls].get(ref);
    if (old === undefined) return;
    this.touch(cls, ref, old);
    this.tables[cls].delete(ref);
    if (cls === 'vm') this.unindexVm(ref, old);
    else if (cls === 'host') dropIndex(this.hostsByMetrics, str(old, 'metrics'), ref);
  }

  private unindexVm(ref: string, rec: RawRecord): void {
    const uuid = str(rec, 'uuid');
    if (this.vmByUuid.get(uuid) === ref) this.vmByUuid.delete(uuid);
    dropIndex(this.vmsByMetrics, str(rec, 'guest_metrics'), ref);
    dropIndex(this.vmsByVmMetrics, str(rec, 'metrics'), ref);
    for (const task of mapKeys(rec, 'current_operations')) dropIndex(this.vmsByTask, task, ref);
  }

  /** Marks the refs whose node depends on this record (called with the old and the new record). */
  private touch(cls: InventoryClass, ref: string, rec: RawRecord | undefined): void {
    if (this.loading) {
      if (cls === 'pool' || cls === 'host' || cls === 'vm') this.dirty.add(ref);
      return;
    }
    switch (cls) {
      case 'pool':
        this.dirty.add(ref);
        break;
      case 'host':
        this.dirty.add(ref);
        // The pool node is named after the master when the pool has no name.
        for (const p of this.tables.pool.keys()) this.dirty.add(p);
        break;
      case 'vm':
        this.dirty.add(ref);
        if (bool(rec, 'is_control_domain')) {
          const host = str(rec, 'resident_on');
          if (host !== '') this.dirty.add(host);
          for (const [href, h] of this.tables.host) if (str(h, 'control_domain') === ref) this.dirty.add(href);
        }
        break;
      case 'vm_guest_metrics':
        for (const vm of this.vmsByMetrics.get(ref) ?? []) this.dirty.add(vm);
        break;
      case 'vm_metrics':
        for (const vm of this.vmsByVmMetrics.get(ref) ?? []) this.dirty.add(vm);
        break;
      case 'host_metrics':
        for (const host of this.hostsByMetrics.get(ref) ?? []) this.dirty.add(host);
        break;
      case 'task':
        for (const vm of this.vmsByTask.get(ref) ?? []) this.dirty.add(vm);
        break;
      case 'console': {
        const vm = str(rec, 'VM');
        if (vm !== '' && vm !== NULL_REF) this.dirty.add(vm);
        break;
      }
    }
  }

  private build(ref: string): InventoryNode | undefined {
    const pool = this.tables.pool.get(ref);
    if (pool !== undefined) return this.buildPool(ref, pool);
    const host = this.tables.host.get(ref);
    if (host !== undefined) return this.buildHost(ref, host);
    const vm = this.tables.vm.get(ref);
    if (vm !== undefined) return this.buildVm(ref, vm);
    return undefined;
  }

  private buildPool(ref: string, rec: RawRecord): PoolNode {
    let name = text(rec, 'name_label', MAX_NAME_CHARS);
    const master = str(rec, 'master');
    if (name === '') name = text(this.tables.host.get(master), 'name_label', MAX_NAME_CHARS);
    const node: PoolNode = { kind: 'pool', id: this.nodeId(ref), poolId: this.poolId, name, description: text(rec, 'name_description', MAX_DESCRIPTION_CHARS), tags: strList(rec, 'tags') };
    if (this.tables.host.has(master)) node.masterId = this.nodeId(master);
    return node;
  }

  private buildHost(ref: string, rec: RawRecord): HostNode {
    const node: HostNode = {
      kind: 'host',
      id: this.nodeId(ref),
      poolId: this.poolId,
      ref,
      uuid: text(rec, 'uuid', MAX_SHORT_CHARS),
      name: text(rec, 'name_label', MAX_NAME_CHARS),
      address: text(rec, 'address', MAX_SHORT_CHARS),
      enabled: bool(rec, 'enabled'),
      tags: strList(rec, 'tags'),
    };
    const dom0 = this.controlDomainOf(ref, rec);
    if (dom0 !== undefined) node.controlDomainUuid = dom0;
    const metrics = this.tables.host_metrics.get(str(rec, 'metrics'));
    if (metrics !== undefined) {
      node.live = bool(metrics, 'live');
      const total = num(metrics, 'memory_total');
      const free = num(metrics, 'memory_free');
      if (total !== undefined) node.memoryTotal = total;
      if (free !== undefined) node.memoryFree = free;
    }
    const sw = strMap(rec, 'software_version');
    const brand = sw.product_brand ?? sw.platform_name;
    const version = sw.product_version ?? sw.platform_version;
    if (brand !== undefined || version !== undefined) node.version = [brand, version].filter((x) => x !== undefined).join(' ');
    const cpus = Number(strMap(rec, 'cpu_info').cpu_count);
    if (Number.isInteger(cpus) && cpus > 0) node.cpuCount = cpus;
    return node;
  }

  private controlDomainOf(hostRef: string, host: RawRecord): string | undefined {
    const cd = this.tables.vm.get(str(host, 'control_domain'));
    if (cd !== undefined) return text(cd, 'uuid', MAX_SHORT_CHARS);
    // Older hosts have no host.control_domain: the control domain resident on the host.
    for (const vm of this.tables.vm.values()) {
      if (bool(vm, 'is_control_domain') && str(vm, 'resident_on') === hostRef) return text(vm, 'uuid', MAX_SHORT_CHARS);
    }
    return undefined;
  }

  private buildVm(ref: string, rec: RawRecord): VmNode | undefined {
    if (bool(rec, 'is_a_template') || bool(rec, 'is_a_snapshot') || bool(rec, 'is_control_domain')) return undefined;
    const powerState = powerStateOf(str(rec, 'power_state'));
    const allowed = strList(rec, 'allowed_operations');
    const node: VmNode = {
      kind: 'vm',
      id: this.nodeId(ref),
      poolId: this.poolId,
      ref,
      uuid: text(rec, 'uuid', MAX_SHORT_CHARS),
      name: text(rec, 'name_label', MAX_NAME_CHARS),
      description: text(rec, 'name_description', MAX_DESCRIPTION_CHARS),
      powerState,
      tags: strList(rec, 'tags')
        .slice(0, MAX_TAGS)
        .map((t) => capText(t, MAX_SHORT_CHARS)),
      allowedActions: allowedActionsOf(allowed),
      canMigrate: allowed.includes('pool_migrate'),
      consoles: this.consolesOf(rec),
      hvm: isHvmRecord(rec),
      tools: 'none',
      ips: [],
      vcpus: num(rec, 'VCPUs_at_startup') ?? 0,
      memoryBytes: num(rec, 'memory_static_max') ?? 0,
    };
    const live = powerState === 'Running' || powerState === 'Paused';
    const resident = str(rec, 'resident_on');
    if (live && resident !== '' && resident !== NULL_REF) node.hostId = this.nodeId(resident);
    const gm = this.tables.vm_guest_metrics.get(str(rec, 'guest_metrics'));
    if (gm !== undefined) {
      const osVersion = strMap(gm, 'os_version');
      const os = osNameOf(osVersion);
      if (os !== undefined) node.os = capText(os, MAX_NAME_CHARS);
      if (osVersion.major !== undefined) node.osVersion = capText(osVersion.minor === undefined ? osVersion.major : `${osVersion.major}.${osVersion.minor}`, MAX_SHORT_CHARS);
      const networks = strMap(gm, 'networks');
      const ip = ipOf(networks);
      if (ip !== undefined) node.ip = capText(ip, MAX_SHORT_CHARS);
      node.ips = ipsOf(networks).map((x) => capText(x, MAX_SHORT_CHARS));
      const drivers = strMap(gm, 'PV_drivers_version');
      node.tools = Object.keys(drivers).length === 0 && !bool(gm, 'PV_drivers_detected') ? 'none' : bool(gm, 'PV_drivers_up_to_date') ? 'running' : 'outdated';
    }
    const metrics = this.tables.vm_metrics.get(str(rec, 'metrics'));
    if (live && metrics !== undefined) {
      const vcpus = num(metrics, 'VCPUs_number');
      const memory = num(metrics, 'memory_actual');
      if (vcpus !== undefined && vcpus > 0) node.vcpus = vcpus;
      if (memory !== undefined && memory > 0) node.memoryBytes = memory;
      const started = xapiDateToIso(metrics.start_time);
      if (started !== undefined) node.startTime = started;
    }
    const ops = Object.entries(strMap(rec, 'current_operations'));
    const first = ops[0];
    if (first !== undefined) {
      const [taskRef, op] = first;
      node.operation = { op, taskRef };
      const task = this.tables.task.get(taskRef);
      const progress = num(task, 'progress');
      if (progress !== undefined) node.operation.progress = Math.min(1, Math.max(0, progress));
    }
    return node;
  }

  private consolesOf(rec: RawRecord): ConsoleRef[] {
    const out: ConsoleRef[] = [];
    for (const cref of strList(rec, 'consoles')) {
      const c = this.tables.console.get(cref);
      const protocol = str(c, 'protocol');
      if (protocol === 'rfb' || protocol === 'vt100' || protocol === 'rdp') out.push({ uuid: text(c, 'uuid', MAX_SHORT_CHARS), protocol });
    }
    return out;
  }
}
