/**
 * One pool's XAPI connection: an explicit state machine, the `xen-api` client, the event loop that
 * feeds the inventory, async tasks, and the console source for the bridge.
 *
 * States (contract `PoolState`): disconnected → connecting → awaiting-trust | needs-password |
 * connected → reconnecting → … | failed. `transition()` is the only place the state changes; it
 * rejects illegal moves (a bug) and emits every change.
 *
 * How a connection is made:
 * 1. Candidates: the configured address; when reconnecting also the last master and every member
 *    address seen (failover: XenCenter cycles through them too).
 * 2. A candidate with no pin is probed (TLS handshake only, nothing written) and the pool waits in
 *    `awaiting-trust` for the user; unpinned members are skipped during failover.
 * 3. A pinned candidate gets a fresh `Xapi` whose undici dispatcher is the pool's pinned agent, so
 *    every request (including xen-api's own `HOST_IS_SLAVE` redirect) goes through `connectPinned`: a
 *    host presenting another certificate is refused before any byte — no login request reaches it.
 * 4. Outcomes: logged in → `connected`; certificate refused → `awaiting-trust` (reason `changed` when a
 *    pin existed: a hard stop); `SESSION_AUTHENTICATION_FAILED` → `needs-password` (no retry, so the
 *    account is not locked); `HOST_IS_SLAVE [master]` → that master is tried next; unreachable /
 *    `HOST_STILL_BOOTING` → next candidate, then `reconnecting` with capped, jittered back-off.
 * 5. Connected: `event.from` with token "" returns every watched object (a full load, diffed by value
 *    against what the page has), then blocks for changes. `SESSION_INVALID` is handled by xen-api's
 *    silent re-login; `EVENTS_LOST` reloads; a lost connection reconnects (failover).
 * 6. After each full load the master is asked for every host's certificate (`host.get_server_certificate`)
 *    and those are pinned (source `pool`), so members — consoles and failover — need no prompt.
 */
import { EventEmitter } from 'node:events';
import { Xapi } from 'xen-api';
import type { Agent } from 'undici';
import type { CertificateInfo, PoolState } from '../../shared/contract';
import { PortholeError, type ErrorCode } from '../../shared/errors';
import { INVENTORY_CLASSES, PoolInventory, type RecordTables, type XapiEvent } from '../../shared/inventory-build';
import { getLogger } from '../../shared/log';
import { CertificateError, fingerprintFromPem, pinnedAgent, probeCertificate } from './tls-pin';
import { hostPort, type PinBook, type PoolAddress } from './pins';
import { describeTransport, fromXapiError, isTransportFailure, xapiCode } from './xapi-errors';

const log = getLogger('pool');

/** Timing knobs (tests shorten them). */
export interface SessionTiming {
  /** First back-off delay, ms. */
  backoffBaseMs: number;
  /** Longest back-off delay, ms. */
  backoffCapMs: number;
  /** TCP + TLS handshake limit per connection, ms. */
  handshakeTimeoutMs: number;
  /** How long one `event.from` blocks on the server, s (a non-integer, see EVENT_TIMEOUT_S). */
  eventTimeoutS: number;
  /** Limit for ordinary calls (login, records), ms. */
  callTimeoutMs: number;
  /** Interval of the fallback poll of a running task, ms. */
  taskPollMs: number;
}

/**
 * Defaults. The event timeout is not a whole number on purpose: xen-api's XML-RPC encoder turns
 * integers into strings, and xapi wants a float there.
 */
export const DEFAULT_TIMING: SessionTiming = {
  backoffBaseMs: 1_000,
  backoffCapMs: 60_000,
  handshakeTimeoutMs: 8_000,
  eventTimeoutS: 30.1,
  callTimeoutMs: 60_000,
  taskPollMs: 5_000,
};

/** Classes watched with `event.from`: the inventory's plus tasks (for power actions). */
export const WATCHED_CLASSES: readonly string[] = [...new Set<string>([...INVENTORY_CLASSES, 'task'])];

/** Most remembered finished tasks (a task may finish before its waiter registers). */
const FINISHED_TASKS_KEPT = 1_000;

/** Back-off before attempt `n` (1-based): exponential, capped, with full jitter in [50%, 100%]. */
export function backoffMs(attempt: number, timing: Pick<SessionTiming, 'backoffBaseMs' | 'backoffCapMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(timing.backoffCapMs, timing.backoffBaseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling * (0.5 + random() / 2));
}

