/**
 * The service facade over every configured pool: add/edit/remove, connect/disconnect, certificate
 * trust, passwords, the merged inventory (snapshot + small versioned diffs), VM power actions and the
 * console source for the bridge. Used by the backend (IPC / web harness) and the CLI.
 *
 * How it works:
 * - Each pool has a `PoolSession` (its own state machine and XAPI client); several run at once.
 * - Inventory changes are coalesced: a session only says "something changed"; once per tick the
 *   manager collects each changed pool's diff (`PoolInventory.takeDiff`, by value) into one
 *   `InventoryDiff` with the next version. The page gets a snapshot once, then these diffs.
 * - Config (pools, pins, member addresses, sealed passwords, UI state) is saved through the
 *   `ConfigStore` after each change. Demo pools live in memory only.
 * - Passwords: kept in memory for the process; sealed into the config only when the secret store's
 *   policy allows (see secret-store.ts). A rejected password is forgotten, never retried.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { CertificateInfo, PinnedFacts, PinnedHost, PoolInput, PoolState, PoolSummary, TaskInfo, UiState } from '../../shared/contract';
import { PortholeError } from '../../shared/errors';
import type { HostNode, InventoryDiff, InventoryNode, InventorySnapshot, VmAction, VmNode } from '../../shared/inventory';
import { getLogger } from '../../shared/log';
import type { ConfigData, ConfigStore, StoredPool } from './config-store';
import { sessionConsoleSource, type ConsoleSource } from './console-source';
import { PinBook, parseAddress } from './pins';
import { PoolSession, type SessionTiming } from './pools/session';
import type { SecretStore } from './secret-store';
import { TaskBook } from './task-book';
import { normalizeFingerprint, probeCertificate } from './tls-pin';

const log = getLogger('pools');

/** Words for each power action (used in messages). */
export const ACTION_LABEL: Record<VmAction, string> = {
  start: 'Starting the VM',
  clean_shutdown: 'Shutting down the VM',
  clean_reboot: 'Rebooting the VM',
  hard_shutdown: 'Forcing the VM off',
  hard_reboot: 'Force-rebooting the VM',
  suspend: 'Suspending the VM',
  resume: 'Resuming the VM',
};

/** Words for the task list ("Starting web-01"). */
const TASK_VERB: Record<VmAction, string> = {
  start: 'Starting',
  clean_shutdown: 'Shutting down',
  clean_reboot: 'Rebooting',
  hard_shutdown: 'Forcing off',
  hard_reboot: 'Force-rebooting',
  suspend: 'Suspending',
  resume: 'Resuming',
};

/** XAPI arguments after the VM ref (start/resume: start_paused=false, force=false). */
const ACTION_ARGS: Record<VmAction, unknown[]> = {
  start: [false, false],
  resume: [false, false],
  clean_shutdown: [],
  clean_reboot: [],
  hard_shutdown: [],
  hard_reboot: [],
  suspend: [],
};

/** Why XAPI offers nothing (or not this) for a VM right now, in words. */
function notAllowedWhy(vm: VmNode): string {
  if (vm.operation !== undefined) {
    const pct = vm.operation.progress === undefined ? '' : `, ${Math.round(vm.operation.progress * 100)} %`;
    return `another operation (${vm.operation.op.replace(/_/g, ' ')}${pct}) is in progress on "${vm.name}".`;
  }
  return `"${vm.name}" is ${vm.powerState}.`;
}

/** Push events of the manager. */
export interface PoolManagerEvents {
  state: [{ id: string; state: PoolState }];
  list: [PoolSummary[]];
  diff: [InventoryDiff];
  tasks: [TaskInfo[]];
}

interface Entry {
  stored: StoredPool;
  demo: boolean;
  pins: PinBook;
  session: PoolSession;
  memoryPassword?: string;
  passwordNote?: string;
  /** The saved password was rejected: not tried again until a new one is given. */
  savedRejected: boolean;
}

