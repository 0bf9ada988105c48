/**
 * The one IPC entry point of the main process, as a pure function of a (structurally typed) IPC
 * event and the request payload.
 *
 * The page calls a single channel, `porthole:invoke`, with `{ channel, arg }`. The handler:
 * 1. drops the message (answers `undefined`, logs the origin) unless it comes from the main frame of
 *    one of our own windows, showing our own app:// origin — not a subframe, not another window, not
 *    a page that navigated away;
 * 2. answers INVALID_ARGUMENT unless the payload is exactly `{ channel, arg }` with a contract channel;
 * 3. routes shell-local channels (console:capture, console:popout, console:save-screenshot) to the shell, everything else to
 *    the backend, which narrows `arg` itself;
 * 4. wraps the outcome in a `Result` envelope: `PortholeError`s keep their code and message, anything
 *    else becomes INTERNAL with the generic message (no stack, no internals reach the page).
 * Arguments are never logged (they may carry passwords).
 */
import { isRequestChannel } from '../../../shared/contract';
import type { RequestChannel, Result, WireError } from '../../../shared/contract';
import { ERROR_CODES, PortholeError } from '../../../shared/errors';
import { APP_ORIGIN, isAppUrl } from './app-url';

/** The single invoke channel between preload and main. */
export const INVOKE_CHANNEL = 'porthole:invoke';
/** The push channel: `webContents.send(EVENT_CHANNEL, eventChannel, payload)`. */
export const EVENT_CHANNEL = 'porthole:event';

/** What we read of an Electron WebFrameMain. */
export interface FrameLike {
  readonly url: string;
  readonly origin: string;
  readonly parent: unknown;
  readonly processId: number;
  readonly routingId: number;
}

/** What we read of an Electron IpcMainInvokeEvent. */
export interface InvokeEventLike {
  readonly sender: { readonly id: number; readonly mainFrame: FrameLike };
  readonly senderFrame: FrameLike | null;
}

/** Who sent a request that passed the checks. */
export interface SenderInfo {
  webContentsId: number;
}

/** A shell-local request handler; `arg` is unchecked and must be narrowed. */
export type LocalHandler = (arg: unknown, sender: SenderInfo) => unknown;

/** What the wrapper needs from the rest of the shell. */
export interface InvokeHandlerDeps {
  /** True when this webContents id belongs to one of our windows. */
  isOurWindow: (webContentsId: number) => boolean;
  /** The backend; narrows `arg` and throws PortholeError on bad input. */
  backend: (channel: RequestChannel, arg: unknown) => Promise<unknown>;
  /** Channels the shell answers itself. */
  local: Partial<Record<RequestChannel, LocalHandler>>;
  /** Told about dropped messages and internal errors (never given the arguments). */
  report: (kind: 'dropped' | 'internal', detail: Record<string, unknown>) => void;
}

/** Why a sender is refused, or undefined when it is our window's main frame on our origin. */
export function refuseSender(event: InvokeEventLike, isOurWindow: (id: number) => boolean): string | undefined {
  const frame = event.senderFrame;
  // Why: a destroyed or navigated frame can't be attributed to anything we trust.
  if (frame === null) return 'no sender frame';
  if (!isOurWindow(event.sender.id)) return 'not one of our windows';
  const main = event.sender.mainFrame;
  // Why: subframes (should one ever exist) must not reach the backend.
  if (frame.parent !== null || frame.processId !== main.processId || frame.routingId !== main.routingId) return 'not the main frame';
  // Why: if the page was somehow navigated, the preload of a foreign page must not be obeyed.
  if (frame.origin !== APP_ORIGIN || !isAppUrl(frame.url)) return 'foreign origin';
  return undefined;
}

/** `{ channel, arg }` with a contract channel and no other keys, or undefined. */
export function parseInvokeRequest(value: unknown): { channel: RequestChannel; arg: unknown } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (!keys.includes('channel') || keys.some((k) => k !== 'channel' && k !== 'arg')) return undefined;
  const { channel, arg } = value as { channel: unknown; arg: unknown };
  return isRequestChannel(channel) ? { channel, arg } : undefined;
}

/** The wire form of a thrown value: PortholeErrors as they are, anything else as INTERNAL. */
export function toWireError(error: unknown): WireError {
  if (error instanceof PortholeError) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: ERROR_CODES.INTERNAL };
}

/** Builds the `ipcMain.handle(INVOKE_CHANNEL, …)` callback. Resolves `undefined` for dropped senders. */
export function createInvokeHandler(deps: InvokeHandlerDeps): (event: InvokeEventLike, payload: unknown) => Promise<Result<unknown> | undefined> {
  return async (event, payload) => {
    const refused = refuseSender(event, deps.isOurWindow);
    if (refused !== undefined) {
      deps.report('dropped', { reason: refused, origin: event.senderFrame?.origin ?? null });
      return undefined;
    }
    const request = parseInvokeRequest(payload);
    if (request === undefined) return { ok: false, error: { code: 'INVALID_ARGUMENT', message: 'Unknown or malformed request.' } };
    try {
      const local = deps.local[request.channel];
      const value = local === undefined ? await deps.backend(request.channel, request.arg) : await local(request.arg, { webContentsId: event.sender.id });
      return { ok: true, value };
    } catch (error) {
      const wire = toWireError(error);
      if (wire.code === 'INTERNAL') deps.report('internal', { channel: request.channel, error: error instanceof Error ? error.message : String(error) });
      return { ok: false, error: wire };
    }
  };
}