type Kind = PoolState['kind'];

/** Legal state changes (anything else is a bug and throws). */
const LEGAL: Record<Kind, readonly Kind[]> = {
  disconnected: ['connecting', 'needs-password'],
  connecting: ['connecting', 'awaiting-trust', 'needs-password', 'connected', 'reconnecting', 'failed', 'disconnected'],
  'awaiting-trust': ['connecting', 'disconnected', 'needs-password'],
  'needs-password': ['connecting', 'disconnected', 'needs-password'],
  connected: ['reconnecting', 'disconnected', 'failed'],
  reconnecting: ['connecting', 'reconnecting', 'awaiting-trust', 'needs-password', 'failed', 'disconnected'],
  failed: ['connecting', 'disconnected', 'needs-password'],
};

/** True when `from → to` is a legal transition. */
export function isLegalTransition(from: Kind, to: Kind): boolean {
  return LEGAL[from].includes(to);
}

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
  /** The inventory changed (the owner coalesces and sends a diff). */
  onInventory: () => void;
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

/** A refused certificate, as the trust dialog needs it. */
interface TrustRequest {
  address: string;
  certificate: CertificateInfo;
  reason: 'unknown' | 'changed';
  previousFingerprint?: string;
}

type AttemptResult =
  | { kind: 'connected'; xapi: Xapi; master: string }
  | { kind: 'trust'; request: TrustRequest }
  | { kind: 'password' }
  | { kind: 'retry'; reason: string; code: ErrorCode };

function certInfo(e: CertificateError): CertificateInfo {
  const { fingerprint, subject, issuer, validFrom, validTo } = e.presented;
  return { fingerprint, subject, issuer, validFrom, validTo };
}

interface TaskWaiter {
  what: string;
  resolve: (result: string) => void;
  reject: (error: PortholeError) => void;
}

/** One pool's connection. */
export class PoolSession extends EventEmitter<PoolSessionEvents> {
  readonly poolId: string;
  readonly inventory: PoolInventory;
  private readonly opts: PoolSessionOptions;
  private readonly timing: SessionTiming;
  private readonly agent: Agent;
  private current: PoolState = { kind: 'disconnected' };
  private xapi: Xapi | undefined;
  private master: string | undefined;
  /** Incremented by connect/disconnect: async work of an older generation stops at its next await. */
  private gen = 0;
  private wake: (() => void) | undefined;
  /** Last certificate refusal seen by the agent (xen-api may wrap the connector's error). */
  private lastRefusal: CertificateError | undefined;
  private readonly waiters = new Map<string, TaskWaiter>();
  private readonly finished = new Map<string, Record<string, unknown>>();
  private lastReason: { code: ErrorCode; message: string } | undefined;
  /** The master of the last successful login (first candidate when reconnecting). */
  private lastMaster: string | undefined;
  private isLoaded = false;

  constructor(opts: PoolSessionOptions) {
    super();
    this.opts = opts;
    this.poolId = opts.poolId;
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.inventory = new PoolInventory(opts.poolId);
    this.agent = pinnedAgent(
      opts.pins.lookup,
      (e) => {
        if (e instanceof CertificateError) this.lastRefusal = e;
      },
      this.timing.handshakeTimeoutMs,
    );
  }

  /** The current state. */
  get state(): PoolState {
    return this.current;
  }

  /** The address of the current master, when connected. */
  get masterAddress(): string | undefined {
    return this.master;
  }

  /** True once the current connection's first full inventory load is in. */
  get loaded(): boolean {
    return this.isLoaded;
  }

  /** Why the last attempt failed (for the CLI's exit code), if it did. */
  get lastFailure(): { code: ErrorCode; message: string } | undefined {
    return this.lastReason;
  }

  /** The one place the state changes. */
  private transition(next: PoolState): void {
    const from = this.current.kind;
    if (!isLegalTransition(from, next.kind)) throw new PortholeError('INTERNAL', `Illegal pool state change ${from} → ${next.kind}.`);
    this.current = next;
    log.info('state', { pool: this.poolId, from, to: next.kind });
    this.emit('state', next);
  }