/** Options of the manager. */
export interface PoolManagerOptions {
  store: ConfigStore;
  secrets: SecretStore;
  timing?: Partial<SessionTiming>;
}

/** Options of `waitReady`. */
export interface WaitOptions {
  /** Reject as soon as the pool starts backing off (the CLI does not wait for a host to come back). */
  failOnRetry?: boolean;
  timeoutMs?: number;
}

/** Every pool, connected or not. */
export class PoolManager extends EventEmitter<PoolManagerEvents> {
  /** Warnings from loading the config (shown once by the UI). */
  readonly warnings: string[];
  private readonly store: ConfigStore;
  private readonly secrets: SecretStore;
  private readonly timing: Partial<SessionTiming> | undefined;
  private readonly entries = new Map<string, Entry>();
  private uiState: UiState;
  private version = 0;
  private readonly dirtySessions = new Set<PoolSession>();
  /** The pending flush of coalesced changes, while one is scheduled. */
  private flushing: Promise<void> | undefined;
  private closed = false;
  /** Recent power operations and migrations across pools (status bar, task list). */
  readonly tasks = new TaskBook();

  private constructor(opts: PoolManagerOptions, data: ConfigData, warnings: string[]) {
    super();
    this.store = opts.store;
    this.secrets = opts.secrets;
    this.timing = opts.timing;
    this.warnings = warnings;
    this.uiState = data.ui;
    for (const stored of data.pools) this.entries.set(stored.id, this.makeEntry(stored, false));
    this.tasks.on('change', (list) => this.emit('tasks', list));
  }

  /** Loads the config and returns a manager (no pool connects until asked). */
  static async open(opts: PoolManagerOptions): Promise<PoolManager> {
    const { data, warnings } = await opts.store.load();
    return new PoolManager(opts, data, warnings);
  }

  private makeEntry(stored: StoredPool, demo: boolean): Entry {
    const pins = new PinBook(stored.pins, (list) => {
      stored.pins = list;
      this.persist();
    });
    const entry: Entry = { stored, demo, pins, session: undefined as unknown as PoolSession, savedRejected: false };
    entry.session = this.makeSession(entry);
    return entry;
  }

  private makeSession(entry: Entry): PoolSession {
    const { stored } = entry;
    const session = new PoolSession({
      poolId: stored.id,
      address: parseAddress(stored.address),
      username: stored.username,
      pins: entry.pins,
      password: () => this.passwordOf(entry),
      members: () => stored.members ?? [],
      onMembers: (addresses) => {
        const sorted = [...addresses].sort();
        if (JSON.stringify(sorted) === JSON.stringify(stored.members ?? [])) return;
        stored.members = sorted;
        this.persist();
      },
      onInventory: (): Promise<void> => this.markDirty(session),
      onPasswordRejected: () => {
        entry.memoryPassword = undefined;
        entry.savedRejected = true;
        this.emitList();
      },
      ...(this.timing === undefined ? {} : { timing: this.timing }),
    });
    session.on('state', (state) => {
      if (state.kind !== 'connected' && state.kind !== 'connecting') this.tasks.failPool(stored.id, new PortholeError('NOT_CONNECTED', 'The connection to the pool was lost before the operation finished.'));
      this.emit('state', { id: stored.id, state });
    });
    session.on('task', (ref, snapshot) => this.tasks.update(stored.id, ref, snapshot));
    return session;
  }

  private passwordOf(entry: Entry): string | undefined {
    if (entry.memoryPassword !== undefined) return entry.memoryPassword;
    if (entry.stored.secret !== undefined && !entry.savedRejected) return this.secrets.open(entry.stored.secret);
    return undefined;
  }

  private entry(id: string): Entry {
    const e = this.entries.get(id);
    if (e === undefined) throw new PortholeError('UNKNOWN_POOL', `No pool with id ${id}.`);
    return e;
  }

