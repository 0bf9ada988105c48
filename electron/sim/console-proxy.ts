/**
 * `CONNECT /console?…` on a simulated host: xapi's console tunnel (`ocaml/xapi/console.ml`).
 *
 * Checks run in xapi's order, each failure answered as xapi writes it and the socket closed:
 *  1. session — `Cookie: session_id=` first, then the `session_id` query parameter
 *     (`Xapi_http.with_context`): missing or dead → 401 with `WWW-Authenticate: Basic realm="connect_console"`;
 *  2. console — `uuid=` (a VM uuid first, then a console uuid) or `ref=` (a VM or console ref; a VM
 *     means its first `rfb` console); none found or no parameter → 500;
 *  3. RBAC — a control domain's console needs pool-admin → 403;
 *  4. the VM must be Running and resident on *this* host → 500 (no redirect);
 *  5. no VNC server (or text server for vt100) → 404 (`Http.http_404_missing`: headers only, no body);
 *  6. `pool.limit_console_sessions` and the VM already has a tunnel → 503 naming who is connected.
 * Error pages use the request's HTTP version (`Http_svr.response_error_html`); the 200 is always
 * `HTTP/1.1 200 OK` (`Http.http_200_ok`). The header and the server's first bytes go out in one TLS
 * write when the greeting arrives within `GREETING_WAIT_MS`, then bytes are piped both ways.
 * The idle timeout (`pool.vm_console_idle_timeout`, or `host.console_idle_timeout` for dom0) closes a
 * tunnel without key/pointer input for that many seconds.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { getLogger } from '../../shared/log';
import { RfbActivityParser } from './rfb-activity';
import type { HostRuntime, PoolState, Tunnel } from './state';
import { str, strs } from './values';

const log = getLogger('sim-console');

/** How long the first server bytes are awaited to share the header's TLS write. */
const GREETING_WAIT_MS = 150;
/** How often idle tunnels are checked. */
const IDLE_CHECK_MS = 200;

/** The exact success header xapi writes. */
export const CONNECT_OK = 'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nCache-Control: no-cache, no-store\r\n\r\n';

function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');
}

function errorPage(version: string, code: number, reason: string, body: string, extra: string[] = []): string {
  const headers = [`content-length: ${Buffer.byteLength(body)}`, 'content-type: text/html', 'connection: close', 'cache-control: no-cache, no-store', ...extra];
  return `HTTP/${version} ${code} ${reason}\r\n${headers.join('\r\n')}\r\n\r\n${body}`;
}

const BODY_401 = '<html><body><h1>HTTP 401 unauthorised</h1>Please check your credentials and retry.</body></html>';
const BODY_403 = '<html><body><h1>HTTP 403 forbidden</h1>Access to the requested resource is forbidden.</body></html>';
const BODY_500 = '<html><body><h1>HTTP 500 internal server error</h1>An unexpected error occurred; please wait a while and try again. If the problem persists, please contact your support representative.<h1> Additional information </h1>Console.Failure</body></html>';

