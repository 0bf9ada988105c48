/**
 * The one module that talks to the `xen-api` package: every use of its internals is here.
 *
 * - `XapiConnection` wraps one `Xapi` client. It swaps the package's own undici dispatcher (which
 *   validates chains, useless for self-signed hosts) for the pool's pinned agent (`_undiciDispatcher`
 *   + `_setUrl`), reads the session id (`_sessionId`) for the console bridge, re-logs in once after a
 *   console 401 (`_sessionOpen`), names replies the transport could not parse (`_createTransport`,
 *   see `namingUnparsedReplies`), and logs out with a bounded wait (`_call('session.logout')`): the
 *   package's own `disconnect()` fires the logout and forgets it, so destroying the agent right after
 *   would leave the session open on the pool.
 * - xen-api logs through `@xen-orchestra/log`, whose default transport prints to the console when
 *   `DEBUG` matches, login results (session ids) included. `routeXenApiLogs` replaces that transport
 *   (a process-wide slot the package reads on every log call) with ours: the message only, at debug
 *   level for its debug lines, through the redacting logger. It runs when this module is loaded.
 */
import { Xapi } from 'xen-api';
import type { Agent } from 'undici';
import { getLogger } from '../../../shared/log';
import { hostPort } from '../pins';
import { readUnreadBodies } from './unread-bodies';
import { UnparsedReplyError, answeredNotAsXapi } from '../xapi-errors';

const xenApiLog = getLogger('xen-api');

/** The slot `@xen-orchestra/log` reads its transport from (`Symbol.for('@xen-orchestra/log')`). */
const XO_LOG_SLOT = Symbol.for('@xen-orchestra/log');

/** `@xen-orchestra/log` levels (bunyan's numbers). */
const XO_WARN = 40;
const XO_ERROR = 50;

/** One `@xen-orchestra/log` record, as far as we read it. */
interface XoLogRecord {
  level?: unknown;
  namespace?: unknown;
  message?: unknown;
}

/** Sends xen-api's log records to our logger (message text only: its data carries call results). */
export function routeXenApiLogs(): void {
  (globalThis as Record<symbol, unknown>)[XO_LOG_SLOT] = (record: XoLogRecord): void => {
    const message = `${typeof record.namespace === 'string' ? record.namespace : 'xo'}: ${typeof record.message === 'string' ? record.message : '?'}`;
    const level = typeof record.level === 'number' ? record.level : 0;
    if (level >= XO_ERROR) xenApiLog.error(message);
    else if (level >= XO_WARN) xenApiLog.warn(message);
    else xenApiLog.debug(message);
  };
}

routeXenApiLogs();

type TransportFactory = Xapi['_createTransport'];

/**
 * Wraps xen-api's transport factory so a 2xx reply it could not parse says so. XAPI errors, socket and
 * undici errors (all with a string `code`), non-2xx answers and invalid JSON already say what they are;
 * anything else thrown from inside a transport is its XML-RPC parser failing on the body (a truncated
 * or foreign document), which xen-api surfaces as a bare `TypeError` or `Error`.
 */
export function namingUnparsedReplies(make: TransportFactory): TransportFactory {
  return (opts) => {
    const call = make(opts);
    return (method, args) =>
      call(method, args).catch((error: unknown) => {
        const named = typeof (error as { code?: unknown } | null)?.code === 'string' || answeredNotAsXapi(error);
        throw named ? error : new UnparsedReplyError(method);
      });
  };
}

/** What a connection needs. */
export interface XapiConnectionOptions {
  host: string;
  port: number;
  username: string;
  password: string;
  /** The pool's pinned agent: every request, redirects included, goes through it. */
  agent: Agent;
  /** Limit for ordinary calls, ms. */
  callTimeoutMs: number;
  /** How long one `event.from` blocks on the server, s. */
  eventTimeoutS: number;
}

/** One XAPI client (one login). */
export class XapiConnection {
  private readonly xapi: Xapi;

  constructor(opts: XapiConnectionOptions) {
    const slack = (opts.eventTimeoutS + 30) * 1000;
    this.xapi = new Xapi({
      url: `https://${hostPort(opts.host, opts.port)}`,
      auth: { user: opts.username, password: opts.password },
      watchEvents: false,
      callTimeout: { '*': opts.callTimeoutMs, 'event.from': slack },
      httpInactivityTimeout: slack,
      roCallRetryOptions: { tries: 1 },
    });
    const own = this.xapi._undiciDispatcher;
    // Composed, not replaced: the pool's pinned agent still makes every connection (see unread-bodies.ts).
    this.xapi._undiciDispatcher = opts.agent.compose(readUnreadBodies);
    this.xapi._createTransport = namingUnparsedReplies(this.xapi._createTransport);
    this.xapi._setUrl(this.xapi._url);
    own.close().catch(() => undefined);
  }

  /** Logs in (following `HOST_IS_SLAVE` once, as xen-api does). */
  connect(): Promise<void> {
    return this.xapi.connect();
  }

  /** The host answering now: the master after a `HOST_IS_SLAVE` redirect. */
  get master(): string {
    return this.xapi._url.hostname.replace(/^\[|\]$/g, '');
  }

  /** The session id (a secret: never log it), when logged in. */
  get sessionId(): string | undefined {
    return this.xapi._sessionId;
  }

  /** Calls a method with the session (xen-api re-logs in once on SESSION_INVALID). */
  call(method: string, ...args: unknown[]): Promise<unknown> {
    return this.xapi.call(method, ...args);
  }

  /** Logs in again (after a console 401). */
  reopen(): Promise<void> {
    return this.xapi._sessionOpen();
  }

  /** Ends the session and waits (at most `timeoutMs`) for the pool's answer. Never throws. */
  async logout(timeoutMs: number): Promise<void> {
    const sessionId = this.xapi._sessionId;
    // Cleared first so the package's own disconnect does not send a second, unawaited logout.
    this.xapi._sessionId = undefined;
    await this.xapi.disconnect().catch(() => undefined);
    if (sessionId === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.xapi._call('session.logout', [sessionId]).catch(() => undefined), bound]);
    clearTimeout(timer);
  }
}
