/**
 * The event loop of a connected pool: `event.from` feeding the inventory and the task tracker, and
 * member certificate pinning after each full load (started once the inventory is handed on, so the
 * tree does not wait for one certificate call per host, nor shares the event loop with their replies
 * while it is being sent; `onPinning` lets console lookups wait).
 *
 * How it works: `event.from` with token "" returns every watched object (a full load, diffed by value
 * against what the page has), then blocks for changes. Replies come from the network, so
 * `parseEventReply` checks their shape: a reply that is not `{events: [...], token: "<non-empty>"}`
 * ends the loop as malformed (the session backs off instead of reloading in a tight loop); single
 * events of the wrong shape are dropped. Records are kept in maps keyed by ref, so a ref named
 * `__proto__` is just a key. `EVENTS_LOST` reloads, but twice in a row without a change in
 * between ends the loop like a malformed reply.
 */
import { PortholeError, type ErrorCode } from '../../../shared/errors';
import { INVENTORY_CLASSES, type PoolInventory, type XapiEvent } from '../../../shared/inventory-build';
import { getLogger } from '../../../shared/log';
import type { PinBook } from '../pins';
import { describePem } from '../tls-pin';
import { describeTransport, xapiCode } from '../xapi-errors';
import type { XapiConnection } from './xapi-adapter';

const log = getLogger('pool');

/** Classes watched with `event.from`: the inventory's plus tasks (for power actions). */
export const WATCHED_CLASSES: readonly string[] = [...new Set<string>([...INVENTORY_CLASSES, 'task'])];

/** The operations `event.from` reports. */
const OPERATIONS = new Set(['add', 'mod', 'del']);

