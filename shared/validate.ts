/**
 * The argument guards of the IPC contract (`contract.ts`), keyed by channel: `REQUEST_GUARDS[c]`
 * narrows an `unknown` to `RequestArg<c>`, so each guard's type comes from the contract and adding a
 * channel without its guard does not compile.
 *
 * Arguments arrive as `unknown` (from the page over IPC, from the harness' WebSocket); the backend,
 * the shell (for the channels it answers itself) and the console bridge all narrow them here and
 * answer INVALID_ARGUMENT when a guard fails (`checkArg`). Pure code. Strings are bounded so a hostile
 * page cannot make the backend store megabytes.
 */
import { WALL_LIMITS, type ConsoleProtocol, type RequestArg, type RequestChannel, type TabState, type WallSettings } from './contract';
import { PortholeError } from './errors';
import { VM_ACTIONS, type VmAction } from './inventory';

/** Longest accepted free-text field (names, addresses, user names), characters. */
export const MAX_TEXT_CHARS = 512;
/** Longest accepted password, characters. */
export const MAX_PASSWORD_CHARS = 4096;
/** The largest screenshot accepted, in base64 characters (a 4K RGBA frame fits several times over). */
export const MAX_SCREENSHOT_BASE64_CHARS = 96 * 1024 * 1024;
/** A screenshot file name: letters, digits, `._-`, ending in .png. */
const SCREENSHOT_NAME = /^[\p{L}\p{N}._-]{1,120}\.png$/u;
/** Most tabs kept in the UI state. */
export const MAX_TABS = 64;
/** Most collapsed tree rows kept in the UI state. */
export const MAX_COLLAPSED = 2_000;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A non-empty string of at most `max` characters without control characters. */
export function isText(v: unknown, max = MAX_TEXT_CHARS): v is string {
  // eslint-disable-next-line no-control-regex
  return typeof v === 'string' && v.length > 0 && v.length <= max && !/[\u0000-\u001f\u007f]/.test(v);
}

/** True when `v` has no keys but `keys` (for the shell's channels, which take exactly their fields). */
function only(v: Obj, keys: readonly string[]): boolean {
  return Object.keys(v).every((k) => keys.includes(k));
}

function optional(v: unknown, check: (x: unknown) => boolean): boolean {
  return v === undefined || check(v);
}

function isBool(v: unknown): v is boolean {
  return typeof v === 'boolean';
}

function isPassword(v: unknown): v is string {
  return typeof v === 'string' && v.length <= MAX_PASSWORD_CHARS;
}

/** An id as the backend hands them out (pool ids, uuids). */
export function isId(v: unknown): v is string {
  return typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(v);
}

/** A XAPI uuid. */
export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(v);
}

/** A pool address: a host name, IPv4, [IPv6] or https URL, with an optional port. */
export function isAddress(v: unknown): v is string {
  return isText(v) && !/\s/.test(v);
}

/** A console protocol the bridge can carry. */
export function isConsoleProtocol(v: unknown): v is ConsoleProtocol {
  return v === 'rfb' || v === 'vt100';
}

/** One of the VM power actions. */
export function isVmAction(v: unknown): v is VmAction {
  return typeof v === 'string' && (VM_ACTIONS as readonly string[]).includes(v);
}

function isTab(v: unknown): v is TabState {
  return isObj(v) && isId(v.poolId) && isUuid(v.vmUuid) && isConsoleProtocol(v.protocol);
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 100_000;
}

function isIntIn(v: unknown, range: { min: number; max: number }): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= range.min && v <= range.max;
}

/** The overview:open argument (and the wall settings kept in the UI state). */
function isWallSettings(v: unknown): v is WallSettings {
  return isObj(v) && isIntIn(v.perHost, WALL_LIMITS.perHost) && isIntIn(v.refreshSeconds, WALL_LIMITS.refreshSeconds);
}

/** Arguments of channels that take none. */
function isVoidArg(v: unknown): v is undefined {
  return v === undefined || v === null;
}

/** A SHA-256 fingerprint as the page sends it (hex with or without colons). */
function isFingerprint(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9A-Fa-f:]{64,95}$/.test(v);
}

/** A guard per channel: each narrows `unknown` to that channel's argument. */
export type RequestGuards = { [C in RequestChannel]: (v: unknown) => v is RequestArg<C> };

