/**
 * Narrowing for the two requests the shell answers itself (console:capture, console:popout). Both
 * take `unknown` from the page and throw PortholeError INVALID_ARGUMENT on anything unexpected.
 */
import type { RequestArg } from '../../../shared/contract';
import { PortholeError } from '../../../shared/errors';

/** Longest id we accept from the page, in characters. */
export const MAX_ID_CHARS = 128;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Pool ids are made by the core; accept a conservative token alphabet so they are safe in a URL hash.
const ID_TOKEN = /^[A-Za-z0-9._:-]+$/;

function record(arg: unknown, keys: readonly string[]): Record<string, unknown> {
  if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) throw new PortholeError('INVALID_ARGUMENT', 'Expected an object.');
  const extra = Object.keys(arg).filter((k) => !keys.includes(k));
  if (extra.length > 0) throw new PortholeError('INVALID_ARGUMENT', `Unexpected field ${extra[0] ?? ''}.`);
  return arg as Record<string, unknown>;
}

/** Narrows the console:capture argument. */
export function parseCaptureArg(arg: unknown): RequestArg<'console:capture'> {
  const r = record(arg, ['active']);
  if (typeof r.active !== 'boolean') throw new PortholeError('INVALID_ARGUMENT', 'active must be a boolean.');
  return { active: r.active };
}

/** Narrows the console:popout argument. */
export function parsePopoutArg(arg: unknown): RequestArg<'console:popout'> {
  const r = record(arg, ['poolId', 'vmUuid']);
  const { poolId, vmUuid } = r;
  if (typeof poolId !== 'string' || poolId.length === 0 || poolId.length > MAX_ID_CHARS || !ID_TOKEN.test(poolId)) {
    throw new PortholeError('INVALID_ARGUMENT', 'poolId is not a valid id.');
  }
  if (typeof vmUuid !== 'string' || !UUID.test(vmUuid)) throw new PortholeError('INVALID_ARGUMENT', 'vmUuid is not a UUID.');
  return { poolId, vmUuid };
}
