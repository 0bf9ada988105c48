/**
 * `startSimulator(opts)`: a simulated XenServer/XCP-ng pool on loopback (see README.md).
 *
 * Start-up: read a dump (or generate a pool) → order the hosts and give each a loopback address →
 * make each host a certificate (one shared by all in `port-per-host` mode) → listen: every address on
 * one shared port, or 127.0.0.1 with a port per host → load the rows (addresses and console locations
 * rewritten for those ports) → add the login user → start console servers for running VMs (eagerly
 * for small pools; for big ones on first CONNECT). This module ships with the app (demo pool): it
 * imports nothing test-only, and console kinds other than `synthetic` need injected launchers.
 */
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { getLogger } from '../../shared/log';
import { parseDump, type DumpRow } from './dump';
import { generatePool } from './generate';
import { HostServer, makeTls } from './hosts';
import { abortAll, type PowerOp } from './lifecycle';
import { addHosts, installRows, planHosts } from './model';
import { actDirect } from './rpc';
import { PoolState, type HostRuntime, type VncChooser } from './state';
import type { SimHostInfo, Simulator, SimulatorFaults, SimulatorOptions } from './types';
import { map, str, strs } from './values';

export type { Simulator, SimulatorOptions, SimulatorFaults, SimHostInfo } from './types';

const log = getLogger('sim');

/** Running VMs whose console servers are started with the pool; above this they start on first use. */
const EAGER_CONSOLE_LIMIT = 32;
/** Address every host uses in `port-per-host` mode. */
const ONE_ADDRESS = '127.0.0.1';
/** Tries at finding a port free on every host address. */
const PORT_TRIES = 5;

function readRows(opts: SimulatorOptions): DumpRow[] {
  if (opts.db !== undefined) {
    const text = opts.db.trimStart().startsWith('<') ? opts.db : readFileSync(opts.db, 'utf8');
    return parseDump(text);
  }
  return generatePool({ hosts: opts.hosts ?? 3, vms: opts.vms ?? 20 });
}

function chooser(opts: SimulatorOptions): VncChooser {
  const v = opts.vnc;
  if (typeof v === 'function') return v;
  const kind = v ?? 'synthetic';
  // Said at once rather than as a 404 on every console later.
  if (kind !== 'synthetic' && opts.launchers?.[kind] === undefined) throw new Error(`vnc: '${kind}' needs launchers (test/backends/ LAUNCHERS)`);
  return () => kind;
}

