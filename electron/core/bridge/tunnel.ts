/**
 * Opens the XAPI console tunnel for one console: pinned TLS to the host in the console's `location`,
 * `CONNECT <path> HTTP/1.0` with the session cookie, and the answer read up to the first CRLFCRLF.
 *
 * How it works: `connectOnce` makes one attempt and reports either an open tunnel (the TLS socket,
 * paused, plus whatever console bytes arrived in the same read as the header — the RFB greeting often
 * does; the socket reads into a reusable ring, read-ring.ts, so `start` hands later bytes on) or the refusal (status, reason, the HTML body read up to a cap). `openTunnel` turns refusals into
 * actions, as docs/xapi-notes.md describes: 401 → log in again once and retry; 500 → look the console up
 * again (halted → VM_NOT_RUNNING, moved → retry once at the new location); 403, 404, 503 → a
 * PortholeError with a plain message. The session id only ever appears in the Cookie line: never in a
 * log, an error or the page.
 */
import type { TLSSocket } from 'node:tls';
import { connectPinned, HANDSHAKE_TIMEOUT_MS } from '../tls-pin';
import { PortholeError } from '../../../shared/errors';
import { consoleUsersFromBody, headerValue, parseConnectResponse, type ConnectAnswer } from '../../../shared/connect-response';
import { getLogger } from '../../../shared/log';
import type { ConsoleSource, ConsoleUpstream } from '../console-source';
import { ReadRing, type ChunkSink } from './read-ring';
import { lookUpNow } from './explain';

const log = getLogger('bridge');

/** Time allowed for the CONNECT answer header once TLS is up, ms. */
export const ANSWER_TIMEOUT_MS = 10_000;

/**
 * The console host went silent: TLS is up but the CONNECT answer never came (or, in the relay, a 200
 * came and then no RFB greeting). Its own class so the page gets the `silent` close (4014), not a
 * generic failure.
 */
export class ConsoleSilentError extends PortholeError {
  constructor(message: string) {
    super('CONSOLE_ERROR', message);
    this.name = 'ConsoleSilentError';
  }
}
/** Most of an error answer's HTML body that is read (for the 503 names), bytes. */
export const MAX_ERROR_BODY_BYTES = 16 * 1024;

/** Where a console location points. */
export interface ConsoleTarget {
  host: string;
  port: number;
  /** Path and query exactly as in the location (`/console?uuid=…`). */
  path: string;
  /** Value of the Host header (`host`, or `host:port` off 443). */
  hostHeader: string;
}

/** Parses `https://host[:port]/console?uuid=…|ref=…`; CONSOLE_ERROR when it is not such a URL. */
export function parseLocation(location: string): ConsoleTarget {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new PortholeError('CONSOLE_ERROR', 'The console location is not a URL.');
  }
  // Plain http would send the session id in clear text; xapi's locations are https.
  if (url.protocol !== 'https:') throw new PortholeError('CONSOLE_ERROR', `The console location is not https (${url.protocol}).`);
  if (url.username !== '' || url.password !== '') throw new PortholeError('CONSOLE_ERROR', 'The console location carries credentials.');
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 443 : Number(url.port),
    path: url.pathname + url.search,
    hostHeader: url.host,
  };
}

/** An open tunnel: the socket is paused until `start`; `head` is console data that arrived with the answer. */
export interface Tunnel {
  socket: TLSSocket;
  head: Buffer;
  upstream: ConsoleUpstream;
  /**
   * Starts the console stream: every later chunk goes to `onChunk` (bytes that arrived after `head`
   * come first) and the socket resumes. Chunks live in reused buffers: call `release()` once a
   * chunk's bytes are no longer needed, in the order the chunks came (see read-ring.ts).
   */
  start(onChunk: ChunkSink): void;
}

/** One attempt's outcome. */
export type Attempt =
  | { kind: 'open'; socket: TLSSocket; head: Buffer; ring: ReadRing }
  | { kind: 'refused'; status: number; reason: string; body: string };

