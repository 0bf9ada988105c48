/**
 * The IPC contract over one WebSocket: what the Electron preload does with `ipcRenderer`, the harness
 * does with JSON text frames, so the same renderer runs in a plain browser.
 *
 * The frames and the envelope are `shared/wire.ts` (the renderer's harness client reads the same).
 *
 * How it works: every frame is treated as untrusted input; it is parsed, its `id` and `channel` are
 * checked, and the argument goes to `backend.handle` as `unknown` (the backend narrows it). Requests
 * run concurrently; each reply carries its request's id. A thrown `PortholeError` becomes its code and
 * message; anything else becomes `INTERNAL` with the generic message, so no internal detail (paths,
 * stack, secrets) reaches the page. Frames that are not a request at all close the socket (1008).
 */
import type { WebSocket } from 'ws';
import type { EventChannel, Events, RequestChannel, Result } from '../../../shared/contract';
import { getLogger } from '../../../shared/log';
import { encodeEvent, encodeReply, parseRequestFrame, toWireError, type EventListener, type RequestFrame } from '../../../shared/wire';

const log = getLogger('harness');

/** Largest frame the page may send, bytes (requests are small; the biggest is ui:set). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** WebSocket close code for a frame that breaks the protocol. */
const POLICY_VIOLATION = 1008;

/** What the harness needs of the backend (`electron/core/backend.ts` satisfies it). */
export interface HarnessBackend {
  /** Answers one request; throws `PortholeError` on failure. */
  handle(channel: RequestChannel, arg: unknown): Promise<unknown>;
  /** Subscribes to push events. */
  on(listener: EventListener): unknown;
}

/** Sends one frame if the socket is still open. */
function send(socket: WebSocket, text: string): void {
  if (socket.readyState !== socket.OPEN) return;
  socket.send(text);
}

/** Serves the contract on one accepted, already-authorised page socket until it closes. */
export function serveApiSocket(socket: WebSocket, backend: HarnessBackend): void {
  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      socket.close(POLICY_VIOLATION, 'text frames only');
      return;
    }
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    const frame = parseRequestFrame(text);
    if (typeof frame === 'string') {
      log.warn('closing API socket: malformed frame', { reason: frame });
      socket.close(POLICY_VIOLATION, frame);
      return;
    }
    if ('badId' in frame) {
      send(socket, encodeReply(frame.badId, { ok: false, error: { code: 'INVALID_ARGUMENT', message: 'Unknown request channel.' } }));
      return;
    }
    void answer(socket, backend, frame);
  });
}

/** Runs one request and sends its reply envelope. Never rejects. */
async function answer(socket: WebSocket, backend: HarnessBackend, frame: RequestFrame): Promise<void> {
  let result: Result<unknown>;
  try {
    result = { ok: true, value: await backend.handle(frame.channel, frame.arg) };
  } catch (error) {
    result = { ok: false, error: toWireError(error) };
    if (result.error.code === 'INTERNAL') log.warn('request failed with an unexpected error', { channel: frame.channel, error: error instanceof Error ? error.message : String(error) });
  }
  send(socket, encodeReply(frame.id, result));
}

/** Sends one push event to every open socket (serialised once). */
export function broadcast<E extends EventChannel>(sockets: Iterable<WebSocket>, channel: E, payload: Events[E]): void {
  const text = encodeEvent(channel, payload);
  for (const socket of sockets) {
    if (socket.readyState === socket.OPEN) socket.send(text);
  }
}
