/**
 * One pool's XAPI connection: the state machine's owner and the run loop that ties the jobs together.
 *
 * The jobs live next door: `state.ts` (legal transitions), `connect.ts` (candidates, failover, trust,
 * password outcomes), `xapi-adapter.ts` (the xen-api client and its internals), `events.ts` (the
 * `event.from` loop and member pinning), `tasks.ts` (async tasks), `timing.ts` (knobs, back-off).
 *
 * How it works: `connect()` starts `run()`, which tries the candidates (`attempt`), moves to the
 * state the outcome calls for, and while connected runs the event loop. When the loop ends the
 * connection is dropped and the pool reconnects: at once after a working connection (failover),
 * with capped, jittered back-off after a connection that never got steady or a malformed answer, so
 * a broken pool cannot make it spin. `transition()` is the only place the state changes. Every async
 * job carries the generation it started in; `connect`/`disconnect` bump it, and older work stops at
 * its next step. An error nothing else caught ends the run in `failed` with its message.
 * `disconnect()` waits (bounded) for the logout, so closing the agent after it leaves no session open.
 */
import { EventEmitter } from 'node:events';
import type { Agent } from 'undici';
import type { PoolState } from '../../../shared/contract';
import { PortholeError, type ErrorCode } from '../../../shared/errors';
import { PoolInventory } from '../../../shared/inventory-build';
import { getLogger } from '../../../shared/log';
import type { PinBook, PoolAddress } from '../pins';
import { CertificateError, pinnedAgent } from '../tls-pin';
import { fromXapiError } from '../xapi-errors';
import { attempt, candidates, type TrustRequest } from './connect';
import { watchEvents } from './events';
import { nextState } from './state';
import { TaskTracker, runTask } from './tasks';
import { DEFAULT_TIMING, backoffMs, type SessionTiming } from './timing';
import { XapiConnection } from './xapi-adapter';

export type { SessionTiming } from './timing';
export type { TrustRequest } from './connect';

const log = getLogger('pool');

/** What a pool session needs from its owner. */
export interface PoolSessionOptions {
  poolId: string;
  address: PoolAddress;
  username: string;
  pins: PinBook;
  /** The password, when known (memory or keychain). Undefined → needs-password. */
  password: () => string | undefined;
  /** Member addresses remembered from earlier connections (failover candidates). */
  members: () => readonly string[];
  /** The current member addresses, when they change (to persist). */
  onMembers: (addresses: string[]) => void;
  /** The inventory changed (the owner coalesces and sends a diff); may resolve once the diff went out. */
  onInventory: () => void | Promise<void>;
  /** The password was rejected: the owner forgets it so it is not tried again. */
  onPasswordRejected: () => void;
  timing?: Partial<SessionTiming>;
}

/** Typed events of a session. */
export interface PoolSessionEvents {
  state: [PoolState];
  /** The first full inventory load of a connection is in. */
  loaded: [];
  /** A task record changed (`snapshot` undefined: the task was destroyed). */
  task: [ref: string, snapshot: Record<string, unknown> | undefined];
}

/** One pool's connection. */
export class PoolSession extends EventEmitter<PoolSessionEvents> {
  readonly poolId: string;
  readonly inventory: PoolInventory;
  private readonly opts: PoolSessionOptions;
  private readonly timing: SessionTiming;
  private readonly agent: Agent;
  private readonly tasks: TaskTracker;
  private current: PoolState = { kind: 'disconnected' };
  private conn: XapiConnection | undefined;
  /** The logout of the last dropped connection, while in flight. */
  private loggingOut: Promise<void> | undefined;
  /** Incremented by connect/disconnect: async work of an older generation stops at its next await. */
  private gen = 0;
  /** Connect loops running (0 or 1; see `attempting`). */
  private loops = 0;
  private wake: (() => void) | undefined;
  /** Last certificate refusal seen by the agent (xen-api may wrap the connector's error). */
  private refusal: CertificateError | undefined;
  private lastReason: { code: ErrorCode; message: string } | undefined;
  /** The master of the last successful login (first candidate when reconnecting). */
  private lastMaster: string | undefined;
  private isLoaded = false;
  /** Member pinning in flight (the tree is shown before it is done; console lookups wait for it). */
  private pinning: Promise<void> | undefined;