  /** Finds a pool by id or (case-insensitive) name. */
  find(idOrName: string): PoolSummary | undefined {
    const e = this.entries.get(idOrName) ?? [...this.entries.values()].find((x) => x.stored.name.toLowerCase() === idOrName.toLowerCase());
    return e === undefined ? undefined : this.summary(e);
  }

  private summary(e: Entry): PoolSummary {
    const saved = e.stored.secret !== undefined && !e.savedRejected;
    const s: PoolSummary = {
      id: e.stored.id,
      name: e.stored.name,
      address: e.stored.address,
      username: e.stored.username,
      password: saved ? 'saved' : e.memoryPassword !== undefined ? 'memory' : 'none',
      state: e.session.state,
      demo: e.demo,
    };
    if (!saved && e.memoryPassword !== undefined && e.passwordNote !== undefined) s.passwordNote = e.passwordNote;
    return s;
  }

  /** Every pool, in the order added. */
  list(): PoolSummary[] {
    return [...this.entries.values()].map((e) => this.summary(e));
  }

  /** The state of one pool. */
  state(id: string): PoolState {
    return this.entry(id).session.state;
  }

  /** True while the pool's connect loop runs; false once it stopped to wait for the user. */
  attempting(id: string): boolean {
    return this.entry(id).session.attempting;
  }

  /** Adds a pool (not connected yet). `pins` pre-trusts certificates (CLI `--trust-fingerprint`, demo). */
  async add(input: PoolInput, extra: { demo?: boolean; pins?: PinnedHost[] } = {}): Promise<string> {
    const name = input.name.trim();
    parseAddress(input.address);
    if ([...this.entries.values()].some((e) => e.stored.name.toLowerCase() === name.toLowerCase())) {
      throw new PortholeError('INVALID_ARGUMENT', `A pool named "${name}" already exists.`);
    }
    const stored: StoredPool = {
      id: randomUUID(),
      name,
      address: input.address.trim(),
      username: input.username,
      pins: extra.pins ?? [],
      remember: input.remember,
      ...(input.allowPlainTextStorage === true ? { allowPlainTextStorage: true } : {}),
    };
    const entry = this.makeEntry(stored, extra.demo === true);
    this.entries.set(stored.id, entry);
    if (input.password !== undefined && input.password !== '') this.setPassword(entry, input.password);
    await this.persistNow();
    this.emitList();
    return stored.id;
  }

  /** Changes a pool's fields; a new address or user name reconnects it. */
  async edit(id: string, patch: Partial<PoolInput>): Promise<void> {
    const e = this.entry(id);
    const s = e.stored;
    if (patch.name !== undefined) {
      const name = patch.name.trim();
      if ([...this.entries.values()].some((x) => x !== e && x.stored.name.toLowerCase() === name.toLowerCase())) {
        throw new PortholeError('INVALID_ARGUMENT', `A pool named "${name}" already exists.`);
      }
      s.name = name;
    }
    if (patch.address !== undefined) parseAddress(patch.address);
    const reconnect = (patch.address !== undefined && patch.address.trim() !== s.address) || (patch.username !== undefined && patch.username !== s.username);
    if (patch.address !== undefined) s.address = patch.address.trim();
    if (patch.username !== undefined) s.username = patch.username;
    if (patch.remember !== undefined) s.remember = patch.remember;
    if (patch.allowPlainTextStorage !== undefined) {
      if (patch.allowPlainTextStorage) s.allowPlainTextStorage = true;
      else delete s.allowPlainTextStorage;
    }
    if (patch.password !== undefined && patch.password !== '') this.setPassword(e, patch.password);
    else if (patch.remember !== undefined || patch.allowPlainTextStorage !== undefined) {
      // Re-apply the storage policy to the password we have.
      const pw = this.passwordOf(e);
      if (pw !== undefined) this.setPassword(e, pw);
    }
    if (reconnect) {
      const wasActive = e.session.state.kind !== 'disconnected';
      await e.session.close();
      this.flush();
      e.session = this.makeSession(e);
      if (wasActive) e.session.connect();
    }
    await this.persistNow();
    this.emitList();
  }

