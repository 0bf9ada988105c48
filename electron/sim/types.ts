/**
 * Public shape of the XAPI pool simulator (see electron/sim/README.md for its behaviour).
 * Tests, the `npm run sim` CLI and the in-app demo pool use only this.
 */
import type { VncBackend, VncKind, VncLaunchers } from './vnc/types';

/** How simulated hosts share the loopback interface (see `SimulatorOptions.loopback`). */
export type LoopbackMode = 'address-per-host' | 'port-per-host';

/** The modes, for argument parsing. */
export const LOOPBACK_MODES: readonly LoopbackMode[] = ['address-per-host', 'port-per-host'];

export interface SimulatorOptions {
  /** Initial state from a xapi database dump: the XML text itself, or a path to the file. */
  db?: string;
  /** Or a generated pool (defaults: 3 hosts, 20 VMs). */
  hosts?: number;
  vms?: number;
  /** Console server for running VMs: one kind for all, or chosen per VM (by name label). Default synthetic. */
  vnc?: VncKind | ((vmName: string, isControlDomain: boolean) => VncKind);
  /**
   * Launchers for the kinds other than `synthetic` (they start QEMU, Xvnc, x11vnc: test/backends/
   * `LAUNCHERS`). A VM whose kind has no launcher gets no RFB server, so CONNECT answers 404.
   */
  launchers?: VncLaunchers;
  /**
   * Where the hosts listen. `address-per-host` (the default, for tests): 127.0.0.11, .12 … (from
   * `firstAddress`), all on one port, each with its own certificate; only Linux routes all of
   * 127.0.0.0/8 to loopback. `port-per-host` (the demo pool; every OS): all hosts on 127.0.0.1, each
   * with a port of its own, sharing one certificate (one machine, one TLS identity, as pins are per
   * address), and console locations carry each host's port.
   */
  loopback?: LoopbackMode;
  /** HTTPS port every host listens on (`port-per-host`: the master's port). 0 = pick one. */
  port?: number;
  /** First loopback address (`address-per-host`); hosts get consecutive ones. Default 127.0.0.11. */
  firstAddress?: string;
  user?: string;
  password?: string;
  /** Scale of power-operation durations, in ms for a start (others proportional). Default 1500 ms. */
  powerOpMs?: number;
  /** Directory for keys, sockets and backend scratch files. Default: a fresh temp dir. */
  workDir?: string;
}

export interface SimHostInfo {
  name: string;
  uuid: string;
  ref: string;
  address: string;
  /** HTTPS port of this host. */
  port: number;
  /** SHA-256 of the DER, upper-case hex with colons. */
  fingerprint: string;
  certificatePem: string;
}

/** Faults tests can trigger. */
export interface SimulatorFaults {
  /** The host stops answering (listener closed, open sockets destroyed). */
  stopHost(name: string): Promise<void>;
  startHost(name: string): Promise<void>;
  /** Old master goes silent; `newMaster` becomes master; other members answer HOST_IS_SLAVE [new]. */
  failover(newMaster: string): Promise<void>;
  /** Every session becomes invalid (SESSION_INVALID), as after a toolstack restart. */
  expireSessions(): void;
  /**
   * Passes every successful RPC result through `rewrite` before it is sent (what a hostile or broken
   * pool would answer: prototype keys, wrong types, null tokens); `undefined` restores honest replies.
   */
  tamperReplies(rewrite: ((method: string, result: unknown) => unknown) | undefined): void;
  /** Delay every RPC reply by `ms`. */
  slowReplies(ms: number): void;
  /** Destroys the open console streams of one VM (by uuid or name). */
  cutConsoles(vm: string): void;
  /** Sets pool.limit_console_sessions (503 when a console is already in use). */
  limitConsoleSessions(on: boolean): void;
  /** Gives a host a fresh self-signed certificate; returns its new fingerprint. */
  rotateCertificate(name: string): Promise<string>;
  /** Sets pool.vm_console_idle_timeout (seconds, 0 = off). */
  consoleIdleTimeout(seconds: number): void;
  /** Makes `HOST_STILL_BOOTING` the answer to logins on this host for `ms`. */
  stillBooting(name: string, ms: number): void;
  /** Drops the retained event history: every token issued so far gets `EVENTS_LOST`. */
  forgetEvents(): void;
  /** While on, power operations stay pending (tasks at 90 %) until it is turned off (`holdOperations(0.9)`). */
  holdPowerOps(on: boolean): void;
  /** Stops a running VM's VNC server (as if qemu/vncterm died): CONNECT then answers 404. */
  stopVncServer(vm: string): Promise<void>;
  /** Running and new power operations stop advancing once their task reaches `progress` (0..1), until released. */
  holdOperations(progress: number): void;
  /** Lets held operations run on (and stops holding). */
  releaseOperations(): void;
  /**
   * Holds every RPC call of `method` (e.g. `host.get_server_certificate`) before it is answered, until
   * `holdCalls(undefined)` lets the held ones run.
   */
  holdCalls(method: string | undefined): void;
  /** How many calls are held now (arrived at the simulator, not answered). */
  heldCalls(): number;
}

export interface Simulator {
  /** https://<master address>:<port> */
  readonly masterUrl: string;
  /** The port hosts share (`port-per-host`: the first master's port; use `hosts[i].port`). */
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly hosts: readonly SimHostInfo[];
  readonly faults: SimulatorFaults;
  /** Adds a user with a role (`pool-admin`, `vm-operator`, `read-only`...), for 403 tests. */
  addUser(user: string, password: string, role: string): void;
  /** Looks a VM up by uuid or name label: its current record fields the tests need. */
  vm(nameOrUuid: string): {
    ref: string; uuid: string; name: string; powerState: string; residentOn: string;
    consoles: { ref: string; uuid: string; protocol: string; location: string }[];
    /** `current_operations` (task ref → operation). */
    currentOperations: Record<string, string>;
    allowedOperations: string[];
    /** Addresses the guest agent reports (`VM_guest_metrics.networks` values), empty without one. */
    ips: string[];
  };
  /** A task by ref: status, progress and whether it may be cancelled (undefined once destroyed). */
  task(ref: string): { status: string; progress: number; cancellable: boolean; errorInfo: string[] } | undefined;
  /** The console server of a running VM (for screendump / typed-file checks). */
  vnc(nameOrUuid: string): VncBackend | undefined;
  /** Runs a VM power operation directly, as another client would (events follow). */
  act(nameOrUuid: string, op: 'start' | 'clean_shutdown' | 'hard_shutdown' | 'clean_reboot' | 'hard_reboot' | 'suspend' | 'resume' | { migrateTo: string }): Promise<void>;
  /** Number of open console tunnels and RPC connections (for leak checks). */
  /** Every session ref and uuid issued so far (secrets tests look for them in outputs). */
  issuedSessions(): readonly string[];
  stats(): {
    consoleTunnels: number;
    sessions: number;
    /** Live sessions per user name (which credentials a client logged in with). */
    sessionsByUser: Record<string, number>;
    rpcConnections: number;
    loginAttempts: number;
    connectsByStatus: Record<string, number>;
    /** CONNECTs that reached a VM's console check (answered 200 or 503), by VM uuid then status. */
    connectsByVm: Record<string, Record<string, number>>;
    /** event.from calls blocked waiting now. */
    blockedEventCalls: number;
  };
  stop(): Promise<void>;
}