  constructor(opts: PoolSessionOptions) {
    super();
    this.opts = opts;
    this.poolId = opts.poolId;
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.inventory = new PoolInventory(opts.poolId);
    this.agent = pinnedAgent(
      opts.pins.lookup,
      (e) => {
        if (e instanceof CertificateError) this.refusal = e;
      },
      this.timing.handshakeTimeoutMs,
    );
    this.tasks = new TaskTracker({ pollMs: this.timing.taskPollMs, getRecord: (ref) => this.conn?.call('task.get_record', ref) });
  }

  /** The current state. */
  get state(): PoolState {
    return this.current;
  }

  /** The address of the current master, when connected. */
  get masterAddress(): string | undefined {
    return this.current.kind === 'connected' ? this.current.master : undefined;
  }

  /** True once the current connection's first full inventory load is in. */
  get loaded(): boolean {
    return this.isLoaded;
  }

  /** Resolves once the member pinning in flight (if any) is done, so every member's pin is in place. */
  membersPinned(): Promise<void> {
    return this.pinning ?? Promise.resolve();
  }

  /** Why the last attempt failed (for the CLI's exit code), if it did. */
  get lastFailure(): { code: ErrorCode; message: string } | undefined {
    return this.lastReason;
  }

  /** The one place the state changes. */
  private transition(next: PoolState): void {
    const from = this.current.kind;
    this.current = nextState(this.current, next);
    log.info('state', { pool: this.poolId, from, to: next.kind });
    this.emit('state', next);
  }

  /**
   * Starts connecting (again). No-op when connected or connecting; while reconnecting it skips the
   * rest of the back-off and tries at once (the notices' "Retry now").
   */
  connect(): void {
    const k = this.current.kind;
    if (k === 'reconnecting') {
      this.retryNow();
      return;
    }
    if (k === 'connected' || k === 'connecting') return;
    this.lastReason = undefined;
    this.start();
  }

  /** Drops the connection and stops every retry; resolves once the logout is answered (bounded). */
  async disconnect(): Promise<void> {
    ++this.gen;
    this.wake?.();
    this.dropConnection();
    this.tasks.failAll(new PortholeError('NOT_CONNECTED', 'Disconnected from the pool.'));
    if (this.current.kind !== 'disconnected') this.transition({ kind: 'disconnected' });
    this.inventory.clear();
    void this.opts.onInventory();
    await this.loggingOut;
  }

  /** Disconnects (logout included) and releases the TLS agent. */
  async close(): Promise<void> {
    await this.disconnect();
    // destroy, not close: close would wait for the blocked event.from to return.
    await this.agent.destroy().catch(() => undefined);
  }

  /**
   * True while a connect loop runs (connecting, backing off, retrying). Once false, nothing logs in
   * again until `connect()`: what "no retry loop" means, checkable without waiting.
   */
  get attempting(): boolean {
    return this.loops > 0;
  }

  /** Retry now (skips the remaining back-off) when reconnecting. */
  retryNow(): void {
    this.wake?.();
  }

  /**
   * The user accepted `fingerprint` for `address`. Only valid for the certificate awaiting trust. A
   * changed one is refused unless `replace` says the user deliberately chose "Trust new certificate"
   * after seeing both fingerprints (the old pin is then replaced by the new one).
   */
  trust(address: string, fingerprint: string, replace = false): void {
    const s = this.current;
    if (s.kind !== 'awaiting-trust' || s.address !== address) {
      throw new PortholeError('INVALID_ARGUMENT', `No certificate of ${address} is waiting for a decision.`);
    }
    if (s.reason === 'changed' && !replace) {
      throw new PortholeError(
        'CERT_CHANGED',
        `The certificate of ${address} changed (pinned ${s.previousFingerprint ?? '?'}, now ${s.certificate.fingerprint}). Remove the pinned certificate first if the change is expected.`,
        { host: address, fingerprint: s.certificate.fingerprint, previousFingerprint: s.previousFingerprint ?? '' },
      );
    }
    if (fingerprint !== s.certificate.fingerprint) {
      throw new PortholeError('INVALID_ARGUMENT', `The fingerprint does not match the certificate ${address} presented.`);
    }
    this.opts.pins.set(address, fingerprint, 'user', s.certificate);
    this.start();
  }

