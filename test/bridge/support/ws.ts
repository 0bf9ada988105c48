/**
 * WebSocket helpers for the bridge tests: open a console URL as a page would (with an Origin), wait for
 * the close and decode it, and try a raw upgrade to read the HTTP status of a refusal.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { WebSocket, createWebSocketStream } from 'ws';
import type { Duplex } from 'node:stream';
import { decodeConsoleClose, type ConsoleClose } from '../../../shared/console-close';

/** The origin the tests' "page" has. */
export const PAGE_ORIGIN = 'app://porthole';

/** Opens a console URL like a page; resolves once open. */
export function openPage(url: string, opts: { origin?: string; autoPong?: boolean } = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { origin: opts.origin ?? PAGE_ORIGIN, perMessageDeflate: false, autoPong: opts.autoPong ?? true });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** The page's WebSocket as a byte stream (for the RFB client). */
export function pageStream(ws: WebSocket): Duplex {
  const stream = createWebSocketStream(ws);
  stream.on('error', () => undefined);
  return stream;
}

/** Resolves with the close code and decoded reason. */
export function closed(ws: WebSocket): Promise<{ closeCode: number } & ConsoleClose> {
  return new Promise((resolve) => {
    ws.once('close', (closeCode: number, reason: Buffer) => resolve({ closeCode, ...decodeConsoleClose(closeCode, reason.toString()) }));
  });
}

/** Sends a WebSocket upgrade by hand; resolves with the HTTP status (101 when accepted, then closed). */
export function upgradeStatus(port: number, path: string, headers: Record<string, string | undefined>): Promise<number> {
  return rawStatus(port, path, {
    origin: PAGE_ORIGIN,
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-version': '13',
    'sec-websocket-key': randomBytes(16).toString('base64'),
    ...headers,
  });
}

/**
 * A raw HTTP request (full control of path and headers; `undefined` drops a header, `host` included)
 * to 127.0.0.1:port; resolves with the status, 101 for an accepted upgrade (then closed).
 */
export function rawStatus(port: number, path: string, headers: Record<string, string | undefined>, method = 'GET'): Promise<number> {
  const all: Record<string, string> = { host: `127.0.0.1:${port}` };
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) Reflect.deleteProperty(all, k);
    else all[k] = v;
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers: all, setHost: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.on('error', reject);
    req.end();
  });
}
