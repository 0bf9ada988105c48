/**
 * The IPC contract over one WebSocket: what the Electron preload does with `ipcRenderer`, the harness
 * does with JSON text frames, so the same renderer runs in a plain browser.
 *
 * Wire protocol (the renderer's harness client speaks the other side):
 * - page → server: `{"id": <number>, "channel": "<request channel>", "arg": <json>}`
 * - server → page reply: `{"id": <number>, "result": {"ok": true, "value": ...} | {"ok": false, "error": {"code", "message"}}}`
 * - server → page push: `{"event": "<event channel>", "payload": <json>}`
 *
 * How it works: every frame is treated as untrusted input; it is parsed, its `id` and `channel` are
 * checked, and the argument goes to `backend.handle` as `unknown` (the backend narrows it). Requests
 * run concurrently; each reply carries its request's id. A thrown `PortholeError` becomes its code and
 * message; anything else becomes `INTERNAL` with the generic message, so no internal detail (paths,
 * stack, secrets) reaches the page. Frames that are not a request at all close the socket (1008).
 */
import type { WebSocket } from 'ws';
import { isRequestChannel, type EventChannel, type RequestChannel, type Result, type WireError } from '../../../shared/contract';
import { ERROR_CODES, PortholeError, isErrorCode } from '../../../shared/errors';
import { getLogger } from '../../../shared/log';

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
  on(listener: (channel: EventChannel, payload: unknown) => void): unknown;
}

/** A parsed request frame. */
interface RequestFrame {
  id: number;
  channel: RequestChannel;
  arg: unknown;
}

/** Parses one text frame; a string says why it is not a request, a number is a usable id with a bad channel. */
export function parseFrame(text: string): RequestFrame | { badId: number; reason: string } | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const frame = value as Record<string, unknown>;
  const id = frame.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) return 'id is not an integer';
  if (!isRequestChannel(frame.channel)) return { badId: id, reason: 'unknown channel' };
  return { id, channel: frame.channel, arg: frame.arg };
}

/** Turns anything thrown by a handler into the error half of an envelope, without leaking internals. */
export function toWireError(error: unknown): WireError {
  if (error instanceof PortholeError) return { code: error.code, message: error.message };
  // A PortholeError from another copy of the module (bundles) still has a known code and a safe message.
  if (typeof error === 'object' && error !== null && error instanceof Error) {
    const code: unknown = (error as { code?: unknown }).code;
    if (error.name === 'PortholeError' && isErrorCode(code)) return { code, message: error.message };
  }
  log.warn('request failed with an unexpected error', { error: error instanceof Error ? error.message : String(error) });
  return { code: 'INTERNAL', message: ERROR_CODES.INTERNAL };
}

/** Sends one JSON message if the socket is still open. */
function send(socket: WebSocket, message: unknown): void {
  if (socket.readyState !== socket.OPEN) return;
  socket.send(JSON.stringify(message));
}

/** Serves the contract on one accepted, already-authorised page socket until it closes. */
export function serveApiSocket(socket: WebSocket, backend: HarnessBackend): void {
  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      socket.close(POLICY_VIOLATION, 'text frames only');
      return;
    }
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    const frame = parseFrame(text);
    if (typeof frame === 'string') {
      log.warn('closing API socket: malformed frame', { reason: frame });
      socket.close(POLICY_VIOLATION, frame);
      return;
    }
    if ('badId' in frame) {
      const result: Result<never> = { ok: false, error: { code: 'INVALID_ARGUMENT', message: `Unknown request channel.` } };
      send(socket, { id: frame.badId, result });
      return;
    }
    void answer(socket, backend, frame);
  });
}

/** Runs one request and sends its reply envelope. Never rejects. */
async function answer(socket: WebSocket, backend: HarnessBackend, frame: RequestFrame): Promise<void> {
  let result: Result<unknown>;
  try {
    const value = await backend.handle(frame.channel, frame.arg);
    // `void` results travel as null so the envelope always has its `value` key.
    result = { ok: true, value: value === undefined ? null : value };
  } catch (error) {
    result = { ok: false, error: toWireError(error) };
  }
  send(socket, { id: frame.id, result });
}

/** Sends one push event to every open socket (serialised once). */
export function broadcast(sockets: Iterable<WebSocket>, channel: EventChannel, payload: unknown): void {
  const text = JSON.stringify({ event: channel, payload });
  for (const socket of sockets) {
    if (socket.readyState === socket.OPEN) socket.send(text);
  }
}
