/**
 * The console bridge: a loopback WebSocket server that only our own page can use, each connection
 * relayed to one XAPI console tunnel (see relay.ts and tunnel.ts).
 *
 * How it works: `createBridge` listens on 127.0.0.1 (ephemeral port) with a plain `http` server and a
 * `ws` server in `noServer` mode. The backend calls `openConsole(source, req)`: the console is looked up
 * (so VM_NOT_RUNNING and friends reach the caller as errors), and a one-time token is issued
 * (tokens.ts). The page opens `ws://127.0.0.1:PORT/console/<token>`. The upgrade is checked in this
 * order, and anything refused gets a plain HTTP error with **no upstream connection made**:
 *   path `/console/<token>` (404) → `Host` is exactly `127.0.0.1:PORT` (403, stops DNS rebinding) →
 *   `Origin` is one of the allowed origins (403; a missing Origin is refused too, so only a browser page
 *   of ours can connect) → a well-formed WebSocket upgrade (400) → the token is pending (404 unknown,
 *   410 spent or expired). Only then is the upgrade completed and the relay started.
 * Sockets that have not completed an upgrade are capped (`maxPendingSockets`; past it a new connection
 * is cut at once) and must upgrade within `upgradeTimeoutMs`, so idle or slow-loris connections cannot
 * pile up; Node's own 16 KiB header limit refuses oversized handshakes (400).
 * Tunnel failures reach the page as a WebSocket close with a 4000+ code (shared/console-close.ts).
 * The console wall (thumbnail-wall.ts) uses the same server, checks and kind of token on the path
 * `/overview/<token>`: its thumbnails are short-lived console tunnels opened by the same tunnel code.
 * One interval timer pings every open console while any exists; `stats()` counts sockets, tokens and
 * timers for leak tests.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { PortholeError } from '../../../shared/errors';
import type { ConsoleTicket, RequestArg } from '../../../shared/contract';
import { REQUEST_GUARDS } from '../../../shared/validate';
import { getLogger } from '../../../shared/log';
import { ConsoleRelay, type RelayCounters, type RelayOptions } from './relay';
import { TimerSet } from './timers';
import { TokenStore, TOKEN_TTL_MS } from './tokens';
import { ThumbnailWall, type WallCounters, type WallGrant, type WallOptions } from './thumbnail-wall';
import { parseLocation } from './tunnel';
import type { ConsoleSource } from '../console-source';

export type { ConsoleSource, ConsoleUpstream } from '../console-source';

const log = getLogger('bridge');

/** Largest WebSocket message accepted from the page (RFB input is tiny; clipboard text is not huge), bytes. */
export const MAX_PAGE_MESSAGE_BYTES = 1024 * 1024;
/** Time pages get to answer the close frames at shutdown before their sockets are cut, ms. */
export const CLOSE_GRACE_MS = 200;
/** Most sockets accepted at once that have not completed a WebSocket upgrade. */
export const MAX_PENDING_SOCKETS = 32;
/** Time a new socket gets to complete its upgrade before it is cut, ms. */
export const UPGRADE_TIMEOUT_MS = 5_000;
/** Default ping interval for open consoles, ms. */
export const PING_INTERVAL_MS = 20_000;

/** Options of `createBridge`. */
export interface BridgeOptions extends RelayOptions {
  /** Knobs of the console wall (tests). */
  wall?: WallOptions;
  /** Origins allowed to open consoles (the renderer's `app://porthole`, the harness's `http://127.0.0.1:N`). */
  allowedOrigins: (() => string[]) | string[];
  tokenTtlMs?: number;
  pingIntervalMs?: number;
  maxPayloadBytes?: number;
  maxPendingSockets?: number;
  upgradeTimeoutMs?: number;
}

/** What `console:open` asks for (the contract's argument). */
export type OpenConsoleRequest = RequestArg<'console:open'>;

/** Live resources, for leak tests. */
export interface BridgeStats {
  /** Sockets accepted by the HTTP server and not yet closed. */
  sockets: number;
  /** Of those, sockets that have not completed an upgrade yet. */
  pendingSockets: number;
  /** Connections cut at once because `maxPendingSockets` were already pending. */
  refusedSockets: number;
  /** Sockets cut because they did not complete an upgrade in time. */
  timedOutSockets: number;
  /** Console relays not yet closed. */
  consoles: number;
  /** Upstream TLS sockets open. */
  upstreams: number;
  pendingTokens: number;
  timers: number;
  /** Backpressure events so far (TLS reading paused for the page; page reading paused for TLS). */
  upstreamPauses: number;
  pagePauses: number;
  /** Most bytes ever queued for one page by the bridge. */
  maxPageQueueBytes: number;
  /** WebSocket messages received from pages so far. */
  pageMessages: number;
  /** Times TLS reading paused because a page had not acknowledged a whole send window. */
  windowPauses: number;
}

