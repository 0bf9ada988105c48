/**
 * The whole simulated pool in one object: the database, the sessions, each host's runtime state
 * (address, up or down, still booting, TLS identity), the console servers behind running VMs and the
 * counters `stats()` reports. The RPC layer, the console proxy and the HTTPS servers all work on it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { getLogger } from '../../shared/log';
import { Database } from './db';
import { Sessions } from './sessions';
import { NULL_REF, str, type XRecord } from './values';
import { startConsoleServers, type VmConsoleServers } from './backends';
import type { VncKind, VncLaunchers } from './vnc/types';

const log = getLogger('sim');

/** TLS identity of one host. */
export interface HostTls {
  key: string;
  cert: string;
  /** SHA-256 of the DER, upper-case hex with colons. */
  fingerprint: string;
}

/** Runtime state of one host (its database row is in `db`). */
export interface HostRuntime {
  ref: string;
  uuid: string;
  name: string;
  address: string;
  /** The HTTPS port it listens on (shared by all hosts, or its own in `port-per-host` mode). */
  port: number;
  /** False after stopHost/failover: the listener is closed. */
  up: boolean;
  /** Logins answer HOST_STILL_BOOTING until this time (ms since epoch). */
  bootingUntilMs: number;
  tls: HostTls;
}

/** One open console tunnel. */
export interface Tunnel {
  vmRef: string;
  consoleRef: string;
  user: string;
  sessionRef: string;
  socket: Socket;
}

/** Picks the console server kind for a VM. */
export type VncChooser = (vmName: string, isControlDomain: boolean) => VncKind;

/** The simulated pool. */
export class PoolState {
  readonly db = new Database();
  readonly sessions = new Sessions();
  readonly hosts: HostRuntime[] = [];
  /** Duration of a VM start; other operations are proportional. */
  powerOpMs = 1500;
  /** Extra delay before each RPC reply (slowReplies fault). */
  replyDelayMs = 0;
  /** Rewrites successful RPC results (tamperReplies fault): a hostile or broken pool. */
  tamper: ((method: string, result: unknown) => unknown) | undefined;
  /** Calls of this method wait until the hold is lifted (holdCalls fault). */
  private heldMethod: string | undefined;
  private readonly heldCalls: (() => void)[] = [];
  loginAttempts = 0;
  readonly connectsByStatus: Record<string, number> = {};
  /** CONNECT answers that reached a VM (200 and 503), by VM uuid then status. */
  readonly connectsByVm: Record<string, Record<string, number>> = {};
  readonly tunnels = new Set<Tunnel>();
  rpcConnections = 0;
  /** Set by stop(): blocked calls return at once. */
  closed = false;
  /** `holdOperations` fault: running operations stop advancing past this task progress (0..1) until released. */
  holdProgress: number | undefined;
  /** Operations parked by `holdProgress`, resumed by `releaseOperations`. */
  readonly held = new Set<() => void>();
  private readonly servers = new Map<string, Promise<VmConsoleServers>>();
  private readonly ready = new Map<string, VmConsoleServers>();
  private stopping = false;

  constructor(
    readonly workDir: string,
    readonly chooseVnc: VncChooser,
    readonly launchers: VncLaunchers = {},
  ) {
    this.sessions.onExpire = () => this.db.wake();
  }

  /** The pool object's ref. */
  /** Waits while calls of `method` are held (holdCalls fault); at once otherwise or once stopped. */
  async gate(method: string): Promise<void> {
    if (method !== this.heldMethod || this.closed) return;
    await new Promise<void>((resolve) => this.heldCalls.push(resolve));
  }

  /** How many calls wait at the hold now. */
  heldCallCount(): number {
    return this.heldCalls.length;
  }

  /** Holds every call of `method` until `holdCalls(undefined)` (which lets the held ones run). */
  holdCalls(method: string | undefined): void {
    this.heldMethod = method;
    if (method === undefined) for (const resume of this.heldCalls.splice(0)) resume();
  }

  poolRef(): string {
    const first = this.db.rows('pool').next();
    if (first.done === true) throw new Error('no pool object');
    return first.value.ref;
  }

