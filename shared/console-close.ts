/**
 * How the console bridge tells the page why a console WebSocket closed.
 *
 * Every close the bridge starts carries a code from `CONSOLE_CLOSE` (4000–4099, the range RFC 6455
 * leaves to applications) and a reason that is a small JSON object `{"code":ErrorCode,"message":...}`.
 * A close reason may be at most 123 bytes of UTF-8, so `encodeCloseReason` shortens the message (never
 * the code) until it fits. The numeric code says what happened (and so what the UI may offer: re-open,
 * re-login, nothing); the JSON carries the plain message to show.
 *
 * | code | kind           | ErrorCode             | meaning                                                       |
 * |------|----------------|-----------------------|---------------------------------------------------------------|
 * | 4000 | error          | CONSOLE_ERROR/INTERNAL| the tunnel failed for another reason (bad answer, timeout)    |
 * | 4001 | unauthorized   | CONSOLE_UNAUTHORIZED  | 401 even after a fresh login                                  |
 * | 4003 | forbidden      | CONSOLE_FORBIDDEN     | 403: the console needs pool-admin                             |
 * | 4004 | not-found      | CONSOLE_NOT_FOUND     | 404: no console server for this VM                            |
 * | 4005 | in-use         | CONSOLE_IN_USE        | 503: console in use by the names in the message               |
 * | 4006 | vm-not-running | VM_NOT_RUNNING        | the VM is (or went) down                                      |
 * | 4007 | no-console     | NO_CONSOLE/UNKNOWN_VM | the VM or its console of that kind is gone                    |
 * | 4008 | certificate    | CERT_CHANGED/UNTRUSTED| the console host's certificate is not the pinned one          |
 * | 4009 | unreachable    | HOST_UNREACHABLE      | the console host cannot be reached                            |
 * | 4010 | closed         | CONSOLE_ERROR         | the console server ended the stream                           |
 * | 4011 | idle-timeout   | CONSOLE_ERROR         | the server closed it after no keyboard/mouse input (xapi idle timeout) |
 * | 4012 | moved          | CONSOLE_ERROR         | the console was replaced (migration, reboot): open a new ticket |
 * | 4013 | shutdown       | CONSOLE_ERROR         | the bridge is shutting down (app quit, pool disconnected)      |
 * | 4014 | silent         | CONSOLE_ERROR         | the host went silent: no CONNECT answer, or a 200 and then no RFB greeting |
 */
import { ERROR_CODES, isErrorCode, type ErrorCode } from './errors';

/** Close codes the bridge sends (see the table above). */
export const CONSOLE_CLOSE = {
  error: 4000,
  unauthorized: 4001,
  forbidden: 4003,
  'not-found': 4004,
  'in-use': 4005,
  'vm-not-running': 4006,
  'no-console': 4007,
  certificate: 4008,
  unreachable: 4009,
  closed: 4010,
  'idle-timeout': 4011,
  moved: 4012,
  shutdown: 4013,
  silent: 4014,
} as const;

/** A kind of console close. */
export type ConsoleCloseKind = keyof typeof CONSOLE_CLOSE;

/** Longest close reason RFC 6455 allows, bytes of UTF-8. */
export const MAX_CLOSE_REASON_BYTES = 123;

const BY_ERROR: Partial<Record<ErrorCode, ConsoleCloseKind>> = {
  CONSOLE_UNAUTHORIZED: 'unauthorized',
  WRONG_PASSWORD: 'unauthorized',
  NEEDS_PASSWORD: 'unauthorized',
  CONSOLE_FORBIDDEN: 'forbidden',
  CONSOLE_NOT_FOUND: 'not-found',
  CONSOLE_IN_USE: 'in-use',
  VM_NOT_RUNNING: 'vm-not-running',
  NO_CONSOLE: 'no-console',
  UNKNOWN_VM: 'no-console',
  CERT_CHANGED: 'certificate',
  CERT_UNTRUSTED: 'certificate',
  HOST_UNREACHABLE: 'unreachable',
};

/** The close kind for an error that ended a console. */
export function closeKindFor(code: ErrorCode): ConsoleCloseKind {
  return BY_ERROR[code] ?? 'error';
}

const utf8 = new TextEncoder();

/** The JSON close reason for `code` + `message`, shortened (with "…") to fit 123 bytes. */
export function encodeCloseReason(code: ErrorCode, message: string): string {
  const make = (m: string): string => JSON.stringify({ code, message: m });
  let text = make(message);
  if (utf8.encode(text).length <= MAX_CLOSE_REASON_BYTES) return text;
  const chars = Array.from(message);
  while (chars.length > 0) {
    chars.pop();
    text = make(chars.join('').trimEnd() + '…');
    if (utf8.encode(text).length <= MAX_CLOSE_REASON_BYTES) return text;
  }
  return make('');
}

/** What the page reads out of a console close. */
export interface ConsoleClose {
  kind: ConsoleCloseKind | 'normal';
  code: ErrorCode;
  message: string;
}

/** Decodes a close event from the bridge (any code; unknown ones become a generic error). */
export function decodeConsoleClose(closeCode: number, reason: string): ConsoleClose {
  const kind = (Object.keys(CONSOLE_CLOSE) as ConsoleCloseKind[]).find((k) => CONSOLE_CLOSE[k] === closeCode);
  let code: ErrorCode = 'CONSOLE_ERROR';
  let message: string = ERROR_CODES.CONSOLE_ERROR;
  try {
    const parsed = JSON.parse(reason) as unknown;
    if (typeof parsed === 'object' && parsed !== null) {
      const p = parsed as { code?: unknown; message?: unknown };
      if (isErrorCode(p.code)) code = p.code;
      if (typeof p.message === 'string') message = p.message;
    }
  } catch {
    if (reason !== '') message = reason;
  }
  if (kind === undefined && closeCode === 1000) return { kind: 'normal', code, message: reason === '' ? 'The console closed.' : message };
  return { kind: kind ?? 'error', code, message };
}