  /** Removes a pool (disconnecting it); its pins and saved password go with it. */
  async remove(id: string): Promise<void> {
    const e = this.entry(id);
    await e.session.close();
    this.flush();
    this.entries.delete(id);
    await this.persistNow();
    this.emitList();
  }

  /** Starts connecting; `password` (when given) replaces the known one, stored per the pool's policy. */
  connect(id: string, password?: string): void {
    const e = this.entry(id);
    if (password !== undefined && password !== '') {
      this.setPassword(e, password);
      this.persist();
      this.emitList();
    }
    e.session.connect();
  }

  /** Disconnects a pool (its nodes leave the inventory). */
  async disconnect(id: string): Promise<void> {
    await this.entry(id).session.disconnect();
  }

  /**
   * Accepts the certificate awaiting trust. A changed certificate needs `replace` (the user's
   * deliberate "Trust new certificate", which re-pins) or removing the old pin first (`forgetCertificate`).
   */
  trust(id: string, address: string, fingerprint: string, replace = false): void {
    const fp = normalizeFingerprint(fingerprint);
    if (fp === undefined) throw new PortholeError('INVALID_ARGUMENT', 'Not a SHA-256 fingerprint.');
    this.entry(id).session.trust(address, fp, replace);
  }

  /** Pins a fingerprint for an address without a connection (CLI `--trust-fingerprint`); `facts` when the certificate was read. */
  pinFingerprint(id: string, address: string, fingerprint: string, facts?: PinnedFacts): void {
    const fp = normalizeFingerprint(fingerprint);
    if (fp === undefined) throw new PortholeError('INVALID_ARGUMENT', 'Not a SHA-256 fingerprint.');
    const e = this.entry(id);
    const old = e.pins.get(address);
    if (old !== undefined && old.fingerprint !== fp) {
      throw new PortholeError('CERT_CHANGED', `${address} already has another pinned certificate (${old.fingerprint}); remove it first.`, { host: address, previousFingerprint: old.fingerprint, fingerprint: fp });
    }
    e.pins.set(address, fp, 'user', facts);
  }

  /** Removes a pinned certificate (explicit user action, e.g. after a certificate was legitimately replaced). */
  forgetCertificate(id: string, address: string): void {
    const e = this.entry(id);
    if (!e.session.forgetPin(address)) throw new PortholeError('INVALID_ARGUMENT', `No certificate is pinned for ${address}.`);
  }

  /** The pinned certificates of a pool. */
  certificates(id: string): PinnedHost[] {
    return this.entry(id).pins.list();
  }

  /** Every node of every connected pool, at the current version (pending changes are flushed first). */
  snapshot(): InventorySnapshot {
    this.flush();
    const nodes: InventoryNode[] = [];
    for (const e of this.entries.values()) for (const n of e.session.inventory.nodes()) nodes.push(n);
    return { version: this.version, nodes };
  }

  /** Runs a power action as an async task (recorded in `tasks`); resolves when the task finished. */
  async vmAction(poolId: string, vmUuid: string, action: VmAction): Promise<void> {
    const { session, vm } = this.connectedVm(poolId, vmUuid);
    const id = this.tasks.begin({ poolId, vmUuid, vmName: vm.name, action, label: `${TASK_VERB[action]} ${vm.name}` });
    try {
      // Offered only when XAPI allows it right now (allowed_operations).
      if (!vm.allowedActions.includes(action)) throw new PortholeError('OPERATION_NOT_ALLOWED', `${ACTION_LABEL[action]} is not possible now: ${notAllowedWhy(vm)}`);
      await session.callAsync(ACTION_LABEL[action], `VM.${action}`, [vm.ref, ...ACTION_ARGS[action]], (ref) => this.tasks.attach(id, ref, session));
      this.tasks.finish(id);
    } catch (error) {
      this.tasks.finish(id, error);
      throw error;
    }
  }

