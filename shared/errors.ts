/**
 * Stable error codes shared by the backend, the IPC envelopes, the CLI exit codes and the UI.
 * Each code has its own message and recovery in the UI; the CLI maps each to its own exit status.
 */

export const ERROR_CODES = {
  INVALID_ARGUMENT: 'The request was malformed.',
  UNKNOWN_POOL: 'No such pool.',
  WRONG_PASSWORD: 'The user name or password was rejected by the pool.',
  NEEDS_PASSWORD: 'A password is needed to connect.',
  CERT_UNTRUSTED: 'The host presented a certificate that is not trusted yet.',
  CERT_CHANGED: 'The host presented a different certificate from the one pinned for it.',
  HOST_UNREACHABLE: 'The host cannot be reached.',
  HOST_STILL_BOOTING: 'The host is still starting its toolstack.',
  NOT_CONNECTED: 'The pool is not connected.',
  UNKNOWN_VM: 'No such VM.',
  OPERATION_NOT_ALLOWED: 'The VM does not allow that operation now.',
  PERMISSION_DENIED: "Your account's role does not permit that operation.",
  XAPI_ERROR: 'The pool reported an error.',
  VM_NOT_RUNNING: 'The VM is not running.',
  NO_CONSOLE: 'The VM has no console of that kind.',
  CONSOLE_UNAUTHORIZED: 'The console refused the session.',
  CONSOLE_FORBIDDEN: 'This console needs the pool-admin role.',
  CONSOLE_NOT_FOUND: 'There is no console server for this VM.',
  CONSOLE_IN_USE: 'The console is in use by someone else.',
  CONSOLE_ERROR: 'The console connection failed.',
  CONFIG_ERROR: 'The configuration file could not be read or written.',
  INTERNAL: 'Something went wrong inside Porthole.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error with a stable code and a human message; safe to send to the page as is. */
export class PortholeError extends Error {
  readonly code: ErrorCode;
  /** Extra, non-secret facts for the UI (e.g. old/new fingerprints, who holds a console). */
  readonly details: Record<string, string> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, string>) {
    super(message ?? ERROR_CODES[code]);
    this.name = 'PortholeError';
    this.code = code;
    this.details = details;
  }
}

/** True when `value` is one of the codes above. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