/** Knobs for tests and the CLI. */
export interface TunnelOptions {
  answerTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  /** Aborts the attempt (the WebSocket went away while the tunnel was opening). */
  signal?: AbortSignal;
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function aborted(): PortholeError {
  return new PortholeError('CONSOLE_ERROR', 'The console was closed while it was opening.');
}

/** Reads the answer header (and, for a refusal, the body) from a fresh TLS socket read through `ring`. */
function readAnswer(socket: TLSSocket, ring: ReadRing, opts: TunnelOptions): Promise<{ answer: ConnectAnswer; rest: Buffer; body?: string }> {
  const timeoutMs = opts.answerTimeoutMs ?? ANSWER_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    let answer: ConnectAnswer | undefined;
    let bodyLimit = 0;
    const finish = (error?: PortholeError): void => {
      clearTimeout(timer);
      ring.detach();
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.off('close', onEnd);
      opts.signal?.removeEventListener('abort', onAbort);
      if (error !== undefined) {
        reject(error);
      } else if (answer !== undefined) {
        const rest = Buffer.from(buffered.subarray(answer.headerBytes));
        resolve(answer.status === 200 ? { answer, rest } : { answer, rest, body: rest.subarray(0, bodyLimit).toString('latin1') });
      }
    };
    const onData = (chunk: Buffer, release: () => void): void => {
      buffered = Buffer.concat([buffered, chunk]);
      release();
      if (answer === undefined) {
        const parsed = parseConnectResponse(buffered);
        if (parsed.state === 'incomplete') return;
        if (parsed.state === 'invalid') {
          finish(new PortholeError('CONSOLE_ERROR', `The console server sent a bad answer (${parsed.error}).`));
          return;
        }
        answer = parsed;
        if (answer.status === 200) {
          // Stop the flow here: later bytes are held by the ring until the relay takes over.
          socket.pause();
          finish();
          return;
        }
        const length = Number(headerValue(answer, 'content-length'));
        bodyLimit = Number.isInteger(length) && length >= 0 ? Math.min(length, MAX_ERROR_BODY_BYTES) : MAX_ERROR_BODY_BYTES;
      }
      if (buffered.length - answer.headerBytes >= bodyLimit) finish();
    };
    const onEnd = (): void => {
      if (answer !== undefined) finish();
      else finish(new PortholeError('CONSOLE_ERROR', 'The console server closed the connection without answering.'));
    };
    const onError = (error: Error): void => {
      if (answer !== undefined) finish();
      else finish(new PortholeError('CONSOLE_ERROR', `The console connection failed (${(error as { code?: string }).code ?? error.message}).`));
    };
    const onAbort = (): void => finish(aborted());
    const timer = setTimeout(() => {
      if (answer !== undefined) finish();
      else finish(new ConsoleSilentError(`The console host accepted the connection but did not answer within ${timeoutMs / 1000} s.`));
    }, timeoutMs);
    ring.attach(onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    opts.signal?.addEventListener('abort', onAbort);
  });
}

/** One CONNECT attempt against `upstream` with session `sessionId`. */
export async function connectOnce(source: ConsoleSource, upstream: ConsoleUpstream, sessionId: string, opts: TunnelOptions = {}): Promise<Attempt> {
  const target = parseLocation(upstream.location);
  // A session id with CR/LF or spaces would let the value inject header lines.
  if (!/^[\x21-\x7e]+$/.test(sessionId)) throw new PortholeError('CONSOLE_UNAUTHORIZED', 'The pool session is not usable for the console.');
  if (isAborted(opts.signal)) throw aborted();
  const ring = new ReadRing();
  const socket = await connectPinned({
    host: target.host,
    port: target.port,
    expected: source.pin(target.host, target.port),
    timeoutMs: opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
    onread: ring.onread,
  });
  if (isAborted(opts.signal)) {
    socket.destroy();
    throw aborted();
  }
  socket.setNoDelay(true);
  // Every socket error is followed by 'close', which the reader and later the relay act on; this
  // listener only keeps an error in a gap between owners from being thrown.
  socket.on('error', () => undefined);
  socket.write(`CONNECT ${target.path} HTTP/1.0\r\nHost: ${target.hostHeader}\r\nCookie: session_id=${sessionId}\r\n\r\n`);
  try {
    const { answer, rest, body } = await readAnswer(socket, ring, opts);
    if (answer.status === 200) return { kind: 'open', socket, head: rest, ring };
    socket.destroy();
    return { kind: 'refused', status: answer.status, reason: answer.reason, body: body ?? '' };
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

/**
 * Opens the tunnel for `upstream`, acting on each refusal as docs/xapi-notes.md says. Resolves with the open
 * tunnel (possibly at a new location after a 500); rejects with a PortholeError whose message is the
 * plain sentence the UI shows.
 */
export async function openTunnel(source: ConsoleSource, first: ConsoleUpstream, opts: TunnelOptions = {}): Promise<Tunnel> {
  let upstream = first;
  let sessionId = source.sessionId();
  let relogged = false;
  let relocated = false;
  for (;;) {
    const attempt = await connectOnce(source, upstream, sessionId, opts);
    if (attempt.kind === 'open') {
      const { socket, ring } = attempt;
      return {
        socket,
        head: attempt.head,
        upstream,
        start: (onChunk) => {
          ring.attach(onChunk);
          socket.resume();
        },
      };
    }
    const host = parseLocation(upstream.location).host;
    log.info('console refused', { host, status: attempt.status, vm: upstream.vmUuid });
    switch (attempt.status) {
      case 401:
        if (relogged) throw new PortholeError('CONSOLE_UNAUTHORIZED', 'The console refused the session, even after logging in again.');
        relogged = true;
        sessionId = await source.refreshSession();
        break;
      case 403:
        throw new PortholeError('CONSOLE_FORBIDDEN', `The console of ${upstream.vmName} needs the pool-admin role.`);
      case 404:
        throw new PortholeError('CONSOLE_NOT_FOUND', `There is no console server for ${upstream.vmName}.`);
      case 503: {
        const users = consoleUsersFromBody(attempt.body);
        const who = users.length === 0 ? 'another session' : users.join(', ');
        throw new PortholeError('CONSOLE_IN_USE', `The console is in use by ${who}.`, { users: users.join(', ') });
      }
      case 500: {
        // xapi answers 500 when the VM is not running or not resident here: look it up again.
        const again = await lookUpNow(source, upstream);
        if (relocated || again.location === upstream.location) {
          throw new PortholeError('CONSOLE_ERROR', `The host refused the console of ${upstream.vmName} (500 ${attempt.reason}).`);
        }
        relocated = true;
        upstream = again;
        break;
      }
      default:
        throw new PortholeError('CONSOLE_ERROR', `The console server answered ${attempt.status} ${attempt.reason}.`.trim());
    }
  }
}