/** An `event.from` reply that is not shaped like one. */
export class MalformedEventReply extends PortholeError {
  constructor(detail: string) {
    super('XAPI_ERROR', `The pool sent a malformed event reply (${detail}).`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A checked `event.from` reply: the well-formed events, how many were dropped, the next token. */
export interface EventReply {
  events: XapiEvent[];
  dropped: number;
  token: string;
}

/** Reads `{events, token}` from an `event.from` reply; throws `MalformedEventReply` when it is not one. */
export function parseEventReply(reply: unknown): EventReply {
  if (!isRecord(reply)) throw new MalformedEventReply(reply === null ? 'null' : Array.isArray(reply) ? 'an array' : typeof reply);
  const { events: raw, token } = reply;
  if (!Array.isArray(raw)) throw new MalformedEventReply('no event list');
  if (typeof token !== 'string' || token === '') throw new MalformedEventReply('no token');
  const events: XapiEvent[] = [];
  for (const e of raw as unknown[]) {
    if (!isRecord(e)) continue;
    const { class: cls, ref, operation, snapshot } = e;
    if (typeof cls !== 'string' || typeof ref !== 'string' || typeof operation !== 'string' || !OPERATIONS.has(operation)) continue;
    if (operation !== 'del' && !isRecord(snapshot)) continue;
    events.push({ class: cls.toLowerCase(), operation, ref, snapshot });
  }
  return { events, dropped: raw.length - events.length, token };
}

/** Why the loop stopped. */
export interface WatchEnd {
  reason: string;
  code: ErrorCode;
  /** The pool answered something no rule covers: back off before reconnecting. */
  malformed: boolean;
  /** At least one change arrived after the full load (the connection was working). */
  steady: boolean;
}

/** What the loop needs from its session. */
export interface EventLoopContext {
  poolId: string;
  conn: XapiConnection;
  inventory: PoolInventory;
  pins: PinBook;
  eventTimeoutS: number;
  /** True once the session moved on (disconnect, reconnect): the loop stops. */
  stale(): boolean;
  /** The current member addresses (to persist). */
  onMembers(addresses: string[]): void;
  /** Events of every watched class (tasks are tracked from these). */
  onEvents(events: readonly XapiEvent[]): void;
  /** The inventory has changes to send; may resolve once they went out (the first load waits for that before pinning). */
  onInventory(): void | Promise<void>;
  /** Member pinning started (after a load, or when hosts came or went); it never rejects. */
  onPinning(pinning: Promise<void>): void;
  /** A full load is in. */
  onLoaded(): void;
}

/** Runs the event loop until the connection is lost or the session moves on; returns why it stopped. */
export async function watchEvents(ctx: EventLoopContext): Promise<WatchEnd> {
  const { conn } = ctx;
  let token = '';
  let steady = false;
  let lostInARow = 0;
  const stopped: WatchEnd = { reason: 'disconnected', code: 'NOT_CONNECTED', malformed: false, steady };
  for (;;) {
    let reply: EventReply | undefined;
    try {
      reply = parseEventReply(await conn.call('event.from', WATCHED_CLASSES, token, ctx.eventTimeoutS));
    } catch (error) {
      if (ctx.stale()) return { ...stopped, steady };
      if (error instanceof MalformedEventReply) return { reason: error.message, code: error.code, malformed: true, steady };
      const code = xapiCode(error);
      if (code === 'EVENTS_LOST') {
        // A reload, unless it would be the second without any change in between (a broken pool).
        lostInARow++;
        if (token === '' || lostInARow > 1) return { reason: 'The pool keeps answering EVENTS_LOST.', code: 'XAPI_ERROR', malformed: true, steady };
        token = '';
        continue;
      }
      // xen-api logs in again by itself when the session died (SESSION_INVALID); a password changed
      // at the pool since then is rejected there, and only the user can help.
      if (code === 'SESSION_AUTHENTICATION_FAILED') return { reason: 'The pool rejected the user name or password when logging in again.', code: 'WRONG_PASSWORD', malformed: false, steady };
      return code === undefined
        ? { reason: `Lost the connection to ${conn.master} (${describeTransport(error)}).`, code: 'HOST_UNREACHABLE', malformed: false, steady }
        : { reason: `The pool answered ${code}.`, code: 'HOST_UNREACHABLE', malformed: false, steady };
    }
    if (ctx.stale()) return { ...stopped, steady };
    if (reply.dropped > 0) log.warn('dropped malformed events', { pool: ctx.poolId, count: reply.dropped });
    const first = token === '';
    if (!first) {
      lostInARow = 0;
      steady = true;
    }
    token = reply.token;
    // Settles once the changes went out (never rejects: a failed hand-on is logged, the loop goes on).
    const handedOn = Promise.resolve(absorb(ctx, reply.events, first)).catch((error: unknown) => log.warn('the inventory was not handed on', { pool: ctx.poolId, error }));
    // Let the reply go before waiting for the next one: a first load is tens of MB of records, and
    // on a quiet pool the next reply may be a whole event timeout away.
    reply = undefined;
    if (first) {
      // The tree goes out first; the members' pins follow (a console lookup waits for them: onPinning,
      // from now on, though the certificate calls start only once the tree was handed on).
      const pinning = handedOn.then(() => (ctx.stale() ? undefined : pinMembers(ctx)));
      ctx.onPinning(pinning);
      await pinning;
      if (ctx.stale()) return { ...stopped, steady };
      ctx.onLoaded();
    }
  }
}

/** Feeds one reply's events to the inventory (a full load when `first`) and the session; re-pins when hosts came or went. Returns what `onInventory` did. */
function absorb(ctx: EventLoopContext, events: readonly XapiEvent[], first: boolean): void | Promise<void> {
  if (first) {
    ctx.inventory.loadEvents(events);
  } else {
    ctx.inventory.applyEvents(events);
    if (events.some((e) => e.class === 'host' && e.operation !== 'mod')) {
      ctx.onPinning(pinMembers(ctx).catch((error: unknown) => log.warn('cannot pin the members', { pool: ctx.poolId, error })));
    }
  }
  ctx.onEvents(events);
  return ctx.inventory.hasChanges ? ctx.onInventory() : undefined;
}

/**
 * Certificate calls in flight at once while pinning. Each call in flight needs a connection of its own,
 * and each new connection is a full TLS handshake on this thread: a 64-host pool asked all at once
 * meant 64 handshakes competing with the tree being sent.
 */
export const PIN_CALLS_IN_FLIGHT = 4;

/** Runs `work` on every item, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** Pins every host's certificate as the (trusted) master reports it, and remembers member addresses. */
export async function pinMembers(ctx: EventLoopContext): Promise<void> {
  const master = ctx.conn.master;
  const hosts = ctx.inventory.hosts().filter((h) => h.address !== '');
  ctx.onMembers(hosts.map((h) => h.address));
  await eachLimited(hosts, PIN_CALLS_IN_FLIGHT, async (h) => {
    // A lane stops once the session moved on (no calls for a connection that is gone).
    if (ctx.stale()) return;
    try {
      const pem = await ctx.conn.call('host.get_server_certificate', h.ref);
      if (ctx.stale() || typeof pem !== 'string') return;
      const cert = describePem(pem);
      // The master was verified by its own pin on this very connection; the pool's word does not
      // override the user's. Only the facts of that same certificate are recorded (pins saved
      // before facts were kept get them here).
      const pinned = ctx.pins.get(h.address);
      if (h.address === master && pinned !== undefined && pinned.fingerprint !== cert.fingerprint) return;
      if (ctx.pins.set(h.address, cert.fingerprint, 'pool', cert)) log.info('pinned member', { pool: ctx.poolId, host: h.address });
    } catch (error) {
      log.warn('cannot read a host certificate', { pool: ctx.poolId, host: h.address, code: xapiCode(error) ?? describeTransport(error) });
    }
  });
}
