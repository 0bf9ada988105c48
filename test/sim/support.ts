/**
 * Helpers for the simulator suites: the fixture dumps (ours, plus the four shared real dumps when
 * `../shared` is present), a real `xen-api` client that verifies each simulated host's certificate,
 * and a raw TLS client that speaks the console CONNECT exchange byte for byte.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { Agent, request } from 'undici';
import { Xapi } from 'xen-api';
import type { Simulator } from '../../electron/sim/types';

const root = join(import.meta.dirname, '..', '..');

/** Our own dumps (always present). */
export const OWN_DUMPS_DIR = join(root, 'test', 'fixtures', 'xapi-db');
/** The shared real dumps (absent on a user's clone; PORTHOLE_SHARED_DUMPS points elsewhere). */
export const SHARED_DUMPS_DIR = process.env.PORTHOLE_SHARED_DUMPS ?? join(root, '..', 'shared', 'fixtures', 'xapi-db');
/** The four real dumps the shared folder holds (its README describes them). */
export const SHARED_DUMP_NAMES: readonly string[] = ['TampaTwoHostPoolSelectioniSCSI.xml', 'interesting-development.xml', 'tampa_poolofone_40.xml', 'xapidb_app.xml'];

/**
 * Where the shared dumps are absent, says which tests were therefore not generated: one line on
 * stderr, and each missing test registered as skipped under the name it would have had, so the
 * runner's report lists them. `register` is node:test's `test`.
 */
export function reportUngenerated(suite: string, nameOf: (dump: string) => string, register: (name: string, opts: { skip: string }) => unknown): void {
  if (existsSync(SHARED_DUMPS_DIR)) return;
  const reason = `${SHARED_DUMPS_DIR} is absent: shared-dump test not generated`;
  const names = SHARED_DUMP_NAMES.map(nameOf);
  process.stderr.write(`NOT GENERATED (${suite}): ${names.join('; ')} (${SHARED_DUMPS_DIR} is absent)\n`);
  for (const n of names) register(n, { skip: reason });
}

/** Every dump to test against: name and path. */
export function fixtureDumps(): { name: string; path: string }[] {
  const out: { name: string; path: string }[] = [];
  for (const dir of [OWN_DUMPS_DIR, SHARED_DUMPS_DIR]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.xml')) out.push({ name: f, path: join(dir, f) });
  }
  return out;
}

/** A dispatcher that trusts exactly the simulator's host certificates (TLS stays verified). */
export function simDispatcher(sim: Simulator): Agent {
  return new Agent({ connect: { ca: sim.hosts.map((h) => h.certificatePem) } });
}

/** A real xen-api client for the simulator, verifying its certificates. */
export function makeXapi(
  sim: Simulator,
  opts: { url?: string; user?: string; password?: string; transport?: 'auto' | 'json-rpc' | 'xml-rpc'; watchEvents?: false } = {},
): Xapi {
  const xapi = new Xapi({
    url: opts.url ?? sim.masterUrl,
    auth: { user: opts.user ?? sim.user, password: opts.password ?? sim.password },
    transport: opts.transport ?? 'auto',
    ...(opts.watchEvents === false ? { watchEvents: false as const } : {}),
    callTimeout: 20_000,
    roCallRetryOptions: { tries: 1 },
  });
  // xen-api only has allowUnauthorized; swap in a dispatcher that pins the sim's CAs, then rebuild
  // the transport (which captured the old dispatcher) with `_setUrl`.
  xapi._undiciDispatcher = simDispatcher(sim);
  xapi._setUrl(xapi._url);
  return xapi;
}

/** A raw CONNECT exchange: the header text, the bytes after it, and the open socket. */
export interface RawConnect {
  status: number;
  head: string;
  rest: Buffer;
  socket: TLSSocket;
  /** Resolves with at least `n` bytes after the header (rest included). */
  read(n: number, timeoutMs?: number): Promise<Buffer>;
  /** Resolves when the server closes. */
  closed: Promise<void>;
}