  /** The pool record. */
  pool(): XRecord {
    return this.db.get('pool', this.poolRef()) ?? {};
  }

  /** The current master's runtime entry. */
  master(): HostRuntime {
    const ref = str(this.pool(), 'master');
    const h = this.hosts.find((x) => x.ref === ref);
    if (h === undefined) throw new Error('pool.master names no host');
    return h;
  }

  /** Host by ref. */
  hostByRef(ref: string): HostRuntime | undefined {
    return this.hosts.find((h) => h.ref === ref);
  }

  /** Host by name label, uuid, address or ref. */
  findHost(key: string): HostRuntime | undefined {
    return this.hosts.find((h) => h.name === key || h.uuid === key || h.address === key || h.ref === key);
  }

  /** VM ref by uuid or name label. */
  findVm(key: string): string | undefined {
    const byUuid = this.db.byUuid('VM', key);
    if (byUuid !== undefined) return byUuid;
    if (this.db.get('VM', key) !== undefined) return key;
    for (const row of this.db.rows('VM')) if (row.rec.name_label === key) return row.ref;
    return undefined;
  }

  /** The console location xapi writes for a console on this host (port left out when 443). */
  consoleLocation(host: HostRuntime, consoleUuidOrRef: string, form: 'uuid' | 'ref' = 'uuid'): string {
    const port = host.port === 443 ? '' : `:${host.port}`;
    return `https://${host.address}${port}/console?${form}=${consoleUuidOrRef}`;
  }

  /** Starts the console servers of a running VM (idempotent). */
  startServers(vmRef: string): Promise<VmConsoleServers> {
    const existing = this.servers.get(vmRef);
    if (existing !== undefined) return existing;
    // After stop() nothing starts any more (and the work dir is gone).
    if (this.stopping) return Promise.resolve({ rfb: undefined, text: undefined, stop: () => Promise.resolve() });
    const vm = this.db.get('VM', vmRef);
    const name = str(vm, 'name_label') || vmRef;
    const control = vm?.is_control_domain === true;
    const dir = join(this.workDir, 'vm-' + (str(vm, 'uuid') || vmRef.slice(-12)));
    mkdirSync(dir, { recursive: true });
    const kind = this.chooseVnc(name, control);
    const p = startConsoleServers(kind, { name, workDir: dir }, this.launchers).then((s) => {
      if (this.servers.get(vmRef) !== p || this.stopping) {
        void s.stop();
        return s;
      }
      this.ready.set(vmRef, s);
      return s;
    });
    this.servers.set(vmRef, p);
    p.catch((e: unknown) => log.warn('console servers failed to start', { vm: name, error: e }));
    return p;
  }

  /** The running console servers of a VM, if started. */
  serversOf(vmRef: string): VmConsoleServers | undefined {
    return this.ready.get(vmRef);
  }

  /** True when a start is under way or done. */
  serversStarted(vmRef: string): boolean {
    return this.servers.has(vmRef);
  }

  /** Stops a VM's console servers and cuts its tunnels. */
  async stopServers(vmRef: string): Promise<void> {
    const p = this.servers.get(vmRef);
    this.servers.delete(vmRef);
    this.ready.delete(vmRef);
    this.cutTunnels(vmRef);
    if (p === undefined) return;
    try {
      const s = await p;
      await s.stop();
    } catch {
      // failed to start: nothing to stop
    }
  }

  /** Destroys every open console stream of a VM (or only those of one console). */
  cutTunnels(vmRef: string, consoleRef?: string): void {
    for (const t of [...this.tunnels]) {
      if (t.vmRef === vmRef && (consoleRef === undefined || t.consoleRef === consoleRef)) t.socket.destroy();
    }
  }

  /** Stops every console server. */
  async stopAllServers(): Promise<void> {
    this.stopping = true;
    const refs = [...this.servers.keys()];
    await Promise.all(refs.map((r) => this.stopServers(r)));
  }

  /** The host a running VM is resident on, if any. */
  residentHost(vm: XRecord | undefined): HostRuntime | undefined {
    const ref = str(vm, 'resident_on');
    return ref === '' || ref === NULL_REF ? undefined : this.hostByRef(ref);
  }
}