/** The console walls' live resources and counters. */
export interface WallStats {
  /** Wall sockets open. */
  walls: number;
  /** Thumbnail tunnels open now. */
  tunnels: number;
  /** Pictures taken so far (sent or not). */
  pictures: number;
  /** Thumbnail messages sent so far (whole pictures or changed rows). */
  frames: number;
  /** Pictures not sent because they equalled the last one sent to that page. */
  unchanged: number;
  /** RGBA bytes sent to pages so far. */
  bytes: number;
  /** Most thumbnail tunnels ever open at once to one host. */
  maxPerHost: number;
}

/** What `openWall` needs: the pools' console sources and the wall's settings. */
export type OpenWallRequest = Omit<WallGrant, 'poolId'>;

/** The running bridge. */
export interface Bridge {
  readonly port: number;
  /** `ws://127.0.0.1:PORT` */
  readonly origin: string;
  /** Looks the console up and returns a one-time ticket for it. */
  openConsole(source: ConsoleSource, req: OpenConsoleRequest): Promise<ConsoleTicket>;
  /** Returns a one-time `ws://…/overview/<token>` URL for a console wall. */
  openWall(req: OpenWallRequest): { url: string };
  /** Closes the consoles and drops the tokens of one pool (it disconnected or was removed). */
  closePool(poolId: string): void;
  stats(): BridgeStats;
  wallStats(): WallStats;
  /** Closes every console and the server. */
  close(): Promise<void>;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 410: 'Gone' };
