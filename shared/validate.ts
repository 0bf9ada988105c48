/**
 * Shape guards for every request argument of the IPC contract (`contract.ts`).
 *
 * Handlers receive `unknown` (from the page, from the harness' WebSocket); each narrows it with one of
 * these before use, and the backend answers INVALID_ARGUMENT when a guard fails. Pure code, shared by
 * the main process, the web harness and the shell. Strings are bounded so a hostile page cannot make the
 * backend store megabytes.
 */
import { WALL_LIMITS, type ConsoleProtocol, type PoolInput, type TabState, type UiState, type WallSettings } from './contract';
import { VM_ACTIONS, type VmAction } from './inventory';

/** Longest accepted free-text field (names, addresses, user names), characters. */
export const MAX_TEXT_CHARS = 512;
/** Longest accepted password, characters. */
export const MAX_PASSWORD_CHARS = 4096;
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

/** The pool:add argument. */
export function isPoolInput(v: unknown): v is PoolInput {
  return (
    isObj(v) &&
    isText(v.name) &&
    isAddress(v.address) &&
    isText(v.username) &&
    optional(v.password, isPassword) &&
    isBool(v.remember) &&
    optional(v.allowPlainTextStorage, isBool) &&
    optional(v.fingerprint, isFingerprint)
  );
}

/** A SHA-256 fingerprint (hex, with or without colons). */
export function isFingerprint(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9A-Fa-f:]{64,95}$/.test(v);
}

/** The pool:edit argument: an id and any subset of the pool fields. */
export function isPoolEdit(v: unknown): v is { id: string } & Partial<PoolInput> {
  return (
    isObj(v) &&
    isId(v.id) &&
    optional(v.name, isText) &&
    optional(v.address, isAddress) &&
    optional(v.username, isText) &&
    optional(v.password, isPassword) &&
    optional(v.remember, isBool) &&
    optional(v.allowPlainTextStorage, isBool)
  );
}

/** `{ id }` arguments (pool:remove, pool:disconnect, pool:certificates). */
export function isIdArg(v: unknown): v is { id: string } {
  return isObj(v) && isId(v.id);
}

/** The pool:connect argument. */
export function isConnectArg(v: unknown): v is { id: string; password?: string } {
  return isObj(v) && isId(v.id) && optional(v.password, isPassword);
}

/** The pool:trust argument. */
export function isTrustArg(v: unknown): v is { id: string; address: string; fingerprint: string; replace?: boolean } {
  return isObj(v) && isId(v.id) && isAddress(v.address) && isFingerprint(v.fingerprint) && optional(v.replace, isBool);
}

/** The pool:forget-certificate argument. */
export function isForgetArg(v: unknown): v is { id: string; address: string } {
  return isObj(v) && isId(v.id) && isAddress(v.address);
}

/** The vm:action argument. */
export function isVmActionArg(v: unknown): v is { poolId: string; vmUuid: string; action: VmAction } {
  return isObj(v) && isId(v.poolId) && isUuid(v.vmUuid) && isVmAction(v.action);
}

/** The vm:migrate argument. */
export function isVmMigrateArg(v: unknown): v is { poolId: string; vmUuid: string; hostUuid: string } {
  return isObj(v) && isId(v.poolId) && isUuid(v.vmUuid) && isUuid(v.hostUuid);
}

/** The pool:probe argument. */
export function isProbeArg(v: unknown): v is { address: string } {
  return isObj(v) && isAddress(v.address);
}

/** The console:open argument. */
export function isConsoleOpenArg(v: unknown): v is { poolId: string; vmUuid: string; protocol: ConsoleProtocol } {
  return isObj(v) && isId(v.poolId) && isUuid(v.vmUuid) && isConsoleProtocol(v.protocol);
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
export function isWallSettings(v: unknown): v is WallSettings {
  return isObj(v) && isIntIn(v.perHost, WALL_LIMITS.perHost) && isIntIn(v.refreshSeconds, WALL_LIMITS.refreshSeconds);
}

/** The ui:set argument. */
export function isUiState(v: unknown): v is UiState {
  return (
    isObj(v) &&
    Array.isArray(v.tabs) &&
    v.tabs.length <= MAX_TABS &&
    v.tabs.every(isTab) &&
    optional(v.activeTab, isNonNegInt) &&
    optional(v.treeWidth, isNonNegInt) &&
    optional(v.collapsed, (c) => Array.isArray(c) && c.length <= MAX_COLLAPSED && c.every((x) => isText(x, 300))) &&
    optional(v.theme, (t) => t === 'system' || t === 'light' || t === 'dark') &&
    optional(v.wall, isWallSettings)
  );
}

/** Arguments of channels that take none. */
export function isVoidArg(v: unknown): v is undefined {
  return v === undefined || v === null;
}