/** Every host on its own address, all on one port (found by retrying when `wanted` is 0). */
async function listenShared(servers: HostServer[], wanted: number): Promise<void> {
  for (let attempt = 0; attempt < PORT_TRIES; attempt++) {
    const [first, ...rest] = servers;
    if (first === undefined) throw new Error('a pool needs at least one host');
    try {
      const port = await first.listen(wanted);
      for (const s of rest) await s.listen(port);
      return;
    } catch (e) {
      await Promise.all(servers.map((s) => s.close()));
      if (wanted !== 0 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    }
  }
  throw new Error('no port free on every host address');
}

/** Every host on one address with a port of its own (the first gets `wanted`, the others any). */
async function listenOwnPorts(servers: HostServer[], wanted: number): Promise<void> {
  for (const [i, s] of servers.entries()) await s.listen(i === 0 ? wanted : 0);
}

/** Starts a simulated pool. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const ownDir = opts.workDir === undefined;
  const workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), 'porthole-sim-'));
  mkdirSync(workDir, { recursive: true });
  const rows = readRows(opts);
  const ownPorts = opts.loopback === 'port-per-host';
  const plan = planHosts(rows, ownPorts ? ONE_ADDRESS : (opts.firstAddress ?? '127.0.0.11'), ownPorts);
  if (plan.length === 0) throw new Error('the pool has no host');
  const shared = ownPorts ? makeTls(ONE_ADDRESS, 'localhost') : undefined;
  const tls = await Promise.all(plan.map((p) => shared ?? makeTls(p.address, p.name)));
  const state = new PoolState(workDir, chooser(opts), opts.launchers);
  state.powerOpMs = opts.powerOpMs ?? 1500;
  addHosts(state, plan, tls);
  const servers = new Map<string, HostServer>(state.hosts.map((h) => [h.ref, new HostServer(state, h)]));
  await (ownPorts ? listenOwnPorts : listenShared)([...servers.values()], opts.port ?? 0);
  installRows(state, rows, plan);
  const user = opts.user ?? 'root';
  const password = opts.password ?? randomBytes(9).toString('base64url');
  state.sessions.addUser(user, password, 'pool-admin');

  const running = [...state.db.rows('VM')].filter((r) => r.rec.power_state === 'Running');
  if (running.length <= EAGER_CONSOLE_LIMIT) for (const r of running) void state.startServers(r.ref);
  log.info('simulator started', { hosts: state.hosts.length, ports: [...new Set(state.hosts.map((h) => h.port))], vms: running.length });

  const host = (name: string): HostRuntime => state.findHost(name) ?? (() => { throw new Error(`no host ${name}`); })();
  const serverOf = (h: HostRuntime): HostServer => servers.get(h.ref) ?? (() => { throw new Error(`no server for ${h.name}`); })();
  const vmRef = (key: string): string => state.findVm(key) ?? (() => { throw new Error(`no VM ${key}`); })();
  const setLive = (h: HostRuntime, live: boolean): void => {
    const metrics = str(state.db.get('host', h.ref), 'metrics');
    if (state.db.get('host_metrics', metrics) !== undefined) state.db.modify('host_metrics', metrics, { live });
  };

  const stopHost = async (name: string): Promise<void> => {
    const h = host(name);
    h.up = false;
    await serverOf(h).close();
    setLive(h, false);
    state.db.wake();
  };
  const faults: SimulatorFaults = {
    stopHost,
    async startHost(name) {
      const h = host(name);
      if (h.up) return;
      await serverOf(h).listen(h.port);
      h.up = true;
      setLive(h, true);
    },
    async failover(newMaster) {
      const next = host(newMaster);
      const old = state.master();
      if (next.ref === old.ref) return;
      await stopHost(old.ref);
      state.db.modify('pool', state.poolRef(), { master: next.ref });
      state.sessions.expireAll();
    },
    expireSessions: () => state.sessions.expireAll(),
    tamperReplies: (rewrite) => {
      state.tamper = rewrite;
    },
    slowReplies: (ms) => {
      state.replyDelayMs = Math.max(0, ms);
    },
    cutConsoles: (vm) => state.cutTunnels(vmRef(vm)),
    limitConsoleSessions: (on) => state.db.modify('pool', state.poolRef(), { limit_console_sessions: on }),
    async rotateCertificate(name) {
      const h = host(name);
      const fresh = await makeTls(h.address, h.name);
      serverOf(h).setTls(fresh);
      return fresh.fingerprint;
    },
    consoleIdleTimeout: (seconds) => state.db.modify('pool', state.poolRef(), { vm_console_idle_timeout: Math.max(0, Math.floor(seconds)) }),
    stillBooting: (name, ms) => {
      host(name).bootingUntilMs = Date.now() + ms;
    },
    forgetEvents: () => state.db.forgetHistory(),
    // The last step (completion) is held: tasks stay pending at 90 % until released.
    holdPowerOps: (on) => (on ? faults.holdOperations(0.9) : faults.releaseOperations()),
    async stopVncServer(vm) {
      const ref = vmRef(vm);
      const s = state.serversOf(ref) ?? (state.serversStarted(ref) ? await state.startServers(ref) : undefined);
      if (s === undefined) return;
      const rfb = s.rfb;
      s.rfb = undefined;
      state.cutTunnels(ref);
      await rfb?.stop();
    },
    holdOperations: (progress) => {
      state.holdProgress = Math.min(1, Math.max(0, progress));
    },
    releaseOperations: () => {
      state.holdProgress = undefined;
      for (const resume of [...state.held]) resume();
    },
    holdCalls: (method) => state.holdCalls(method),
    heldCalls: () => state.heldCallCount(),
  };

  const info = (h: HostRuntime): SimHostInfo => ({ name: h.name, uuid: h.uuid, ref: h.ref, address: h.address, port: h.port, fingerprint: h.tls.fingerprint, certificatePem: h.tls.cert });
  let stopped: Promise<void> | undefined;
  const sim: Simulator = {
    get masterUrl() {
      const m = state.master();
      return `https://${m.address}${m.port === 443 ? '' : `:${m.port}`}`;
    },
    port: state.master().port,
    user,
    password,
    get hosts() {
      return state.hosts.map(info);
    },
    faults,
    addUser: (u, p, role) => state.sessions.addUser(u, p, role),
    vm(key) {
      const ref = vmRef(key);
      const rec = state.db.get('VM', ref) ?? {};
      return {
        ref, uuid: str(rec, 'uuid'), name: str(rec, 'name_label'), powerState: str(rec, 'power_state'), residentOn: str(rec, 'resident_on'),
        consoles: strs(rec, 'consoles').map((c) => {
          const cr = state.db.get('console', c);
          return { ref: c, uuid: str(cr, 'uuid'), protocol: str(cr, 'protocol'), location: str(cr, 'location') };
        }),
        allowedOperations: strs(rec, 'allowed_operations'),
        ips: [...new Set(Object.values(map(state.db.get('VM_guest_metrics', str(rec, 'guest_metrics')), 'networks')).filter((v): v is string => typeof v === 'string'))],
        currentOperations: Object.fromEntries(Object.entries(map(rec, 'current_operations')).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])),
      };
    },
    task(ref) {
      const t = state.db.get('task', ref);
      if (t === undefined) return undefined;
      return { status: str(t, 'status'), progress: typeof t.progress === 'number' ? t.progress : 0, cancellable: strs(t, 'allowed_operations').includes('cancel'), errorInfo: strs(t, 'error_info') };
    },
    vnc: (key) => state.serversOf(vmRef(key))?.rfb,
    async act(key, op) {
      const ref = vmRef(key);
      if (typeof op === 'object') await actDirect(state, ref, 'pool_migrate', host(op.migrateTo).ref);
      else await actDirect(state, ref, op satisfies PowerOp);
    },
    issuedSessions: () => [...state.sessions.issued],
    stats() {
      let sockets = 0;
      for (const s of servers.values()) sockets += s.socketCount();
      return {
        consoleTunnels: state.tunnels.size,
        sessions: state.sessions.count(),
        sessionsByUser: state.sessions.countByUser(),
        rpcConnections: Math.max(0, sockets - state.tunnels.size),
        loginAttempts: state.loginAttempts,
        connectsByStatus: { ...state.connectsByStatus },
        connectsByVm: Object.fromEntries(Object.entries(state.connectsByVm).map(([vm, byStatus]) => [vm, { ...byStatus }])),
        blockedEventCalls: state.db.waiting(),
      };
    },
    stop() {
      stopped ??= (async () => {
        state.closed = true;
        state.holdCalls(undefined);
        abortAll(state);
        state.db.wake();
        await Promise.all([...servers.values()].map((s) => s.close()));
        await state.stopAllServers();
        if (ownDir) rmSync(workDir, { recursive: true, force: true });
        log.info('simulator stopped');
      })();
      return stopped;
    },
  };
  return sim;
}
