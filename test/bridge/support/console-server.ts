/**
 * A small TLS server that answers console `CONNECT`s with xapi's exact bytes (docs/xapi-notes.md), for the
 * bridge tests and the benchmark; plus a fake `ConsoleSource` to point the bridge at it.
 *
 * How it works: each TLS connection reads one request header, records it (path, Host, Cookie) and
 * asks the test's `answer` function what to do: a 200 followed by a console stream (the first bytes
 * the stream produces — an RFB greeting — go out in the same write as the header, so they share a TLS
 * record and the bridge's read), or an error status with xapi's HTML body and `connection: close`.
 * It counts TCP connections as they arrive, so a test can prove that a refused upgrade made none.
 */
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { fingerprintFromPem } from '../../../electron/core/tls-pin';
import { PortholeError } from '../../../shared/errors';
import type { ConsoleSource, ConsoleUpstream } from '../../../electron/core/console-source';
import type { ConsoleProtocol } from '../../../shared/contract';

/** What the server read from one CONNECT. */
export interface ConnectRequest {
  requestLine: string;
  path: string;
  host: string;
  cookie: string;
  raw: string;
}

/** How to answer one CONNECT. */
export type ConnectAnswer =
  | { status: 200; stream: () => Promise<Duplex> | Duplex; greetingInHeaderWrite?: boolean }
  | { status: 401 | 403 | 404 | 500 | 503; users?: string[] }
  | { status: 'hang' };

const OK = 'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nCache-Control: no-cache, no-store\r\n\r\n';
const REASONS: Record<number, string> = { 401: 'Unauthorised', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Error', 503: 'Connection Limit Exceeded' };

function escapeHtml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#x27;' })[c] ?? c);
}

function errorAnswer(status: number, users: string[] = []): string {
  let body = `<html><body><h1>HTTP ${status} ${REASONS[status] ?? ''}</h1></body></html>`;
  if (status === 503) {
    const who = users.length === 1 ? `User '${escapeHtml(users[0] ?? '')}' is` : `Users '${users.map(escapeHtml).join(', ')}' are`;
    body =
      `<html><body><h1>Connection Limit Exceeded</h1><p>${who} currently connected to this console. ` +
      'No new connections are allowed. Please check the limit_console_sessions config and try again later.</p></body></html>';
  }
  const extra = status === 401 ? 'WWW-Authenticate: Basic realm="connect_console"\r\n' : '';
  return `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n${extra}connection: close\r\ncontent-type: text/html\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** A running fake console host. */
export interface ConsoleServer {
  readonly port: number;
  readonly fingerprint: string;
  /** Every CONNECT header read so far. */
  readonly requests: ConnectRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  /** Connections still open. */
  open(): number;
  /** Destroys every open connection (a cut console). */
  cut(): void;
  close(): Promise<void>;
}

/** Starts a fake console host on 127.0.0.1 (at `port`, 0 = any) whose answers come from `answer`. */
export async function startConsoleServer(answer: (req: ConnectRequest, index: number) => ConnectAnswer, certPems?: { cert: string; private: string }, port = 0): Promise<ConsoleServer> {
  const pems = certPems ?? (await generate([{ name: 'commonName', value: 'xs-console.test' }], { keySize: 2048 }));
  const requests: ConnectRequest[] = [];
  const live = new Set<Socket>();
  let connections = 0;
  const server = tls.createServer({ key: pems.private, cert: pems.cert }, (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const raw = buffered.subarray(0, end).toString('latin1');
      const rest = buffered.subarray(end + 4);
      const lines = raw.split('\r\n');
      const header = (name: string): string => lines.find((l) => l.toLowerCase().startsWith(name + ':'))?.slice(name.length + 1).trim() ?? '';
      const requestLine = lines[0] ?? '';
      const req: ConnectRequest = { requestLine, path: requestLine.split(' ')[1] ?? '', host: header('host'), cookie: header('cookie'), raw };
      requests.push(req);
      void respond(socket, answer(req, requests.length - 1), rest);
    };
    socket.on('data', onData);
  });
  server.on('connection', (socket: Socket) => {
    connections++;
    live.add(socket);
    socket.once('close', () => live.delete(socket));
  });
  server.on('tlsClientError', () => undefined);

  async function respond(socket: tls.TLSSocket, what: ConnectAnswer, rest: Buffer): Promise<void> {
    if (what.status === 'hang') return;
    if (what.status !== 200) {
      socket.end(errorAnswer(what.status, what.users));
      return;
    }
    let stream: Duplex;
    try {
      stream = await what.stream();
    } catch {
      socket.destroy();
      return;
    }
    stream.on('error', () => socket.destroy());
    socket.on('close', () => stream.destroy());
    stream.on('close', () => socket.destroy());
    if (what.greetingInHeaderWrite !== false) {
      // Wait for the console's first bytes and send them with the 200 in one write (one TLS record).
      const first = await new Promise<Buffer | undefined>((resolve) => {
        stream.once('data', (d: Buffer) => {
          stream.pause(); // at once: a flowing stream would emit the next chunks to nobody
          resolve(d);
        });
        stream.once('end', () => resolve(undefined));
      });
      socket.write(first === undefined ? Buffer.from(OK, 'latin1') : Buffer.concat([Buffer.from(OK, 'latin1'), first]));
    } else {
      socket.write(OK);
    }
    if (rest.length > 0) stream.write(rest);
    socket.pipe(stream);
    stream.pipe(socket);
    socket.resume();
  }

  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    fingerprint: fingerprintFromPem(pems.cert),
    requests,
    connections: () => connections,
    open: () => live.size,
    cut: () => {
      for (const s of live) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of live) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A ConsoleSource under the test's control. */
export class FakeSource implements ConsoleSource {
  sid = 'OpaqueRef:11111111-2222-3333-4444-555555555555';
  refreshes = 0;
  resolves = 0;
  /** What `resolve` returns next (or throws, when a PortholeError). */
  current: ConsoleUpstream | PortholeError;
  readonly pins = new Map<string, string>();

  constructor(upstream: ConsoleUpstream) {
    this.current = upstream;
  }

  resolve(vmUuid: string, protocol: ConsoleProtocol): Promise<ConsoleUpstream> {
    this.resolves++;
    const now = this.current;
    if (now instanceof PortholeError) return Promise.reject(now);
    if (now.vmUuid !== vmUuid) return Promise.reject(new PortholeError('UNKNOWN_VM'));
    if (now.protocol !== protocol) return Promise.reject(new PortholeError('NO_CONSOLE'));
    return Promise.resolve(now);
  }

  sessionId(): string {
    return this.sid;
  }

  refreshSession(): Promise<string> {
    this.refreshes++;
    this.sid = `OpaqueRef:99999999-0000-0000-0000-00000000000${this.refreshes}`;
    return Promise.resolve(this.sid);
  }

  pin(host: string, port: number): string | undefined {
    return this.pins.get(`${host}:${port}`);
  }
}

/** A console row pointing at a fake server on 127.0.0.1. */
export function upstreamAt(port: number, protocol: ConsoleProtocol = 'rfb', consoleUuid = 'c0000000-0000-4000-8000-000000000001'): ConsoleUpstream {
  return {
    location: `https://127.0.0.1:${port}/console?uuid=${consoleUuid}`,
    protocol,
    vmUuid: 'a0000000-0000-4000-8000-000000000001',
    consoleUuid,
    vmName: 'test-vm',
  };
}