/** Opens TLS to `address:sim.port`, sends `request` verbatim, and parses the answer's head. */
export function rawConnect(sim: Simulator, address: string, request: string): Promise<RawConnect> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port: sim.port, ca: sim.hosts.map((h) => h.certificatePem) });
    let buf = Buffer.alloc(0);
    let done = false;
    let wanted: { n: number; resolve: (b: Buffer) => void } | undefined;
    let after = Buffer.alloc(0);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', (e: Error) => {
      if (!done) reject(e);
    });
    socket.once('secureConnect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      if (done) {
        after = Buffer.concat([after, chunk]);
        if (wanted !== undefined && after.length >= wanted.n) {
          wanted.resolve(after);
          wanted = undefined;
        }
        return;
      }
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      done = true;
      const head = buf.subarray(0, end + 4).toString('latin1');
      after = buf.subarray(end + 4);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({
        status, head, rest: after, socket, closed,
        read(n, timeoutMs = 5000) {
          if (after.length >= n) return Promise.resolve(after);
          return new Promise((res, rej) => {
            const t = setTimeout(() => rej(new Error(`timed out waiting for ${n} bytes (have ${after.length})`)), timeoutMs);
            wanted = { n, resolve: (b) => { clearTimeout(t); res(b); } };
          });
        },
      });
    });
    socket.once('close', () => {
      if (!done) reject(new Error('closed before a response head'));
    });
  });
}

/** The request XenCenter and xo-server send (HTTP/1.0, cookie session). */
export function connectRequest(location: string, session: string | undefined): string {
  const u = new URL(location);
  const cookie = session === undefined ? '' : `Cookie: session_id=${session}\r\n`;
  return `CONNECT ${u.pathname}${u.search} HTTP/1.0\r\nHost: ${u.hostname}\r\n${cookie}\r\n`;
}

/** Polls `check` until it is true or `ms` pass. */
export async function waitFor(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const dispatchers = new WeakMap<Simulator, Agent>();

/** Forgets the cached dispatcher of `sim` (after a certificate rotation). */
export function resetDispatcher(sim: Simulator): void {
  void dispatchers.get(sim)?.close();
  dispatchers.delete(sim);
}

/** A JSON-RPC reply: result, or XAPI error code and params. */
export type RpcReply = { ok: true; result: unknown } | { ok: false; code: string; params: string[] };

/** One raw JSON-RPC call to `url` (default: the master), without xen-api's retries. */
export async function jsonRpc(sim: Simulator, method: string, params: unknown[], url = sim.masterUrl): Promise<RpcReply> {
  let dispatcher = dispatchers.get(sim);
  if (dispatcher === undefined) {
    dispatcher = simDispatcher(sim);
    dispatchers.set(sim, dispatcher);
  }
  const res = await request(new URL('/jsonrpc', url), {
    method: 'POST',
    dispatcher,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }),
  });
  const body = (await res.body.json()) as { result?: unknown; error?: { message: string; data?: string[] } };
  if (body.error !== undefined) return { ok: false, code: body.error.message, params: body.error.data ?? [] };
  return { ok: true, result: body.result };
}

/** Logs in with JSON-RPC and returns the session ref (throws on failure). */
export async function login(sim: Simulator, user = sim.user, password = sim.password, url = sim.masterUrl): Promise<string> {
  const r = await jsonRpc(sim, 'session.login_with_password', [user, password, '1.0', 'porthole-test'], url);
  if (!r.ok) throw new Error(`login failed: ${r.code}`);
  return r.result as string;
}

/** Asserts a reply is a success and returns its result. */
export function ok(reply: RpcReply): unknown {
  if (!reply.ok) throw new Error(`expected success, got ${reply.code}(${reply.params.join(', ')})`);
  return reply.result;
}
