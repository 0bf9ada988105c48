/**
 * Turns what `xen-api` and undici throw into plain `PortholeError`s.
 *
 * XAPI errors carry a code and parameters (`VM_BAD_POWER_STATE [vm, expected, actual]`); transport
 * failures carry a socket error code. The messages built here name the problem in words and never
 * include request parameters (which may hold a password or a session id).
 */
import { PortholeError } from '../../shared/errors';

/** A XAPI error as xen-api throws it. */
export interface XapiFailure {
  code: string;
  params: string[];
}

/** True when `e` is a XAPI error (code + params), as opposed to a transport failure. */
export function isXapiFailure(e: unknown): e is XapiFailure {
  const x = e as { code?: unknown; params?: unknown } | null;
  return typeof x === 'object' && x !== null && typeof x.code === 'string' && Array.isArray(x.params) && !(e instanceof PortholeError);
}

/** The XAPI error code of `e`, if it is one. */
export function xapiCode(e: unknown): string | undefined {
  return isXapiFailure(e) ? e.code : undefined;
}

/** True for failures of the connection itself (refused, reset, timed out, closed): worth another host or a retry. */
export function isTransportFailure(e: unknown): boolean {
  if (e instanceof PortholeError) return e.code === 'HOST_UNREACHABLE';
  return !isXapiFailure(e);
}

/** A short, secret-free description of a transport failure. */
export function describeTransport(e: unknown): string {
  if (e instanceof PortholeError) return e.message;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  // xen-api's transports throw this for a non-2xx answer (a proxy's error page, a web server that is not xapi).
  const status = /^unexpect statusCode (\d{3})$/.exec(e instanceof Error ? e.message : '')?.[1];
  if (status !== undefined) return `it answered HTTP ${status}, not XAPI`;
  const name = (e as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return 'timed out';
  if (name === 'InvalidJson') return 'its reply was not valid JSON';
  return 'connection failed';
}

/** Plain words for the XAPI errors a power action or a login can meet. */
export function fromXapiError(e: unknown, what = 'The operation'): PortholeError {
  if (e instanceof PortholeError) return e;
  if (!isXapiFailure(e)) return new PortholeError('HOST_UNREACHABLE', `${what} failed: the connection to the pool was lost (${describeTransport(e)}).`);
  const p = e.params;
  switch (e.code) {
    case 'SESSION_AUTHENTICATION_FAILED':
      return new PortholeError('WRONG_PASSWORD');
    case 'HOST_STILL_BOOTING':
      return new PortholeError('HOST_STILL_BOOTING');
    case 'VM_BAD_POWER_STATE':
      return new PortholeError('OPERATION_NOT_ALLOWED', `${what} is not possible: the VM is ${p[2] ?? 'in another power state'} (it must be ${p[1] ?? 'in another state'}).`);
    case 'OPERATION_NOT_ALLOWED':
      return new PortholeError('OPERATION_NOT_ALLOWED', `${what} is not allowed now${p[0] !== undefined ? `: ${p[0]}` : '.'}`);
    case 'OTHER_OPERATION_IN_PROGRESS':
      return new PortholeError('OPERATION_NOT_ALLOWED', `${what} is not possible while another operation is in progress on the VM.`);
    case 'VM_MISSING_PV_DRIVERS':
    case 'VM_LACKS_FEATURE':
    case 'VM_LACKS_FEATURE_SHUTDOWN':
    case 'VM_LACKS_FEATURE_SUSPEND':
      return new PortholeError('OPERATION_NOT_ALLOWED', `${what} needs the guest tools (PV drivers) in the VM; use the forced variant instead.`);
    case 'RBAC_PERMISSION_DENIED':
      return new PortholeError('PERMISSION_DENIED', `${what} is not permitted for your account's role${p[0] !== undefined ? ` (${p[0]})` : ''}.`);
    case 'HOST_NOT_ENOUGH_FREE_MEMORY':
      return new PortholeError('XAPI_ERROR', `${what} failed: no host has enough free memory for the VM.`);
    case 'HANDLE_INVALID':
    case 'UUID_INVALID':
      return new PortholeError('UNKNOWN_VM', 'The VM no longer exists.');
    case 'SESSION_INVALID':
      return new PortholeError('NOT_CONNECTED', 'The session with the pool ended; reconnecting.');
    default:
      return new PortholeError('XAPI_ERROR', `${what} failed: the pool reported ${e.code}.`, { xapiCode: e.code });
  }
}
