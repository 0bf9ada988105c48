/**
 * The page's side of the web harness: implements `PortholeApi` over one token-checked WebSocket, for
 * when the renderer runs in a plain browser instead of Electron (no `window.porthole`).
 *
 * The frames and the envelope are `shared/wire.ts`, which the harness server uses too. The socket is
 * `ws://<location.host>/api?token=<t>`. `id` is chosen by the page, unique per socket, and echoed in
 * exactly one reply.
 *
 * How it works: one state machine, `idle → connecting → open → (dropped) → waiting → connecting …`.
 * Requests made while not open are queued and sent on the next open; requests in flight when the socket
 * drops fail with an `INTERNAL` error (the server may or may not have run them, so they are not
 * replayed). After a drop the client reconnects with exponential backoff (reset only by a connection
 * that stayed up for `STABLE_CONNECTION_MS`, so a server that accepts and closes at once is not
 * hammered) and reports its status to
 * listeners (the page shows a banner) and calls `onReopen` listeners so the page can re-fetch state it
 * may have missed. Replies are unwrapped: `ok` → the value; error → a thrown `PortholeError` with the
 * wire `code` and `message`.
 */
import type { EventChannel, Events, PortholeApi, RequestArg, RequestChannel, RequestResult } from '../../../shared/contract';
import { PortholeError } from '../../../shared/errors';
import { encodeRequest, parseServerFrame } from '../../../shared/wire';
import { getLogger } from '../../../shared/log';
import { backoffDelayMs } from './backoff';

const log = getLogger('harness-client');

/** The subset of the browser `WebSocket` the client uses (the `ws` package matches it too). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

/** Connection status, for the banner. */
export type HarnessStatus =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open' }
  | { kind: 'waiting'; attempt: number; retryInMs: number; reason: string }
  | { kind: 'closed' };

/** Options of `createHarnessClient`. */
export interface HarnessClientOptions {
  url: string;
  /** Makes the socket; defaults to the browser's `WebSocket`. */
  createSocket?: (url: string) => SocketLike;
  /** First reconnect delay, in ms. */
  backoffBaseMs?: number;
  /** Longest reconnect delay, in ms. */
  backoffMaxMs?: number;
}

/** The client: the API plus its connection status and lifecycle. */
export interface HarnessClient extends PortholeApi {
  status(): HarnessStatus;
  onStatus(listener: (status: HarnessStatus) => void): () => void;
  /** Called after every successful reconnect (not the first open). */
  onReopen(listener: () => void): () => void;
  /** Closes for good; pending requests fail. */
  close(): void;
}

const OPEN = 1;
/** A connection that stayed open this long resets the backoff, in ms (one closed at once does not). */
export const STABLE_CONNECTION_MS = 5_000;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  /** The frame, kept until it is written to an open socket. */
  frame: string;
  sent: boolean;
}

/** Creates the client and starts connecting at once. */
export function createHarnessClient(options: HarnessClientOptions): HarnessClient {
  const createSocket = options.createSocket ?? ((url: string): SocketLike => new WebSocket(url));
  const listeners = new Map<string, Set<(payload: never) => void>>();
  const statusListeners = new Set<(status: HarnessStatus) => void>();
  const reopenListeners = new Set<() => void>();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let socket: SocketLike | undefined;
  let status: HarnessStatus = { kind: 'connecting', attempt: 0 };
  let attempt = 0;
  let everOpened = false;
  let openedAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const setStatus = (next: HarnessStatus): void => {
    status = next;
    for (const listener of statusListeners) listener(next);
  };

  const failInFlight = (message: string): void => {
    for (const [id, p] of pending) {
      if (!p.sent) continue;
      pending.delete(id);
      p.reject(new PortholeError('INTERNAL', message));
    }
  };

  const handleMessage = (data: unknown): void => {
    if (typeof data !== 'string') return;
    const frame = parseServerFrame(data);
    if (frame === undefined) {
      log.warn('dropped a malformed frame');
      return;
    }
    if (frame.kind === 'reply') {
      const p = pending.get(frame.id);
      if (p === undefined) return;
      pending.delete(frame.id);
      if (frame.result.ok) p.resolve(frame.result.value);
      else p.reject(frame.result.error);
      return;
    }
    const set = listeners.get(frame.channel);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as (payload: unknown) => void)(frame.payload);
      } catch (error) {
        log.error('event listener threw', { event: frame.channel, error });
      }
    }
  };

  const connect = (): void => {
    timer = undefined;
    setStatus({ kind: 'connecting', attempt });
    let s: SocketLike;
    try {
      s = createSocket(options.url);
    } catch (error) {
      log.warn('could not create the API socket', { error });
      scheduleReconnect('could not open the connection');
      return;
    }
    socket = s;
    s.addEventListener('open', () => {
      if (socket !== s) return;
      openedAt = Date.now();
      setStatus({ kind: 'open' });
      for (const p of pending.values()) {
        if (p.sent) continue;
        s.send(p.frame);
        p.sent = true;
      }
      if (everOpened) for (const listener of reopenListeners) listener();
      everOpened = true;
    });
    s.addEventListener('message', (event) => {
      if (socket === s) handleMessage(event.data);
    });
    s.addEventListener('error', () => undefined);
    s.addEventListener('close', (event) => {
      if (socket !== s) return;
      socket = undefined;
      failInFlight('Lost the connection to the Porthole backend.');
      if (status.kind === 'closed') return;
      if (openedAt !== 0 && Date.now() - openedAt >= STABLE_CONNECTION_MS) attempt = 0;
      openedAt = 0;
      scheduleReconnect(event.reason !== '' ? event.reason : `connection closed (code ${event.code})`);
    });
  };

  const scheduleReconnect = (reason: string): void => {
    const retryInMs = backoffDelayMs(attempt, options.backoffBaseMs, options.backoffMaxMs);
    attempt += 1;
    setStatus({ kind: 'waiting', attempt, retryInMs, reason });
    timer = setTimeout(connect, retryInMs);
  };

  connect();

  return {
    invoke<C extends RequestChannel>(channel: C, arg: RequestArg<C>): Promise<RequestResult<C>> {
      if (status.kind === 'closed') return Promise.reject(new PortholeError('INTERNAL', 'The client is closed.'));
      const id = nextId++;
      const frame = encodeRequest(id, channel, arg);
      return new Promise<RequestResult<C>>((resolve, reject) => {
        const entry: Pending = { resolve: resolve as (value: unknown) => void, reject, frame, sent: false };
        pending.set(id, entry);
        if (socket !== undefined && socket.readyState === OPEN) {
          socket.send(frame);
          entry.sent = true;
        }
      });
    },
    on<E extends EventChannel>(channel: E, listener: (payload: Events[E]) => void): () => void {
      let set = listeners.get(channel);
      if (set === undefined) {
        set = new Set();
        listeners.set(channel, set);
      }
      const entry = listener as (payload: never) => void;
      set.add(entry);
      return () => set.delete(entry);
    },
    status: () => status,
    onStatus(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    onReopen(listener) {
      reopenListeners.add(listener);
      return () => reopenListeners.delete(listener);
    },
    close() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      setStatus({ kind: 'closed' });
      const s = socket;
      socket = undefined;
      for (const p of pending.values()) p.sent = true;
      failInFlight('The client is closed.');
      s?.close(1000, 'closed');
    },
  };
}