function cookieSession(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === 'session_id') return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** Handles one CONNECT on `host`. */
export function handleConnect(state: PoolState, host: HostRuntime, req: IncomingMessage, socket: Socket, head: Buffer): void {
  const version = req.httpVersion === '1.0' ? '1.0' : '1.1';
  const count = (status: number): void => {
    state.connectsByStatus[String(status)] = (state.connectsByStatus[String(status)] ?? 0) + 1;
  };
  const refuse = (status: number, text: string): void => {
    count(status);
    socket.end(text);
  };
  socket.on('error', () => undefined);
  const url = new URL(req.url ?? '', 'https://sim.invalid');
  if (url.pathname !== '/console') {
    refuse(403, errorPage(version, 403, 'Forbidden', BODY_403));
    return;
  }
  const q = url.searchParams;
  // 1. session: cookie first, then query (Xapi_http.get_session_id).
  const sessionRef = cookieSession(req.headers.cookie) ?? q.get('session_id') ?? undefined;
  const session = state.sessions.use(sessionRef);
  if (session === undefined) {
    refuse(401, errorPage(version, 401, 'Unauthorised', BODY_401, ['WWW-Authenticate: Basic realm="connect_console"']));
    return;
  }
  const internal = (): void => refuse(500, errorPage(version, 500, 'Internal Error', BODY_500));
  // 2. console: uuid= names a VM first, then a console; ref= a VM or a console.
  const { db } = state;
  let consoleRef: string | undefined;
  let viaRef = q.get('uuid');
  if (viaRef !== null) viaRef = db.byUuid('VM', viaRef) ?? db.byUuid('console', viaRef) ?? null;
  else viaRef = q.get('ref');
  if (viaRef === null) {
    internal();
    return;
  }
  const cls = db.classOf(viaRef);
  if (cls === 'console') consoleRef = viaRef;
  else if (cls === 'VM') consoleRef = strs(db.get('VM', viaRef), 'consoles').find((c) => db.get('console', c)?.protocol === 'rfb');
  const consoleRec = consoleRef === undefined ? undefined : db.get('console', consoleRef);
  const vmRef = str(consoleRec, 'VM');
  const vm = db.get('VM', vmRef);
  if (consoleRef === undefined || consoleRec === undefined || vm === undefined) {
    internal();
    return;
  }
  // 3. Why: a host console is a root shell on dom0; xapi requires http/connect_console/host_console.
  const isDom0 = vm.is_control_domain === true;
  if (isDom0 && session.role !== 'pool-admin') {
    refuse(403, errorPage(version, 403, 'Forbidden', BODY_403));
    return;
  }
  // 4. running here (xapi does not redirect: the client must use the host in `location`).
  if (str(vm, 'power_state') !== 'Running' || str(vm, 'resident_on') !== host.ref) {
    internal();
    return;
  }
  const protocol = str(consoleRec, 'protocol');
  const countVm = (status: number): void => {
    const byStatus = (state.connectsByVm[str(vm, 'uuid')] ??= {});
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
  };
  void (async () => {
    // 5. the server behind the console.
    let servers;
    try {
      servers = await state.startServers(vmRef);
    } catch {
      servers = undefined;
    }
    const backend = protocol === 'rfb' ? servers?.rfb : protocol === 'vt100' ? servers?.text : undefined;
    if (backend === undefined || state.serversOf(vmRef) !== servers || socket.destroyed) {
      refuse(404, `HTTP/1.1 404 Not Found\r\nConnection: close\r\nCache-Control: no-cache, no-store\r\n\r\n`);
      return;
    }
    // 6. connection limit (Console.Connection_limit): tracked always, enforced when the pool says so.
    const holders = [...state.tunnels].filter((t) => t.vmRef === vmRef);
    if (state.pool().limit_console_sessions === true && holders.length > 0) {
      const users = [...new Set(holders.map((t) => t.user))];
      const who = users.length === 1 ? `User '${htmlEscape(users[0] ?? '')}' is` : `Users '${users.map(htmlEscape).join(', ')}' are`;
      const body = `<html><body><h1>Connection Limit Exceeded</h1><p>${who} currently connected to this console. No new connections are allowed. Please check the limit_console_sessions config and try again later.</p></body></html>`;
      countVm(503);
      refuse(503, errorPage(version, 503, 'Connection Limit Exceeded', body));
      return;
    }
    const tunnel: Tunnel = { vmRef, consoleRef, user: session.user, sessionRef: session.ref, socket };
    state.tunnels.add(tunnel);
    count(200);
    countVm(200);
    socket.once('close', () => state.tunnels.delete(tunnel));
    let stream: Duplex;
    try {
      stream = await backend.connect();
    } catch (e) {
      // xapi writes the 200 before opening the VNC socket; a failed open just closes the tunnel.
      log.warn('console server refused the connection', { error: e });
      socket.end(CONNECT_OK);
      return;
    }
    if (socket.destroyed) {
      stream.destroy();
      return;
    }
    const greeting = await firstChunk(stream, GREETING_WAIT_MS);
    socket.write(greeting === undefined ? CONNECT_OK : Buffer.concat([Buffer.from(CONNECT_OK, 'latin1'), greeting]));
    pipeTunnel(socket, stream, head, idleTimeoutSeconds(state, host, isDom0), protocol === 'rfb');
  })().catch((e: unknown) => {
    log.warn('console tunnel failed', { error: e });
    socket.destroy();
  });
}

function idleTimeoutSeconds(state: PoolState, host: HostRuntime, isDom0: boolean): number {
  const v = isDom0 ? state.db.get('host', host.ref)?.console_idle_timeout : state.pool().vm_console_idle_timeout;
  return typeof v === 'number' && v > 0 ? v : 0;
}

function firstChunk(stream: Duplex, ms: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const done = (chunk: Buffer | undefined): void => {
      clearTimeout(timer);
      stream.off('readable', onReadable);
      stream.off('close', onClose);
      resolve(chunk);
    };
    const onReadable = (): void => {
      const chunk = stream.read() as Buffer | null;
      if (chunk !== null) done(chunk);
    };
    const onClose = (): void => done(undefined);
    const timer = setTimeout(() => done(undefined), ms);
    stream.on('readable', onReadable);
    stream.once('close', onClose);
  });
}

function pipeTunnel(socket: Socket, stream: Duplex, head: Buffer, idleSeconds: number, rfb: boolean): void {
  const parser = rfb ? new RfbActivityParser() : undefined;
  let lastActive = Date.now();
  let idleTimer: NodeJS.Timeout | undefined;
  const closeBoth = (): void => {
    if (idleTimer !== undefined) clearInterval(idleTimer);
    socket.destroy();
    stream.destroy();
  };
  const fromClient = (chunk: Buffer): void => {
    if (parser?.feed(chunk) === true) lastActive = Date.now();
  };
  if (head.length > 0) {
    fromClient(head);
    stream.write(head);
  }
  socket.on('data', fromClient);
  socket.pipe(stream);
  stream.pipe(socket);
  socket.once('close', closeBoth);
  stream.once('close', closeBoth);
  stream.on('error', () => undefined);
  socket.on('error', () => undefined);
  // Non-RFB (vt100) streams make xapi's parser give up, so they never time out; same here.
  if (idleSeconds > 0 && parser !== undefined) {
    idleTimer = setInterval(() => {
      if (parser.broken) return;
      if (Date.now() - lastActive > idleSeconds * 1000) {
        log.info('console idle timeout', { seconds: idleSeconds });
        closeBoth();
      }
    }, Math.min(IDLE_CHECK_MS, idleSeconds * 250));
    idleTimer.unref();
  }
}

