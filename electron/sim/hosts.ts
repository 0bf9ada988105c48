/**
 * One HTTPS listener per simulated host, on the host's own loopback address and the pool's shared
 * port (or on 127.0.0.1 with a port of its own), with a self-signed certificate (made at start by `certificate.ts`; the subjectAltName
 * holds the host's IP; the fingerprint is SHA-256 of the DER, upper-case hex with colons, as xapi's
 * `Certificate.fingerprint_sha256`).
 *
 * Routes: `POST /jsonrpc` (and `POST /` with `content-type: application/json`) → JSON-RPC 2.0;
 * `POST /` and `POST /xmlrpc` otherwise → XML-RPC; `CONNECT /console` → the console proxy.
 * Every TLS socket is tracked so `stop()` can cut them all (a host that "stops answering").
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { getLogger } from '../../shared/log';
import { makeSelfSigned } from './certificate';
import { handleConnect } from './console-proxy';
import { XapiFailure } from './errors';
import { dispatch } from './rpc';
import type { HostRuntime, HostTls, PoolState } from './state';
import { decodeCall, encodeFailure, encodeSuccess } from './xmlrpc';

const log = getLogger('sim-http');

/** Largest request body accepted. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Certificate lifetime. */
const CERT_DAYS = 3650;

/** Makes a self-signed certificate for a host address (valid from a day ago, for CERT_DAYS). */
export function makeTls(address: string, name: string): Promise<HostTls> {
  const notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  const notAfter = new Date(notBefore.getTime() + CERT_DAYS * 24 * 3600 * 1000);
  return Promise.resolve(makeSelfSigned({ name, address, notBefore, notAfter }));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

/** The listener of one host. */
export class HostServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly state: PoolState,
    readonly host: HostRuntime,
  ) {}

  /** Open sockets (RPC connections and tunnels). */
  socketCount(): number {
    return this.sockets.size;
  }

  /** Starts listening on `port` (0 = any); resolves to the port, also kept as the host's `port`. */
  listen(port: number): Promise<number> {
    const server = createServer({ key: this.host.tls.key, cert: this.host.tls.cert, minVersion: 'TLSv1.2' });
    server.keepAliveTimeout = 30_000;
    server.on('secureConnection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    server.on('tlsClientError', () => undefined);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.onRequest(req, res).catch((e: unknown) => {
        log.warn('request failed', { error: e });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => handleConnect(this.state, this.host, req, socket, head));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host.address, () => {
        server.off('error', reject);
        const addr = server.address();
        this.host.port = typeof addr === 'object' && addr !== null ? addr.port : port;
        resolve(this.host.port);
      });
    });
  }

  /** Closes the listener and destroys every socket. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server === undefined) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Serves a new certificate to new connections. */
  setTls(tls: HostTls): void {
    this.host.tls = tls;
    this.server?.setSecureContext({ key: tls.key, cert: tls.cert });
  }

  private tampered(method: string, result: unknown): unknown {
    return this.state.tamper === undefined ? result : this.state.tamper(method, result);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (req.method !== 'POST' || (path !== '/jsonrpc' && path !== '/' && path !== '/xmlrpc')) {
      res.writeHead(404, { 'content-type': 'text/html', connection: 'close' });
      res.end('<html><body><h1>HTTP 404 not found</h1></body></html>');
      return;
    }
    const body = await readBody(req);
    const json = path === '/jsonrpc' || (path === '/' && contentType === 'application/json');
    const wantsThumbprint = String(req.headers['x-xenapi-request-host-certificate-thumbprint'] ?? '').toLowerCase() === 'sha-256:master';
    const reply = async (status: number, type: string, text: string, failure?: XapiFailure): Promise<void> => {
      await delay(this.state.replyDelayMs);
      const headers: Record<string, string> = { 'content-type': type };
      // xapi adds the master's fingerprint to a HOST_IS_SLAVE answer when asked to.
      if (failure?.code === 'HOST_IS_SLAVE' && wantsThumbprint) headers['x-xenapi-response-host-certificate-thumbprint'] = this.state.master().tls.fingerprint;
      if (res.destroyed) return;
      res.writeHead(status, headers);
      res.end(text);
    };
    const ctx = { state: this.state, host: this.host };
    if (json) {
      let call: { jsonrpc?: unknown; method?: unknown; params?: unknown; id?: unknown };
      try {
        call = JSON.parse(body) as typeof call;
      } catch {
        await reply(200, 'application/json', JSON.stringify({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null }));
        return;
      }
      const id = call.id ?? null;
      const v2 = call.jsonrpc === '2.0';
      if (typeof call.method !== 'string' || (call.params !== undefined && !Array.isArray(call.params))) {
        await reply(200, 'application/json', JSON.stringify({ jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id }));
        return;
      }
      try {
        await this.state.gate(call.method);
        const result = this.tampered(call.method, await dispatch(ctx, call.method, (call.params as unknown[] | undefined) ?? []));
        await reply(200, 'application/json', JSON.stringify(v2 ? { jsonrpc: '2.0', result, id } : { result, error: null, id }));
      } catch (e) {
        const f = e instanceof XapiFailure ? e : new XapiFailure('INTERNAL_ERROR', [e instanceof Error ? e.message : String(e)]);
        const error = { code: 1, message: f.code, data: f.params };
        await reply(200, 'application/json', JSON.stringify(v2 ? { jsonrpc: '2.0', error, id } : { result: null, error, id }), f);
      }
      return;
    }
    let call: { method: string; params: unknown[] };
    try {
      call = decodeCall(body);
    } catch (e) {
      const f = new XapiFailure('XMLRPC_UNMARSHAL_FAILURE', [e instanceof Error ? e.message : String(e)]);
      await reply(200, 'text/xml', encodeFailure(f.code, f.params));
      return;
    }
    try {
      await this.state.gate(call.method);
      const result = this.tampered(call.method, await dispatch(ctx, call.method, call.params));
      await reply(200, 'text/xml', encodeSuccess(result));
    } catch (e) {
      const f = e instanceof XapiFailure ? e : new XapiFailure('INTERNAL_ERROR', [e instanceof Error ? e.message : String(e)]);
      await reply(200, 'text/xml', encodeFailure(f.code, f.params), f);
    }
  }
}
