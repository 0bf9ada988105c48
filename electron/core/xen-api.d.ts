/**
 * Types for the parts of the untyped `xen-api` package (4.x, vatesfr/xen-orchestra) that Porthole uses.
 *
 * Porthole constructs `Xapi` with `watchEvents: false` and drives `event.from` itself. Only
 * `core/pools/xapi-adapter.ts` touches the internals of 4.x below: it replaces the package's undici
 * dispatcher with the pinned one (`_undiciDispatcher` + `_setUrl`), wraps `_createTransport` so a
 * reply it cannot parse is named as such, reads `_sessionId`, re-logs in
 * with `_sessionOpen` after a console 401 and logs out with `_call` so it can wait for the answer.
 * They are typed here so a package upgrade that renames them fails the type check instead of
 * silently dropping the pin.
 */
declare module 'xen-api' {
  import type { EventEmitter } from 'node:events';
  import type { Dispatcher } from 'undici';

  /** The URL parts xen-api keeps (its own parser's output). */
  export interface XapiUrl {
    protocol: string;
    hostname: string;
    port?: string;
    pathname: string;
    hostnameRaw?: string;
  }

  export interface XapiOptions {
    url: string;
    auth?: { user: string; password?: string; sessionId?: string };
    allowUnauthorized?: boolean;
    /** false: do not start the built-in event loop. */
    watchEvents?: false | string[];
    /** ms, or per method name (`'*'` for the default). */
    callTimeout?: number | Record<string, number>;
    httpInactivityTimeout?: number;
    /** Retries of read-only calls on ECONNRESET. */
    roCallRetryOptions?: { delay?: number; tries?: number };
    transport?: 'auto' | 'json-rpc' | 'xml-rpc';
    syncStackTraces?: boolean;
  }

  /** A XAPI error: `code` is XAPI's error name, `params` its parameters. */
  export interface XapiErrorLike extends Error {
    code: string;
    params: string[];
  }

  export class Xapi extends EventEmitter {
    constructor(opts: XapiOptions);
    /** 'disconnected' | 'connecting' | 'connected'. */
    readonly status: string;
    /** The session id; only valid while connected (asserts). */
    readonly sessionId: string;
    connect(): Promise<void>;
    disconnect(): Promise<void>;
    /** Calls `method` with the session id prepended (re-logs in once on SESSION_INVALID). */
    call(method: string, ...args: unknown[]): Promise<unknown>;

    // Internals of xen-api 4.x (see header).
    _undiciDispatcher: Dispatcher;
    _url: XapiUrl;
    _setUrl(url: XapiUrl): void;
    /** Makes the call function `_setUrl` installs as `_transport` (auto: JSON-RPC, then XML-RPC). */
    _createTransport: (opts: { dispatcher: Dispatcher; url: XapiUrl }) => (method: string, args: unknown[]) => Promise<unknown>;
    _sessionOpen(): Promise<void>;
    _sessionId: string | undefined;
    /** The raw call (no session id prepended); `timeout` in ms. */
    _call(method: string, args?: unknown[], timeout?: number): Promise<unknown>;
  }
}