  /** Removes a host's pin (explicit user action). A pending "changed" stop for it turns into a fresh probe. */
  forgetPin(address: string): boolean {
    const had = this.opts.pins.forget(address);
    const s = this.current;
    if (s.kind === 'awaiting-trust' && s.address === address) this.start();
    return had;
  }

  /** Calls a XAPI method with the session (connected only). */
  async call(method: string, ...args: unknown[]): Promise<unknown> {
    const conn = this.requireConnection();
    try {
      return await conn.call(method, ...args);
    } catch (error) {
      throw fromXapiError(error, method);
    }
  }

  /**
   * Runs `Async.<method>` and resolves with the task's result when it finishes (events, with a poll
   * fallback). `onTask` learns the task ref as soon as XAPI hands it out (progress, cancel).
   */
  callAsync(what: string, method: string, args: readonly unknown[], onTask?: (taskRef: string) => void): Promise<string> {
    return runTask(this.requireConnection(), this.tasks, what, method, args, onTask);
  }

  /** The session id (a secret: never log it). */
  sessionId(): string {
    const id = this.requireConnection().sessionId;
    if (id === undefined) throw new PortholeError('NOT_CONNECTED');
    return id;
  }

  /** Logs in again once (after a console 401) and returns the new session id. */
  async refreshSession(): Promise<string> {
    const conn = this.requireConnection();
    try {
      await conn.reopen();
    } catch (error) {
      throw fromXapiError(error, 'Logging in again');
    }
    return this.sessionId();
  }

  private requireConnection(): XapiConnection {
    if (this.current.kind !== 'connected' || this.conn === undefined) throw new PortholeError('NOT_CONNECTED');
    return this.conn;
  }

  /** Drops the current connection; its logout runs on (see `loggingOut`). */
  private dropConnection(): void {
    this.isLoaded = false;
    const old = this.conn;
    this.conn = undefined;
    if (old !== undefined) this.logout(old);
  }

  private logout(conn: XapiConnection): void {
    const done: Promise<void> = Promise.all([this.loggingOut, conn.logout(this.timing.logoutTimeoutMs)]).then(() => {
      if (this.loggingOut === done) this.loggingOut = undefined;
    });
    this.loggingOut = done;
  }

  private stale(gen: number): boolean {
    return gen !== this.gen;
  }

  /** Starts a new run (a new generation); an error it did not expect ends it in `failed`. */
  private start(): void {
    const gen = ++this.gen;
    this.loops++;
    this.run(gen)
      .catch((error: unknown) => this.crashed(gen, error))
      .finally(() => this.loops--);
  }

