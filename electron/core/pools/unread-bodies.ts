/**
 * An undici interceptor that reads, up front, the response bodies `xen-api` will never read.
 *
 * Why: xen-api's transports throw on a non-2xx status ("unexpect statusCode 502") or on a content type
 * they do not speak (JSON-RPC falling back to XML-RPC) without consuming the body. undici hands that
 * body out as a stream; if the response is still incomplete when the pool's agent is destroyed
 * (disconnect, remove, quit) or the host resets, the stream emits `'error'` with no listener, which is
 * an uncaught exception: a hostile or broken host (a proxy's truncated 502 page) would take the whole
 * main process down.
 *
 * How: for such a response the interceptor holds back `onHeaders` and collects the body (at most
 * `MAX_UNREAD_BODY_BYTES`), then replays headers, data and completion to the real handler at once,
 * so the body stream it creates is already complete and cannot fail later. An error while collecting
 * (reset, destroy, timeout) reaches the handler before any stream exists, i.e. as a plain rejection of
 * the request that xen-api's call chain handles. Responses xen-api reads (2xx JSON or XML) stream
 * through untouched.
 */
import type { Dispatcher } from 'undici';

/** Most bytes of an unread (error or foreign) body kept before the response is failed, bytes. */
export const MAX_UNREAD_BODY_BYTES = 256 * 1024;

/** Content types xen-api's transports consume. */
const READ_TYPES = new Set(['application/json', 'text/xml', 'application/xml']);

/** The value of header `name` in undici's raw header list (name, value, name, value …). */
function rawHeader(raw: Buffer[] | string[] | null, name: string): string | undefined {
  if (raw === null) return undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (String(raw[i]).toLowerCase() === name) return String(raw[i + 1]);
  }
  return undefined;
}

/** True when xen-api will read the body of this response (2xx and a type it speaks). */
export function xenApiReadsBody(statusCode: number, contentType: string | undefined): boolean {
  return statusCode >= 200 && statusCode < 300 && contentType !== undefined && READ_TYPES.has((contentType.split(';')[0] ?? '').trim().toLowerCase());
}

type Handler = Dispatcher.DispatchHandlers;

/** Wraps one request's handler; see the header. */
function bufferingHandler(inner: Handler): Handler {
  let held: { statusCode: number; headers: Buffer[]; resume: () => void; statusText: string } | undefined;
  let chunks: Buffer[] = [];
  let size = 0;
  let abort: ((err?: Error) => void) | undefined;
  return {
    onConnect(abortFn) {
      abort = abortFn;
      inner.onConnect?.(abortFn);
    },
    onHeaders(statusCode, headers, resume, statusText) {
      if (statusCode < 200 || xenApiReadsBody(statusCode, rawHeader(headers, 'content-type'))) {
        return inner.onHeaders?.(statusCode, headers, resume, statusText) ?? true;
      }
      held = { statusCode, headers, resume, statusText };
      return true;
    },
    onData(chunk) {
      if (held === undefined) return inner.onData?.(chunk) ?? true;
      size += chunk.length;
      if (size > MAX_UNREAD_BODY_BYTES) {
        abort?.(new Error(`the host answered HTTP ${held.statusCode} with a body over ${MAX_UNREAD_BODY_BYTES} bytes`));
        return false;
      }
      chunks.push(Buffer.from(chunk));
      return true;
    },
    onComplete(trailers) {
      if (held !== undefined) {
        const h = held;
        held = undefined;
        inner.onHeaders?.(h.statusCode, h.headers, h.resume, h.statusText);
        if (size > 0) inner.onData?.(Buffer.concat(chunks));
        chunks = [];
      }
      inner.onComplete?.(trailers);
    },
    onError(err) {
      held = undefined;
      chunks = [];
      inner.onError?.(err);
    },
    onUpgrade: inner.onUpgrade?.bind(inner),
    onBodySent: inner.onBodySent?.bind(inner),
    onResponseStarted: inner.onResponseStarted?.bind(inner),
  };
}

/** The interceptor, for `agent.compose(readUnreadBodies)`. */
export const readUnreadBodies: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => dispatch(opts, bufferingHandler(handler));
