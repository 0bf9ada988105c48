/**
 * Turns what `xen-api` and undici throw into plain `PortholeError`s.
 *
 * XAPI errors carry a code and parameters (`VM_BAD_POWER_STATE [vm, expected, actual]`); transport
 * failures carry a socket error code. The messages built here name the problem in words and never
 * include request parameters (which may hold a password or a session id).
 */
import { PortholeError, type ErrorCode } from '../../shared/errors';
import { explainXapiError } from '../../shared/xapi-words';

/** A XAPI error as xen-api throws it. */
export interface XapiFailure {
  code: string;
  params: string[];
}

/** A 2xx reply xen-api's transport could not parse (a truncated or foreign XML-RPC document). */
export class UnparsedReplyError extends Error {
  override readonly name = 'UnparsedReply';
  constructor(method: string) {
    super(`the reply to ${method} was not a readable XML-RPC answer`);
  }
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

/** The HTTP status of xen-api's "unexpect statusCode 502" (a non-2xx answer), if `e` is that. */
function unexpectedStatus(e: unknown): string | undefined {
  return /^unexpect statusCode (\d{3})$/.exec(e instanceof Error ? e.message : '')?.[1];
}

/** True when the host did answer, but not as XAPI (an HTTP error page, JSON or XML it could not parse). */
export function answeredNotAsXapi(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  return e instanceof UnparsedReplyError || name === 'InvalidJson' || unexpectedStatus(e) !== undefined;
}

/** A short, secret-free description of a transport failure. */
export function describeTransport(e: unknown): string {
  if (e instanceof PortholeError) return e.message;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  // xen-api's transports throw this for a non-2xx answer (a proxy's error page, a web server that is not xapi).
  const status = unexpectedStatus(e);
  if (status !== undefined) return `it answered HTTP ${status}, not XAPI`;
  const name = (e as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return 'timed out';
  if (name === 'InvalidJson') return 'its reply was not valid JSON';
  if (e instanceof UnparsedReplyError) return 'its reply was not valid XML-RPC';
  return 'connection failed';
}

/** Plain words for the XAPI errors a power action or a login can meet; `details.xapiCode` keeps XAPI's code. */
export function fromXapiError(e: unknown, what = 'The operation'): PortholeError {
  if (e instanceof PortholeError) return e;
  if (!isXapiFailure(e)) return new PortholeError('HOST_UNREACHABLE', `${what} failed: the connection to the pool was lost (${describeTransport(e)}).`);
  const details = { xapiCode: e.code };
  const words = explainXapiError(e.code, e.params);
  const say = (code: ErrorCode, text = `${what} failed: ${words}`): PortholeError => new PortholeError(code, text, details);
  switch (e.code) {
    case 'SESSION_AUTHENTICATION_FAILED':
      return new PortholeError('WRONG_PASSWORD', undefined, details);
    case 'HOST_STILL_BOOTING':
      return new PortholeError('HOST_STILL_BOOTING', undefined, details);
    case 'VM_BAD_POWER_STATE':
    case 'OPERATION_NOT_ALLOWED':
    case 'OTHER_OPERATION_IN_PROGRESS':
    case 'VM_MISSING_PV_DRIVERS':
    case 'VM_LACKS_FEATURE':
    case 'VM_LACKS_FEATURE_SHUTDOWN':
    case 'VM_LACKS_FEATURE_SUSPEND':
    case 'VM_IS_TEMPLATE':
      return say('OPERATION_NOT_ALLOWED', `${what} is not possible: ${words}`);
    case 'RBAC_PERMISSION_DENIED':
      return say('PERMISSION_DENIED', `${what} is not permitted: ${words}`);
    case 'HANDLE_INVALID':
    case 'UUID_INVALID':
      return say('UNKNOWN_VM', `${what} failed: ${words}`);
    case 'SESSION_INVALID':
      return say('NOT_CONNECTED', words);
    default:
      return say('XAPI_ERROR');
  }
}