  /** Live-migrates a VM to another host of its pool (`VM.pool_migrate`, recorded in `tasks`). */
  async vmMigrate(poolId: string, vmUuid: string, hostUuid: string): Promise<void> {
    const { session, vm } = this.connectedVm(poolId, vmUuid);
    const host = [...session.inventory.nodes()].find((n): n is HostNode => n.kind === 'host' && n.uuid === hostUuid);
    if (host === undefined) throw new PortholeError('INVALID_ARGUMENT', `No host ${hostUuid} in this pool.`);
    const id = this.tasks.begin({ poolId, vmUuid, vmName: vm.name, action: 'migrate', label: `Migrating ${vm.name} to ${host.name}` });
    try {
      if (vm.hostId === host.id) throw new PortholeError('INVALID_ARGUMENT', `"${vm.name}" already runs on ${host.name}.`);
      if (host.live === false) throw new PortholeError('OPERATION_NOT_ALLOWED', `${host.name} is not live (the pool has lost its heartbeat); pick another host.`);
      if (vm.canMigrate !== true) throw new PortholeError('OPERATION_NOT_ALLOWED', `Migrating the VM is not possible now: ${notAllowedWhy(vm)}`);
      await session.callAsync('Migrating the VM', 'VM.pool_migrate', [vm.ref, host.ref, { live: 'true' }], (ref) => this.tasks.attach(id, ref, session));
      this.tasks.finish(id);
    } catch (error) {
      this.tasks.finish(id, error);
      throw error;
    }
  }

  /** Cancels a running operation from the task list (only while XAPI allows it). */
  cancelTask(id: string): Promise<void> {
    return this.tasks.cancel(id);
  }

  /**
   * Checks an address before it is saved: it must answer TLS (refused, timed out and non-TLS ports
   * fail with a plain HOST_UNREACHABLE message). Answers the certificate it presented.
   */
  async probe(address: string): Promise<CertificateInfo & { host: string }> {
    const { host, port } = parseAddress(address);
    const cert = await probeCertificate({ host, port, timeoutMs: this.timing?.handshakeTimeoutMs ?? 8_000 });
    const { fingerprint, subject, issuer, validFrom, validTo } = cert;
    return { host, fingerprint, subject, issuer, validFrom, validTo };
  }

  private connectedVm(poolId: string, vmUuid: string): { session: PoolSession; vm: VmNode } {
    this.flush();
    const session = this.entry(poolId).session;
    if (session.state.kind !== 'connected') throw new PortholeError('NOT_CONNECTED', `${this.entry(poolId).stored.name} is not connected.`);
    const ref = session.inventory.vmRef(vmUuid);
    const vm = ref === undefined ? undefined : [...session.inventory.nodes()].find((n): n is VmNode => n.kind === 'vm' && n.ref === ref);
    if (vm === undefined) throw new PortholeError('UNKNOWN_VM', `No VM ${vmUuid} in this pool.`);
    return { session, vm };
  }

  /** The console source of a connected pool (for the bridge). */
  consoleSource(poolId: string): ConsoleSource {
    const e = this.entry(poolId);
    if (e.session.state.kind !== 'connected') throw new PortholeError('NOT_CONNECTED');
    return sessionConsoleSource(e.session, e.pins.lookup);
  }

  /** The persisted UI state. */
  ui(): UiState {
    return this.uiState;
  }

  /** Replaces the UI state and saves it. */
  async setUi(ui: UiState): Promise<void> {
    this.uiState = ui;
    await this.persistNow();
  }

