/**
 * The harness's HTTP + WebSocket server on 127.0.0.1: serves the built renderer and the API socket.
 *
 * How it works: the server listens first (so its port, hence its origin, is known), then the caller
 * builds the bridge and the backend for that origin and calls `attach`. Until then the page and the
 * socket answer 503. State machine: `starting` → `serving` → `closed`; `attach` is legal only in
 * `starting`, and `close` from anywhere is idempotent.
 *
 * Access rules (see `guard.ts` for why):
 * - every request: `Host` must be `127.0.0.1:<port>`, method GET or HEAD;
 * - `/` (and any HTML page, judged on the resolved file, see static-files.ts): needs `?token=`; served
 *   with the CSP and `Cache-Control: no-store`;
 * - other build output (`/assets/...`): served without the token. They are the same public files as
 *   in the published package — no data, no secret — and the page loads them by relative URL without
 *   a query string. A cookie would add a second credential to protect (and other loopback ports are
 *   "same-site" for cookies), so the token stays in one place: the page URL and the API socket URL;
 * - `/api` WebSocket upgrade: needs the token, the harness's `Origin` and `Host`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { getLogger } from '../../../shared/log';
import { broadcast, MAX_REQUEST_BYTES, serveApiSocket, type HarnessBackend } from './api-socket';
import { buildCsp } from '../csp';
import { baseHeaders, createToken, hostMatches, originMatches, tokenMatches } from './guard';
import { resolveStatic } from '../static-files';

const log = getLogger('harness');

/** Options of `startWebServer`. */
export interface WebServerOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** The built renderer folder (holds index.html). */
  rendererDir: string;
}

/** A listening harness web server. */
export interface WebServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>`, the page's origin (the bridge must allow it). */
  readonly origin: string;
  /** The page URL with its token. */
  readonly url: string;
  /** Starts serving the page and the API for `backend`; `bridgePort` goes into the CSP. */
  attach(backend: HarnessBackend, bridgePort: number | undefined): void;
  /** Closes the listener and every open socket. Idempotent. */
  close(): Promise<void>;
}

type ServerState = { kind: 'starting' } | { kind: 'serving'; backend: HarnessBackend; bridgePort: number | undefined } | { kind: 'closed' };

/** Starts listening on 127.0.0.1 (loopback only). */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const token = createToken();
  let state: ServerState = { kind: 'starting' };
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_REQUEST_BYTES });
  let port = 0;
  let closing: Promise<void> | undefined;

  const server = createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      log.error('HTTP handler failed', { error });
      if (!res.headersSent) plain(res, 500, 'Internal error');
      else res.destroy();
    });
  });

  function plain(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { ...baseHeaders(), 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(text + '\n');
  }

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Why: a page served from another name that resolves to 127.0.0.1 (DNS rebinding) shows its own Host.
    if (!hostMatches(req.headers, port)) return plain(res, 403, 'Forbidden');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, 'Method not allowed');
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (state.kind !== 'serving') return plain(res, 503, 'Porthole is starting or stopping.');
    // Resolved first, so the page check below sees the decoded, real file (`/index%2ehtml` is a page).
    const target = await resolveStatic(options.rendererDir, url.pathname);
    if (target.kind === 'refused') return plain(res, 404, 'Not found');
    if (target.page && !tokenMatches(url.searchParams.get('token'), token)) return plain(res, 403, 'Forbidden: open the URL printed by `porthole web`.');
    const body = await readFile(target.path);
    const headers: Record<string, string> = {
      ...baseHeaders(),
      'Content-Type': target.contentType,
      'Content-Length': String(body.length),
      'Cache-Control': target.page ? 'no-store' : 'no-cache',
    };
    if (target.page) headers['Content-Security-Policy'] = buildCsp([`ws://127.0.0.1:${port}`, ...(state.bridgePort === undefined ? [] : [`ws://127.0.0.1:${state.bridgePort}`])]);
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  function refuse(socket: Duplex, status: 403 | 404 | 503, text: string): void {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroy();
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname !== '/api') return refuse(socket, 404, 'Not Found');
    // Why each check: Host defeats DNS rebinding, the token proves the user's own page, and Origin
    // stops another origin's page in the same browser from using a token it learnt.
    if (!hostMatches(req.headers, port) || !originMatches(req.headers, `http://127.0.0.1:${port}`) || !tokenMatches(url.searchParams.get('token'), token)) {
      log.warn('refused an API socket', { origin: req.headers.origin ?? null });
      return refuse(socket, 403, 'Forbidden');
    }
    const current = state;
    if (current.kind !== 'serving') return refuse(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (state.kind !== 'serving') {
        ws.terminate();
        return;
      }
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', (error) => log.warn('API socket error', { error }));
      serveApiSocket(ws, current.backend);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('harness: no TCP address');
  port = address.port;
  const origin = `http://127.0.0.1:${port}`;

  return {
    port,
    origin,
    url: `${origin}/?token=${token}`,
    attach(backend, bridgePort) {
      if (state.kind !== 'starting') throw new Error(`harness: attach in state ${state.kind}`);
      state = { kind: 'serving', backend, bridgePort };
      backend.on((channel, payload) => broadcast(sockets, channel, payload));
    },
    close() {
      closing ??= (async () => {
        state = { kind: 'closed' };
        for (const ws of sockets) ws.terminate();
        sockets.clear();
        wss.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}