const TOKEN_PATH = /^\/(console|overview)\/([^/?#]+)$/;
const WS_KEY = /^[+/0-9A-Za-z]{22}==$/;

function refuse(socket: Duplex, status: number, why: string): void {
  const body = `${why}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/** Starts a bridge on 127.0.0.1 at an ephemeral port. */
export async function createBridge(opts: BridgeOptions): Promise<Bridge> {
  const timers = new TimerSet();
  const tokens = new TokenStore(timers, opts.tokenTtlMs ?? TOKEN_TTL_MS);
  const wallTokens = new TokenStore<WallGrant>(timers, opts.tokenTtlMs ?? TOKEN_TTL_MS);
  const relays = new Map<ConsoleRelay, string>();
  const walls = new Set<ThumbnailWall>();
  const wallCounters: WallCounters = { open: 0, pictures: 0, frames: 0, unchanged: 0, bytes: 0, maxPerHost: 0 };
  const sockets = new Set<Socket>();
  const pingIntervalMs = opts.pingIntervalMs ?? PING_INTERVAL_MS;
  let heartbeat: NodeJS.Timeout | undefined;
  let closing = false;
  const counters: RelayCounters = { upstreamPauses: 0, pagePauses: 0, maxPageQueueBytes: 0, pageMessages: 0, windowPauses: 0 };
  const relayOpts = { ...opts, counters };

  const allowed = (): string[] => (typeof opts.allowedOrigins === 'function' ? opts.allowedOrigins() : opts.allowedOrigins);
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: opts.maxPayloadBytes ?? MAX_PAGE_MESSAGE_BYTES, clientTracking: false });
  const server = http.createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain', connection: 'close' }).end('not found\n');
  });
  const maxPending = opts.maxPendingSockets ?? MAX_PENDING_SOCKETS;
  const upgradeTimeoutMs = opts.upgradeTimeoutMs ?? UPGRADE_TIMEOUT_MS;
  const pending = new Map<Duplex, NodeJS.Timeout>();
  const cuts = { refusedSockets: 0, timedOutSockets: 0 };
  /** The socket upgraded, was refused or closed: it no longer counts against the cap. */
  const settle = (socket: Duplex): void => {
    timers.clear(pending.get(socket));
    pending.delete(socket);
  };
  server.on('connection', (socket) => {
    // A flood of idle connections must not hold file descriptors or starve our own page for long.
    if (pending.size >= maxPending) {
      cuts.refusedSockets++;
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.setNoDelay(true);
    pending.set(
      socket,
      timers.timeout(() => {
        pending.delete(socket);
        cuts.timedOutSockets++;
        socket.destroy();
      }, upgradeTimeoutMs),
    );
    socket.once('close', () => {
      settle(socket);
      sockets.delete(socket);
    });
  });
  server.on('clientError', (_error, socket) => refuse(socket, 400, 'bad request'));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new PortholeError('INTERNAL', 'The console bridge could not listen.');
  const port = address.port;
  const expectedHost = `127.0.0.1:${port}`;

  const relayClosed = (relay: ConsoleRelay): void => {
    relays.delete(relay);
    if (relays.size === 0) {
      timers.clear(heartbeat);
      heartbeat = undefined;
    }
  };

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const match = TOKEN_PATH.exec(req.url ?? '');
    if (closing || match === null) return refuse(socket, 404, 'not found');
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own host name here.
    if (req.headers.host !== expectedHost) return refuse(socket, 403, 'wrong Host');
    // Only our own page may open consoles; a request without Origin is not from a page of ours.
    const origin = req.headers.origin;
    if (origin === undefined || !allowed().includes(origin)) return refuse(socket, 403, 'origin not allowed');
    const key = req.headers['sec-websocket-key'];
    if (req.method !== 'GET' || req.headers.upgrade?.toLowerCase() !== 'websocket' || req.headers['sec-websocket-version'] !== '13' || key === undefined || !WS_KEY.test(key)) {
      return refuse(socket, 400, 'not a WebSocket upgrade');
    }
    const kind = match[1] === 'overview' ? 'wall' : 'console';
    const lookup = (kind === 'wall' ? wallTokens : tokens).take(match[2] ?? '');
    if (lookup.kind === 'unknown') return refuse(socket, 404, `unknown ${kind} token`);
    if (lookup.kind === 'spent') return refuse(socket, 410, `${kind} token already used or expired`);
    const { grant } = lookup;
    settle(socket);
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (closing) {
        ws.terminate();
        return;
      }
      if (!('upstream' in grant)) {
        walls.add(new ThumbnailWall(ws, socket, grant, wallCounters, opts.wall ?? {}, (wall) => walls.delete(wall)));
        return;
      }
      const relay = new ConsoleRelay(ws, socket, grant.source, grant.upstream, relayOpts, relayClosed);
      relays.set(relay, grant.poolId);
      heartbeat ??= timers.interval(() => {
        for (const r of relays.keys()) r.heartbeat();
      }, pingIntervalMs);
    });
  });

  const shutdownWhy = { kind: 'shutdown', code: 'CONSOLE_ERROR', message: 'The console bridge is shutting down.' } as const;

  return {
    port,
    origin: `ws://${expectedHost}`,

    async openConsole(source, req) {
      // The contract's own guard: callers inside the process are checked like the page.
      if (!REQUEST_GUARDS['console:open'](req)) throw new PortholeError('INVALID_ARGUMENT', 'console:open needs a pool id, a VM uuid and rfb or vt100.');
      if (closing) throw new PortholeError('INTERNAL', 'The console bridge is shutting down.');
      const upstream = await source.resolve(req.vmUuid, req.protocol);
      parseLocation(upstream.location); // a bad location fails here, not in the page
      const token = tokens.issue({ poolId: req.poolId, source, upstream });
      log.debug('console ticket issued', { vm: upstream.vmUuid, protocol: upstream.protocol });
      return {
        url: `ws://${expectedHost}/console/${token}`,
        protocol: upstream.protocol,
        consoleUuid: upstream.consoleUuid,
        vmUuid: upstream.vmUuid,
        vmName: upstream.vmName,
      };
    },

    openWall(req) {
      if (closing) throw new PortholeError('INTERNAL', 'The console bridge is shutting down.');
      const token = wallTokens.issue({ ...req, poolId: '' });
      return { url: `ws://${expectedHost}/overview/${token}` };
    },

    closePool(poolId) {
      tokens.revoke(poolId);
      for (const wall of walls) wall.closePool(poolId);
      for (const [relay, id] of relays) {
        if (id === poolId) relay.shutdown({ kind: 'shutdown', code: 'NOT_CONNECTED', message: 'The pool was disconnected.' });
      }
    },

    stats() {
      let upstreams = 0;
      for (const relay of relays.keys()) if (relay.hasUpstream) upstreams++;
      return {
        sockets: sockets.size,
        pendingSockets: pending.size,
        ...cuts,
        consoles: relays.size,
        upstreams,
        pendingTokens: tokens.size + wallTokens.size,
        timers: timers.size,
        ...counters,
      };
    },

    wallStats() {
      return {
        walls: walls.size,
        tunnels: wallCounters.open,
        pictures: wallCounters.pictures,
        frames: wallCounters.frames,
        unchanged: wallCounters.unchanged,
        bytes: wallCounters.bytes,
        maxPerHost: wallCounters.maxPerHost,
      };
    },

    async close() {
      if (closing) return;
      closing = true;
      tokens.revoke();
      wallTokens.revoke();
      for (const wall of walls) wall.shutdown(shutdownWhy.code, shutdownWhy.message);
      for (const relay of relays.keys()) relay.shutdown(shutdownWhy);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Give pages a moment to answer the close frames, then cut whatever is left. The wait is not
      // unref'd: with nothing else alive an unref'd timer never fires and close() would never resolve.
      if (relays.size > 0) await new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS));
      for (const socket of sockets) socket.destroy();
      timers.clearAll();
      heartbeat = undefined;
      wss.close();
      await closed;
    },
  };
}
