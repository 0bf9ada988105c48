/**
 * Builds inventory nodes (see `inventory.ts`) from raw XAPI records, and small diffs when records change.
 *
 * Pure code (no Node, no Electron): the main process feeds it `event.from` results, tests feed it records
 * parsed from database dumps. How it works:
 *
 * - `PoolInventory` keeps the records of the watched classes for one pool (pool, host, VM,
 *   VM_guest_metrics, console) plus reverse indexes (guest metrics → VM, console → VM, control domain →
 *   host), because a change to one record can change another record's node.
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
export const INVENTORY_CLASSES = ['pool', 'host', 'vm', 'vm_guest_metrics', 'console'] as const;
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
export function allowedActionsOf(allowedOperations: string[]): VmAction[] {
  const set = new Set(allowedOperations);
  return VM_ACTIONS.filter((a) => set.has(a));
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
    vm: new Map(),
    vm_guest_metrics: new Map(),
    console: new Map(),
  };
  private readonly vmByUuid = new Map<string, string>();
  private readonly vmsByMetrics = new Map<string, Set<string>>();
  private readonly emitted = new Map<string, InventoryNode>();
  /** Dirty refs (not node ids): pools, hosts and VMs whose node must be rebuilt. */
  private readonly dirty = new Set<string>();

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
    for (const ref of this.allRefs()) this.dirty.add(ref);
    for (const id of this.emitted.keys()) this.dirty.add(id.slice(this.poolId.length + 1));
    for (const t of Object.values(this.tables)) t.clear();
    this.vmByUuid.clear();
    this.vmsByMetrics.clear();
    for (const [name, rows] of Object.entries(tables)) {
      const cls = classOf(name);
      if (cls === undefined || rows === undefined) continue;
      for (const [ref, rec] of Object.entries(rows)) if (isRecord(rec) && ref.length <= MAX_REF_CHARS) this.put(cls, ref, rec);
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

  private put(cls: InventoryClass, ref: string, rec: RawRecord): void {
    const old = this.tables[cls].get(ref);
    this.touch(cls, ref, old);
    this.tables[cls].set(ref, rec);
    if (cls === 'vm') {
      if (old !== undefined) this.unindexVm(ref, old);
      this.vmByUuid.set(str(rec, 'uuid'), ref);
      const gm = str(rec, 'guest_metrics');
      if (gm !== '' && gm !== NULL_REF) {
        let set = this.vmsByMetrics.get(gm);
        if (set === undefined) this.vmsByMetrics.set(gm, (set = new Set()));
        set.add(ref);
      }
    }
    this.touch(cls, ref, rec);
  }

  private del(cls: InventoryClass, ref: string): void {
    const old = this.tables[cls].get(ref);
    if (old === undefined) return;
    this.touch(cls, ref, old);
    this.tables[cls].delete(ref);
    if (cls === 'vm') this.unindexVm(ref, old);
  }

  private unindexVm(ref: string, rec: RawRecord): void {
    const uuid = str(rec, 'uuid');
    if (this.vmByUuid.get(uuid) === ref) this.vmByUuid.delete(uuid);
    const gm = str(rec, 'guest_metrics');
    const set = this.vmsByMetrics.get(gm);
    set?.delete(ref);
    if (set?.size === 0) this.vmsByMetrics.delete(gm);
  }

  /** Marks the refs whose node depends on this record (called with the old and the new record). */
  private touch(cls: InventoryClass, ref: string, rec: RawRecord | undefined): void {
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
    if (name === '') name = text(this.tables.host.get(str(rec, 'master')), 'name_label', MAX_NAME_CHARS);
    return { kind: 'pool', id: this.nodeId(ref), poolId: this.poolId, name };
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
    };
    const dom0 = this.controlDomainOf(ref, rec);
    if (dom0 !== undefined) node.controlDomainUuid = dom0;
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
      allowedActions: allowedActionsOf(strList(rec, 'allowed_operations')),
      consoles: this.consolesOf(rec),
    };
    const resident = str(rec, 'resident_on');
    if ((powerState === 'Running' || powerState === 'Paused') && resident !== '' && resident !== NULL_REF) node.hostId = this.nodeId(resident);
    const gm = this.tables.vm_guest_metrics.get(str(rec, 'guest_metrics'));
    if (gm !== undefined) {
      const os = osNameOf(strMap(gm, 'os_version'));
      if (os !== undefined) node.os = capText(os, MAX_NAME_CHARS);
      const ip = ipOf(strMap(gm, 'networks'));
      if (ip !== undefined) node.ip = capText(ip, MAX_SHORT_CHARS);
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