  /**
   * Resolves once the pool is connected and its inventory loaded; rejects with the reason as a
   * PortholeError when it needs the user (trust, password) or fails (or, with `failOnRetry`, backs off).
   */
  waitReady(id: string, opts: WaitOptions = {}): Promise<void> {
    const session = this.entry(id).session;
    return new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        session.off('state', onState);
        session.off('loaded', onLoaded);
        clearTimeout(timer);
      };
      const fail = (error: PortholeError): void => {
        cleanup();
        reject(error);
      };
      const onLoaded = (): void => {
        cleanup();
        resolve();
      };
      const onState = (state: PoolState): void => {
        const last = session.lastFailure;
        switch (state.kind) {
          case 'connected':
            if (session.loaded) onLoaded();
            return;
          case 'awaiting-trust':
            fail(
              new PortholeError(
                state.reason === 'changed' ? 'CERT_CHANGED' : 'CERT_UNTRUSTED',
                last?.message,
                { host: state.address, fingerprint: state.certificate.fingerprint, ...(state.previousFingerprint === undefined ? {} : { previousFingerprint: state.previousFingerprint }) },
              ),
            );
            return;
          case 'needs-password':
            fail(new PortholeError(last?.code ?? 'NEEDS_PASSWORD', last?.message));
            return;
          case 'failed':
            fail(new PortholeError(state.code, state.message));
            return;
          case 'reconnecting':
            if (opts.failOnRetry === true) fail(new PortholeError(last?.code ?? 'HOST_UNREACHABLE', last?.message ?? state.reason));
            return;
          case 'disconnected':
            fail(new PortholeError('NOT_CONNECTED'));
            return;
          case 'connecting':
            return;
        }
      };
      const timer = setTimeout(() => fail(new PortholeError('HOST_UNREACHABLE', 'Timed out waiting for the pool.')), opts.timeoutMs ?? 120_000);
      session.on('state', onState);
      session.on('loaded', onLoaded);
      if (session.state.kind !== 'connecting' && session.state.kind !== 'reconnecting') onState(session.state);
      else if (opts.failOnRetry === true && session.state.kind === 'reconnecting') onState(session.state);
    });
  }

  /** Disconnects every pool and waits for the last config write. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.entries.values()].map((e) => e.session.close()));
    this.flush();
    await this.store.save(this.configData()).catch(() => undefined);
  }

  private setPassword(e: Entry, password: string): void {
    const decision = this.secrets.decide(e.stored.remember === true, e.stored.allowPlainTextStorage === true);
    e.memoryPassword = password;
    e.savedRejected = false;
    if (decision.storage === 'saved' && !e.demo) {
      e.stored.secret = this.secrets.seal(password);
      delete e.passwordNote;
    } else {
      delete e.stored.secret;
      if (decision.reason !== undefined) e.passwordNote = decision.reason;
    }
  }

  /** Queues a session's changes; resolves once the diff carrying them was emitted. */
  private markDirty(session: PoolSession): Promise<void> {
    this.dirtySessions.add(session);
    // Coalesce: every change of this tick (all pools) goes out as one diff.
    this.flushing ??= new Promise((resolve) =>
      setImmediate(() => {
        this.flushing = undefined;
        try {
          this.flush();
        } finally {
          resolve();
        }
      }),
    );
    return this.flushing;
  }

  /** Sends one diff with every pending change. */
  private flush(): void {
    if (this.dirtySessions.size === 0) return;
    const upserts: InventoryNode[] = [];
    const removes: string[] = [];
    for (const s of this.dirtySessions) {
      const d = s.inventory.takeDiff();
      for (const n of d.upserts) upserts.push(n);
      for (const r of d.removes) removes.push(r);
    }
    this.dirtySessions.clear();
    if (upserts.length === 0 && removes.length === 0) return;
    const from = this.version;
    this.version++;
    this.emit('diff', { from, to: this.version, upserts, removes });
  }

  private emitList(): void {
    this.emit('list', this.list());
  }

  private configData(): ConfigData {
    return { version: 1, pools: [...this.entries.values()].filter((e) => !e.demo).map((e) => e.stored), ui: this.uiState };
  }

  private persist(): void {
    this.persistNow().catch((error: unknown) => log.error('cannot save the configuration', { error }));
  }

  private persistNow(): Promise<void> {
    return this.store.save(this.configData());
  }
}