  /** Starts connecting (again). No-op when connected or already trying. */
  connect(): void {
    const k = this.current.kind;
    if (k === 'connected' || k === 'connecting' || k === 'reconnecting') return;
    const gen = ++this.gen;
    this.lastReason = undefined;
    void this.run(gen, false);
  }

  /** Drops the connection and stops every retry. */
  async disconnect(): Promise<void> {
    ++this.gen;
    this.wake?.();
    this.dropXapi();
    this.failTasks(new PortholeError('NOT_CONNECTED', 'Disconnected from the pool.'));
    if (this.current.kind !== 'disconnected') this.transition({ kind: 'disconnected' });
    this.inventory.clear();
    this.opts.onInventory();
    await Promise.resolve();
  }

  /** Disconnects and releases the TLS agent. */
  async close(): Promise<void> {
    await this.disconnect();
    // destroy, not close: close would wait for the blocked event.from to return.
    await this.agent.destroy().catch(() => undefined);
  }

  /** Retry now (skips the remaining back-off) when reconnecting. */
  retryNow(): void {
    this.wake?.();
  }

  /**
   * The user accepted `fingerprint` for `address`. Only valid for the certificate awaiting trust. A
   * changed one is refused unless `replace` says the user deliberately chose "Trust new certificate"
   * after seeing both fingerprints (then the old pin is replaced by the new one).
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
    this.opts.pins.set(address, fingerprint, 'user');
    const gen = ++this.gen;
    void this.run(gen, false);
  }

  /** Removes a host's pin (explicit user action). A pending "changed" stop for it turns into a fresh probe. */
  forgetPin(address: string): boolean {
    const had = this.opts.pins.forget(address);
    const s = this.current;
    if (s.kind === 'awaiting-trust' && s.address === address) {
      const gen = ++this.gen;
      void this.run(gen, false);
    }
    return had;
  }

  /** Calls a XAPI method with the session (connected only). */
  async call(method: string, ...args: unknown[]): Promise<unknown> {
    const xapi = this.requireXapi();
    try {
      return await xapi.call(method, ...args);
    } catch (error) {
      throw fromXapiError(error, method);
    }
  }

  /**
   * Runs `Async.<method>` and resolves with the task's result when it finishes (events, with a poll
   * fallback). `onTask` learns the task ref as soon as XAPI hands it out (progress, cancel).
   */
  async callAsync(what: string, method: string, args: readonly unknown[], onTask?: (taskRef: string) => void): Promise<string> {
    const xapi = this.requireXapi();
    let taskRef: string;
    try {
      taskRef = String(await xapi.call(`Async.${method}`, ...args));
    } catch (error) {
      throw fromXapiError(error, what);
    }
    onTask?.(taskRef);
    try {
      return await this.waitTask(taskRef, what);
    } finally {
      xapi.call('task.destroy', taskRef).catch(() => undefined);
    }
  }

  /** The session id (a secret: never log it). */
  sessionId(): string {
    const xapi = this.requireXapi();
    const id = xapi._sessionId;
    if (id === undefined) throw new PortholeError('NOT_CONNECTED');
    return id;
  }

  /** Logs in again once (after a console 401) and returns the new session id. */
  async refreshSession(): Promise<string> {
    const xapi = this.requireXapi();
    try {
      await xapi._sessionOpen();
    } catch (error) {
      throw fromXapiError(error, 'Logging in again');
    }
    return this.sessionId();
  }

  private requireXapi(): Xapi {
    if (this.current.kind !== 'connected' || this.xapi === undefined) throw new PortholeError('NOT_CONNECTED');
    return this.xapi;
  }

  private dropXapi(): void {
    this.isLoaded = false;
    const old = this.xapi;
    this.xapi = undefined;
    this.master = undefined;
    if (old !== undefined) old.disconnect().catch(() => undefined);
  }

  private stale(gen: number): boolean {
    return gen !== this.gen;
  }