/** The guard of every request channel. */
export const REQUEST_GUARDS: RequestGuards = {
  'app:info': isVoidArg,
  'pool:list': isVoidArg,
  'pool:add': (v): v is RequestArg<'pool:add'> =>
    isObj(v) &&
    isText(v.name) &&
    isAddress(v.address) &&
    isText(v.username) &&
    optional(v.password, isPassword) &&
    isBool(v.remember) &&
    optional(v.allowPlainTextStorage, isBool) &&
    optional(v.fingerprint, isFingerprint),
  'pool:edit': (v): v is RequestArg<'pool:edit'> =>
    isObj(v) &&
    isId(v.id) &&
    optional(v.name, isText) &&
    optional(v.address, isAddress) &&
    optional(v.username, isText) &&
    optional(v.password, isPassword) &&
    optional(v.remember, isBool) &&
    optional(v.allowPlainTextStorage, isBool),
  'pool:remove': (v): v is RequestArg<'pool:remove'> => isObj(v) && isId(v.id),
  'pool:connect': (v): v is RequestArg<'pool:connect'> => isObj(v) && isId(v.id) && optional(v.password, isPassword),
  'pool:disconnect': (v): v is RequestArg<'pool:disconnect'> => isObj(v) && isId(v.id),
  'pool:trust': (v): v is RequestArg<'pool:trust'> => isObj(v) && isId(v.id) && isAddress(v.address) && isFingerprint(v.fingerprint) && optional(v.replace, isBool),
  'pool:certificates': (v): v is RequestArg<'pool:certificates'> => isObj(v) && isId(v.id),
  'pool:forget-certificate': (v): v is RequestArg<'pool:forget-certificate'> => isObj(v) && isId(v.id) && isAddress(v.address),
  'inventory:snapshot': isVoidArg,
  'pool:probe': (v): v is RequestArg<'pool:probe'> => isObj(v) && isAddress(v.address),
  'vm:migrate': (v): v is RequestArg<'vm:migrate'> => isObj(v) && isId(v.poolId) && isUuid(v.vmUuid) && isUuid(v.hostUuid),
  'task:list': isVoidArg,
  'task:cancel': (v): v is RequestArg<'task:cancel'> => isObj(v) && isId(v.id),
  'vm:action': (v): v is RequestArg<'vm:action'> => isObj(v) && isId(v.poolId) && isUuid(v.vmUuid) && isVmAction(v.action),
  'console:open': (v): v is RequestArg<'console:open'> => isObj(v) && isId(v.poolId) && isUuid(v.vmUuid) && isConsoleProtocol(v.protocol),
  'ui:get': isVoidArg,
  'overview:open': isWallSettings,
  'ui:set': (v): v is RequestArg<'ui:set'> =>
    isObj(v) &&
    Array.isArray(v.tabs) &&
    v.tabs.length <= MAX_TABS &&
    v.tabs.every(isTab) &&
    optional(v.activeTab, isNonNegInt) &&
    optional(v.treeWidth, isNonNegInt) &&
    optional(v.collapsed, (c) => Array.isArray(c) && c.length <= MAX_COLLAPSED && c.every((x) => isText(x, 300))) &&
    optional(v.theme, (t) => t === 'system' || t === 'light' || t === 'dark') &&
    optional(v.wall, isWallSettings),
  'demo:start': isVoidArg,
  'console:capture': (v): v is RequestArg<'console:capture'> => isObj(v) && only(v, ['active']) && isBool(v.active),
  'console:save-screenshot': (v): v is RequestArg<'console:save-screenshot'> =>
    isObj(v) &&
    only(v, ['name', 'pngBase64']) &&
    typeof v.name === 'string' &&
    SCREENSHOT_NAME.test(v.name) &&
    !v.name.startsWith('.') &&
    typeof v.pngBase64 === 'string' &&
    v.pngBase64.length <= MAX_SCREENSHOT_BASE64_CHARS &&
    // Why: only a PNG may be written, whatever the page says (the signature in base64).
    v.pngBase64.startsWith('iVBORw0KGgo'),
  'console:popout': (v): v is RequestArg<'console:popout'> => isObj(v) && only(v, ['poolId', 'vmUuid']) && isId(v.poolId) && isUuid(v.vmUuid),
};

/** Returns `arg` narrowed to `channel`'s argument, or throws INVALID_ARGUMENT. */
export function checkArg<C extends RequestChannel>(channel: C, arg: unknown): RequestArg<C> {
  const guard: (v: unknown) => v is RequestArg<C> = REQUEST_GUARDS[channel];
  if (!guard(arg)) throw new PortholeError('INVALID_ARGUMENT', `Malformed argument for ${channel}.`);
  return arg;
}
