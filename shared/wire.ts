/**
 * The one wire format between the page and the backend: the reply envelope and its error half, the
 * web harness's JSON frames, and typed push events. The shell's IPC handler, the harness server and
 * the harness client (renderer) all use it, so the envelope and the frames are written once.
 *
 * Harness frames (one JSON text message each, over `ws://<host>/api?token=<t>`):
 *   page → server   {"id": <int>, "channel": "<request channel>", "arg": <json>}   (no `arg` when void)
 *   server → page   {"id": <int>, "result": {"ok": true, "value": <json>} | {"ok": false, "error": {"code", "message"}}}
 *   server → page   {"event": "<event channel>", "payload": <json>}
 * Every frame is untrusted on arrival: the parsers check the shape and say why a frame is refused.
 * Errors cross as `{code, message}` only: a `PortholeError` keeps both, anything else becomes
 * INTERNAL with the generic message, so no stack, path or argument reaches the page.
 */
import { EVENT_CHANNELS, isRequestChannel, type EventChannel, type Events, type RequestChannel, type Result, type WireError } from './contract';
import { ERROR_CODES, PortholeError, isErrorCode } from './errors';

/** A push event listener, typed by channel (the backend, the harness and the shell forward these). */
export type EventListener = <E extends EventChannel>(channel: E, payload: Events[E]) => void;

/** The error half of an envelope for anything thrown: PortholeErrors as they are, the rest INTERNAL. */
export function toWireError(error: unknown): WireError {
  if (error instanceof PortholeError) return { code: error.code, message: error.message };
  // A PortholeError from another copy of the module (bundles) still has a known code and a safe message.
  if (error instanceof Error && error.name === 'PortholeError') {
    const code: unknown = (error as { code?: unknown }).code;
    if (isErrorCode(code)) return { code, message: error.message };
  }
  return { code: 'INTERNAL', message: ERROR_CODES.INTERNAL };
}

/** A `PortholeError` from the error half of an envelope as it arrived (malformed → INTERNAL). */
export function fromWireError(value: unknown): PortholeError {
  if (isRecord(value) && isErrorCode(value.code) && typeof value.message === 'string') return new PortholeError(value.code, value.message);
  return new PortholeError('INTERNAL', 'The backend sent a malformed error.');
}

/** True when `value` names an event channel. */
export function isEventChannel(value: unknown): value is EventChannel {
  return typeof value === 'string' && (EVENT_CHANNELS as readonly string[]).includes(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A request frame as the server reads it (`arg` still unchecked). */
export interface RequestFrame {
  id: number;
  channel: RequestChannel;
  arg: unknown;
}

/** The text of a request frame (void arguments are left out: JSON has no `undefined`). */
export function encodeRequest(id: number, channel: RequestChannel, arg: unknown): string {
  return JSON.stringify(arg === undefined ? { id, channel } : { id, channel, arg });
}

/**
 * Reads a request frame: the frame, `{badId}` when only its channel is unknown (answered with an
 * error), or a string saying why it is no request at all (the server closes the socket).
 */
export function parseRequestFrame(text: string): RequestFrame | { badId: number } | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (!isRecord(value)) return 'not an object';
  const { id, channel, arg } = value;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) return 'id is not an integer';
  if (!isRequestChannel(channel)) return { badId: id };
  return { id, channel, arg };
}

/** The text of a reply frame (`void` values travel as null so the envelope always has `value`). */
export function encodeReply(id: number, result: Result<unknown>): string {
  return JSON.stringify({ id, result: result.ok && result.value === undefined ? { ok: true, value: null } : result });
}

/** The text of a push event frame. */
export function encodeEvent<E extends EventChannel>(channel: E, payload: Events[E]): string {
  return JSON.stringify({ event: channel, payload });
}

/** A frame from the server as the page reads it. */
export type ServerFrame =
  | { kind: 'reply'; id: number; result: { ok: true; value: unknown } | { ok: false; error: PortholeError } }
  | { kind: 'event'; channel: EventChannel; payload: unknown };

/** Reads a server frame; undefined (with no detail: the page only drops it) when it is not one. */
export function parseServerFrame(text: string): ServerFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  if (typeof value.id === 'number') {
    const r = value.result;
    const result = isRecord(r) && r.ok === true ? { ok: true as const, value: r.value } : { ok: false as const, error: isRecord(r) && r.ok === false ? fromWireError(r.error) : new PortholeError('INTERNAL', 'The backend sent a malformed reply.') };
    return { kind: 'reply', id: value.id, result };
  }
  if (isEventChannel(value.event)) return { kind: 'event', channel: value.event, payload: value.payload };
  return undefined;
}