  /** Connect, watch, and reconnect until told to stop or a human is needed. */
  private async run(gen: number, reconnecting: boolean): Promise<void> {
    let attempt = 0;
    for (;;) {
      if (this.opts.password() === undefined) {
        this.lastReason = { code: 'NEEDS_PASSWORD', message: 'A password is needed to connect.' };
        this.transition({ kind: 'needs-password', message: 'Enter the password for this pool.' });
        return;
      }
      const result = await this.attempt(gen, reconnecting);
      if (this.stale(gen)) {
        if (result.kind === 'connected') result.xapi.disconnect().catch(() => undefined);
        return;
      }
      switch (result.kind) {
        case 'trust':
          this.lastReason = {
            code: result.request.reason === 'changed' ? 'CERT_CHANGED' : 'CERT_UNTRUSTED',
            message: result.request.reason === 'changed'
              ? `The certificate of ${result.request.address} changed: pinned ${result.request.previousFingerprint ?? '?'}, now ${result.request.certificate.fingerprint}.`
              : `The certificate of ${result.request.address} (${result.request.certificate.fingerprint}) is not trusted yet.`,
          };
          this.transition({ kind: 'awaiting-trust', ...result.request });
          return;
        case 'password':
          this.lastReason = { code: 'WRONG_PASSWORD', message: 'The user name or password was rejected by the pool.' };
          this.opts.onPasswordRejected();
          this.transition({ kind: 'needs-password', message: 'The pool rejected the user name or password. Enter the password again.' });
          return;
        case 'retry': {
          this.lastReason = { code: result.code, message: result.reason };
          attempt++;
          const delay = backoffMs(attempt, this.timing);
          this.transition({ kind: 'reconnecting', reason: result.reason, attempt, retryInMs: delay });
          await this.sleep(delay);
          if (this.stale(gen)) return;
          reconnecting = true;
          continue;
        }
        case 'connected': {
          attempt = 0;
          this.xapi = result.xapi;
          this.master = result.master;
          this.lastReason = undefined;
          this.transition({ kind: 'connected', master: result.master });
          const lost = await this.watch(gen, result.xapi);
          if (this.stale(gen)) return;
          this.dropXapi();
          this.failTasks(new PortholeError('NOT_CONNECTED', 'The connection to the pool was lost.'));
          log.warn('connection lost', { pool: this.poolId, reason: lost });
          attempt = 1;
          this.lastReason = { code: 'HOST_UNREACHABLE', message: lost };
          this.transition({ kind: 'reconnecting', reason: lost, attempt, retryInMs: 0 });
          reconnecting = true;
          continue;
        }
      }
    }
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

  private candidates(reconnecting: boolean): string[] {
    const list = [this.opts.address.host];
    if (reconnecting) {
      if (this.lastMaster !== undefined) list.unshift(this.lastMaster);
      list.push(...this.opts.members());
    }
    return [...new Set(list)];
  }

  /** Tries the candidates once each. */
  private async attempt(gen: number, reconnecting: boolean): Promise<AttemptResult> {
    const queue = this.candidates(reconnecting);
    const tried = new Set<string>();
    const redirected = new Set<string>();
    let failure: { reason: string; code: ErrorCode } = { reason: 'No host of the pool answered.', code: 'HOST_UNREACHABLE' };
    for (let host = queue.shift(); host !== undefined; host = queue.shift()) {
      if (tried.has(host)) continue;
      tried.add(host);
      if (this.opts.pins.get(host) === undefined) {
        // Unknown host: show its certificate before anything is sent. Remembered members are only
        // tried when pinned; the configured address and a master named by HOST_IS_SLAVE are asked about.
        if (host !== this.opts.address.host && !redirected.has(host)) continue;
        this.transition({ kind: 'connecting', address: host });
        try {
          const cert = await probeCertificate({ host, port: this.opts.address.port, timeoutMs: this.timing.handshakeTimeoutMs });
          const { fingerprint, subject, issuer, validFrom, validTo } = cert;
          return { kind: 'trust', request: { address: host, certificate: { fingerprint, subject, issuer, validFrom, validTo }, reason: 'unknown' } };
        } catch (error) {
          failure = { reason: error instanceof Error ? error.message : 'unreachable', code: 'HOST_UNREACHABLE' };
          if (this.stale(gen)) return { kind: 'retry', ...failure };
          continue;
        }
      }
      this.transition({ kind: 'connecting', address: host });
      this.lastRefusal = undefined;
      const xapi = this.makeXapi(host);
      try {
        await xapi.connect();
        const master = xapi._url.hostname.replace(/^\[|\]$/g, '');
        this.lastMaster = master;
        return { kind: 'connected', xapi, master };
      } catch (error) {
        xapi.disconnect().catch(() => undefined);
        const refusal = error instanceof CertificateError ? error : this.lastRefusal;
        if (refusal !== undefined) {
          return {
            kind: 'trust',
            request: {
              address: refusal.host,
              certificate: certInfo(refusal),
              reason: refusal.expected === undefined ? 'unknown' : 'changed',
              ...(refusal.expected === undefined ? {} : { previousFingerprint: refusal.expected }),
            },
          };
        }
        const code = xapiCode(error);
        if (code === 'SESSION_AUTHENTICATION_FAILED') return { kind: 'password' };
        if (code === 'HOST_IS_SLAVE') {
          const params = (error as { params: string[] }).params;
          const newMaster = params[0];
          if (newMaster !== undefined && !tried.has(newMaster)) {
            queue.unshift(newMaster);
            redirected.add(newMaster);
          }
          failure = { reason: `${host} is not the pool master.`, code: 'HOST_UNREACHABLE' };
        } else if (code === 'HOST_STILL_BOOTING') {
          failure = { reason: `${host} is still starting its toolstack.`, code: 'HOST_STILL_BOOTING' };
        } else if (isTransportFailure(error)) {
          // A PortholeError from the pinned connector already names the host: do not wrap it again.
          const reason = error instanceof PortholeError ? error.message : `Cannot reach ${host}: ${describeTransport(error)}.`;
          failure = { reason, code: 'HOST_UNREACHABLE' };
        } else {
          const e = fromXapiError(error, 'Logging in');
          failure = { reason: e.message, code: e.code };
        }
        log.info('candidate failed', { pool: this.poolId, host, reason: failure.reason });
        if (this.stale(gen)) return { kind: 'retry', ...failure };
      }
    }
    return { kind: 'retry', ...failure };
  }

  private makeXapi(host: string): Xapi {
    const xapi = new Xapi({
      url: `https://${hostPort(host, this.opts.address.port)}`,
      auth: { user: this.opts.username, password: this.opts.password() ?? '' },
      watchEvents: false,
      callTimeout: { '*': this.timing.callTimeoutMs, 'event.from': (this.timing.eventTimeoutS + 30) * 1000 },
      httpInactivityTimeout: (this.timing.eventTimeoutS + 30) * 1000,
      roCallRetryOptions: { tries: 1 },
    });
    // The package's own dispatcher validates chains (useless for self-signed hosts); ours checks the pin.
    const own = xapi._undiciDispatcher;
    xapi._undiciDispatcher = this.agent;
    xapi._setUrl(xapi._url);
    own.close().catch(() => undefined);
    return xapi;
  }

  /** The event loop; returns why it stopped (connection lost). */
  private async watch(gen: number, xapi: Xapi): Promise<string> {
    let token = '';
    for (;;) {
      let reply: unknown;
      try {
        reply = await xapi.call('event.from', WATCHED_CLASSES, token, this.timing.eventTimeoutS);
      } catch (error) {
        if (this.stale(gen)) return 'disconnected';
        const code = xapiCode(error);
        if (code === 'EVENTS_LOST') {
          token = '';
          continue;
        }
        return code === undefined ? `Lost the connection to ${this.master ?? 'the master'} (${describeTransport(error)}).` : `The pool answered ${code}.`;
      }
      if (this.stale(gen)) return 'disconnected';
      const { events, next } = parseEventReply(reply);
      if (token === '') {
        this.inventory.load(tablesOf(events));
        await this.pinMembers(gen, xapi);
        if (this.stale(gen)) return 'disconnected';
      } else {
        this.inventory.applyEvents(events);
        if (events.some((e) => e.class === 'host' && e.operation !== 'mod')) void this.pinMembers(gen, xapi);
      }
      this.onTaskEvents(events);
      const first = token === '';
      token = next;
      if (this.inventory.hasChanges) this.opts.onInventory();
      if (first && !this.isLoaded) {
        this.isLoaded = true;
        this.emit('loaded');
      }
    }
  }

  /** Pins every host's certificate as the (trusted) master reports it, and remembers member addresses. */
  private async pinMembers(gen: number, xapi: Xapi): Promise<void> {
    const hosts = this.inventory.hosts().filter((h) => h.address !== '');
    this.opts.onMembers(hosts.map((h) => h.address));
    await Promise.all(
      hosts.map(async (h) => {
        try {
          const pem = await xapi.call('host.get_server_certificate', h.ref);
          if (this.stale(gen) || typeof pem !== 'string') return;
          const fp = fingerprintFromPem(pem);
          // The master was verified by its own pin on this very connection; the pool's word does not override the user's.
          if (h.address === this.master && this.opts.pins.get(h.address) !== undefined) return;
          if (this.opts.pins.set(h.address, fp, 'pool')) log.info('pinned member', { pool: this.poolId, host: h.address });
        } catch (error) {
          log.warn('cannot read a host certificate', { pool: this.poolId, host: h.address, code: xapiCode(error) ?? describeTransport(error) });
        }
      }),
    );
  }

  private waitTask(ref: string, what: string): Promise<string> {
    const done = this.finished.get(ref);
    if (done !== undefined) {
      this.finished.delete(ref);
      return settleTask(done, what);
    }
    return new Promise<string>((resolve, reject) => {
      const poll = setInterval(() => {
        const xapi = this.xapi;
        if (xapi === undefined) return;
        xapi.call('task.get_record', ref).then(
          (rec) => {
            if (typeof rec === 'object' && rec !== null && (rec as { status?: unknown }).status !== 'pending') this.finishTask(ref, rec as Record<string, unknown>);
          },
          () => undefined,
        );
      }, this.timing.taskPollMs);
      this.waiters.set(ref, {
        what,
        resolve: (r) => {
          clearInterval(poll);
          resolve(r);
        },
        reject: (e) => {
          clearInterval(poll);
          reject(e);
        },
      });
    });
  }

  private onTaskEvents(events: readonly XapiEvent[]): void {
    for (const e of events) {
      if (e.class !== 'task') continue;
      const snap = e.operation === 'del' ? undefined : (e.snapshot as Record<string, unknown> | undefined);
      this.emit('task', e.ref, snap);
      if (e.operation === 'del') continue;
      if (snap === undefined || snap.status === 'pending' || snap.status === 'cancelling') continue;
      this.finishTask(e.ref, snap);
    }
  }

  private finishTask(ref: string, rec: Record<string, unknown>): void {
    const waiter = this.waiters.get(ref);
    if (waiter === undefined) {
      this.finished.set(ref, rec);
      const oldest = this.finished.keys().next();
      if (this.finished.size > FINISHED_TASKS_KEPT && oldest.done !== true) this.finished.delete(oldest.value);
      return;
    }
    this.waiters.delete(ref);
    settleTask(rec, waiter.what).then(waiter.resolve, (e: unknown) => waiter.reject(e as PortholeError));
  }

  private failTasks(error: PortholeError): void {
    for (const w of this.waiters.values()) w.reject(error);
    this.waiters.clear();
  }
}

function settleTask(rec: Record<string, unknown>, what: string): Promise<string> {
  if (rec.status === 'success') return Promise.resolve(typeof rec.result === 'string' ? rec.result : '');
  if (rec.status === 'cancelled') return Promise.reject(new PortholeError('XAPI_ERROR', `${what} was cancelled.`, { xapiCode: 'TASK_CANCELLED' }));
  const info = Array.isArray(rec.error_info) ? rec.error_info.map(String) : [];
  const [code = 'INTERNAL_ERROR', ...params] = info;
  return Promise.reject(fromXapiError({ code, params }, what));
}

/** Reads `{events, token}` from an `event.from` reply, tolerating odd shapes. */
export function parseEventReply(reply: unknown): { events: XapiEvent[]; next: string } {
  const r = reply as { events?: unknown; token?: unknown } | null;
  const events: XapiEvent[] = [];
  if (Array.isArray(r?.events)) {
    for (const e of r.events as unknown[]) {
      const x = e as Partial<XapiEvent> | null;
      if (typeof x?.class === 'string' && typeof x.ref === 'string' && typeof x.operation === 'string') {
        events.push({ class: x.class.toLowerCase(), operation: x.operation, ref: x.ref, snapshot: x.snapshot });
      }
    }
  }
  return { events, next: typeof r?.token === 'string' ? r.token : '' };
}

/** Groups a full `event.from` reply into record tables for `PoolInventory.load`. */
export function tablesOf(events: readonly XapiEvent[]): RecordTables {
  const tables: Record<string, Record<string, unknown>> = {};
  for (const e of events) {
    if (e.operation === 'del' || e.snapshot === undefined) continue;
    (tables[e.class] ??= {})[e.ref] = e.snapshot;
  }
  return tables;
}

export type { TrustRequest };