  private crashed(gen: number, error: unknown): void {
    log.error('connection loop failed', { pool: this.poolId, error });
    if (this.stale(gen)) return;
    ++this.gen;
    this.dropConnection();
    const message = `Porthole stopped talking to this pool after an unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    this.tasks.failAll(new PortholeError('INTERNAL', message));
    this.lastReason = { code: 'INTERNAL', message };
    this.current = { kind: 'failed', code: 'INTERNAL', message };
    log.info('state', { pool: this.poolId, to: 'failed' });
    this.emit('state', this.current);
  }

  /** Connect, watch, and reconnect until told to stop or a human is needed. */
  private async run(gen: number): Promise<void> {
    /** Failed attempts since the connection last worked (drives the back-off). */
    let failures = 0;
    let reconnecting = false;
    for (;;) {
      const password = this.opts.password();
      if (password === undefined) {
        this.lastReason = { code: 'NEEDS_PASSWORD', message: 'A password is needed to connect.' };
        this.transition({ kind: 'needs-password', message: 'Enter the password for this pool.' });
        return;
      }
      const result = await attempt({
        poolId: this.poolId,
        address: this.opts.address,
        pins: this.opts.pins,
        handshakeTimeoutMs: this.timing.handshakeTimeoutMs,
        candidates: candidates(this.opts.address.host, reconnecting, this.lastMaster, this.opts.members()),
        connecting: (host) => this.transition({ kind: 'connecting', address: host }),
        stale: () => this.stale(gen),
        open: (host) => {
          this.refusal = undefined;
          return new XapiConnection({ host, port: this.opts.address.port, username: this.opts.username, password, agent: this.agent, callTimeoutMs: this.timing.callTimeoutMs, eventTimeoutS: this.timing.eventTimeoutS });
        },
        lastRefusal: () => this.refusal,
      });
      if (this.stale(gen)) {
        if (result.kind === 'connected') this.logout(result.conn);
        return;
      }
      switch (result.kind) {
        case 'trust':
          this.lastReason = trustReason(result.request);
          this.transition({ kind: 'awaiting-trust', ...result.request });
          return;
        case 'password':
          this.passwordRejected();
          return;
        case 'retry': {
          this.lastReason = { code: result.code, message: result.reason };
          failures++;
          if (!(await this.backOff(gen, result.reason, failures, backoffMs(failures, this.timing)))) return;
          reconnecting = true;
          continue;
        }
        case 'connected': {
          this.conn = result.conn;
          this.lastMaster = result.master;
          this.lastReason = undefined;
          this.transition({ kind: 'connected', master: result.master });
          const end = await watchEvents({
            poolId: this.poolId,
            conn: result.conn,
            inventory: this.inventory,
            pins: this.opts.pins,
            eventTimeoutS: this.timing.eventTimeoutS,
            stale: () => this.stale(gen),
            onMembers: (addresses) => this.opts.onMembers(addresses),
            onEvents: (events) => {
              this.tasks.onEvents(events);
              for (const e of events) if (e.class === 'task') this.emit('task', e.ref, e.operation === 'del' ? undefined : (e.snapshot as Record<string, unknown> | undefined));
            },
            onInventory: () => this.opts.onInventory(),
            onPinning: (pinning) => {
              const settled = pinning.catch(() => undefined);
              this.pinning = settled;
              void settled.then(() => {
                if (this.pinning === settled) this.pinning = undefined;
              });
            },
            onLoaded: () => {
              if (this.isLoaded) return;
              this.isLoaded = true;
              this.emit('loaded');
            },
          });
          if (this.stale(gen)) return;
          this.dropConnection();
          this.tasks.failAll(new PortholeError('NOT_CONNECTED', 'The connection to the pool was lost.'));
          log.warn('connection lost', { pool: this.poolId, reason: end.reason });
          if (end.code === 'WRONG_PASSWORD') {
            // Retrying with the same password cannot help (and would count as failed logins at the pool).
            this.passwordRejected();
            return;
          }
          this.lastReason = { code: end.code, message: end.reason };
          // Reconnect at once after a working connection (failover); otherwise back off, so a pool
          // that logs us in and then answers nonsense cannot make us spin.
          if (end.steady && !end.malformed) failures = 0;
          failures++;
          const delay = failures === 1 && !end.malformed ? 0 : backoffMs(failures, this.timing);
          if (!(await this.backOff(gen, end.reason, failures, delay))) return;
          reconnecting = true;
          continue;
        }
      }
    }
  }

  /** The pool rejected the password: the owner forgets it and the user is asked for it. */
  private passwordRejected(): void {
    this.lastReason = { code: 'WRONG_PASSWORD', message: 'The user name or password was rejected by the pool.' };
    this.opts.onPasswordRejected();
    this.transition({ kind: 'needs-password', message: 'The pool rejected the user name or password. Enter the password again.' });
  }

  /** Shows `reconnecting` and waits `delay` ms (or until `retryNow`); false when the run went stale. */
  private async backOff(gen: number, reason: string, attemptNo: number, delay: number): Promise<boolean> {
    this.transition({ kind: 'reconnecting', reason, attempt: attemptNo, retryInMs: delay });
    if (delay > 0) await this.sleep(delay);
    return !this.stale(gen);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function trustReason(request: TrustRequest): { code: ErrorCode; message: string } {
  return request.reason === 'changed'
    ? { code: 'CERT_CHANGED', message: `The certificate of ${request.address} changed: pinned ${request.previousFingerprint ?? '?'}, now ${request.certificate.fingerprint}.` }
    : { code: 'CERT_UNTRUSTED', message: `The certificate of ${request.address} (${request.certificate.fingerprint}) is not trusted yet.` };
}
