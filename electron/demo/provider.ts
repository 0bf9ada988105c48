/**
 * The demo pool provider: starts the XAPI simulator in-process, with `synthetic` consoles (no external
 * programs) and every host on 127.0.0.1 with a port of its own (macOS and Windows configure no other
 * loopback address), so a newcomer sees the whole product without a XenServer. Used by the web harness and by
 * the Electron shell; the backend calls `start()` on "Try the demo pool" and adds, trusts and connects
 * the pool it describes.
 *
 * How it works: a tiny state machine `idle → starting → running → stopped`. `start()` in `starting` or
 * `running` returns the same pool (one simulator per process); `stop()` stops it and is final. The
 * simulator module is imported lazily, so an app that never uses the demo never loads it.
 */
import type { Simulator } from '../sim/types';
import { getLogger } from '../../shared/log';

const log = getLogger('demo');

/** Size of the demo pool (hosts, VMs). */
export const DEMO_HOSTS = 2;
export const DEMO_VMS = 12;
/** How long a demo start takes, ms (others proportional): quick, but long enough to see the states. */
export const DEMO_POWER_OP_MS = 800;

/** What the backend needs to add, trust and connect the demo pool. */
export interface DemoPool {
  /** `host:port` of the simulated master. */
  address: string;
  user: string;
  password: string;
  /** SHA-256 fingerprint of the master's certificate (XAPI format). */
  fingerprint: string;
}

/** Starts and stops the one demo simulator of this process. */
export interface DemoProvider {
  /** Starts the simulator once and describes its master. */
  start(): Promise<DemoPool>;
  /** Stops the simulator (idempotent; a later start fails). */
  stop(): Promise<void>;
}

/** Options for tests and benchmarks. */
export interface DemoOptions {
  hosts?: number;
  vms?: number;
}

type DemoState =
  | { kind: 'idle' }
  | { kind: 'starting' | 'running'; pool: Promise<DemoPool>; sim: Promise<Simulator> }
  | { kind: 'stopped' };

/** Describes the master of a started simulator. */
export function describeMaster(sim: Simulator): DemoPool {
  const url = new URL(sim.masterUrl);
  const master = sim.hosts.find((h) => h.address === url.hostname && String(h.port) === url.port) ?? sim.hosts[0];
  if (master === undefined) throw new Error('demo simulator has no hosts');
  return { address: url.host, user: sim.user, password: sim.password, fingerprint: master.fingerprint };
}

/** Creates the provider (nothing starts until `start()`). */
export function createDemoProvider(options: DemoOptions = {}): DemoProvider {
  let state: DemoState = { kind: 'idle' };
  return {
    start() {
      if (state.kind === 'stopped') return Promise.reject(new Error('the demo pool was stopped'));
      if (state.kind !== 'idle') return state.pool;
      const sim = import('../sim/index').then(({ startSimulator }) =>
        startSimulator({
          hosts: options.hosts ?? DEMO_HOSTS,
          vms: options.vms ?? DEMO_VMS,
          vnc: 'synthetic',
          loopback: 'port-per-host',
          powerOpMs: DEMO_POWER_OP_MS,
        }),
      );
      const pool = sim.then((s) => {
        if (state.kind === 'starting') state = { ...state, kind: 'running' };
        log.info('demo pool started', { master: s.masterUrl });
        return describeMaster(s);
      });
      state = { kind: 'starting', pool, sim };
      // A failed start goes back to idle so the user can try again.
      pool.catch(() => {
        if (state.kind === 'starting') state = { kind: 'idle' };
      });
      return pool;
    },
    async stop() {
      const current = state;
      state = { kind: 'stopped' };
      if (current.kind === 'starting' || current.kind === 'running') {
        const sim = await current.sim.catch(() => undefined);
        await sim?.stop();
      }
    },
  };
}
