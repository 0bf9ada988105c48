/**
 * The state machine of one console tab, and the pure decisions around it.
 *
 * States: `waiting` (for the pool or the VM's console to exist), `connecting` (steps: ticket from
 * `console:open`, WebSocket to the bridge, RFB/terminal handshake), `connected`, `not-running` (the VM
 * is halted or suspended: the tab offers Start), and `disconnected` (with the bridge's reason, and an
 * automatic retry with backoff when retrying can help). `consoleTransition` owns every transition and
 * returns undefined for an illegal one, so a late callback from an abandoned attempt cannot move the
 * tab.
 *
 * `consoleTarget` reads what the inventory says about the VM (running? which console uuid?), and
 * `planForTarget` decides what the tab does when that changes: this is how a tab reattaches by itself
 * after a reboot or migration (the console row is recreated with a new uuid) or when the VM starts.
 */
import type { ConsoleProtocol, PoolSummary } from '../../../shared/contract';
import type { ErrorCode } from '../../../shared/errors';
import { decodeConsoleClose } from '../../../shared/console-close';
import type { PowerState, VmNode } from '../../../shared/inventory';
import { backoffDelayMs } from './backoff';

/** Steps of a connection attempt, shown as progress text. */
export type ConnectStep = 'ticket' | 'socket' | 'handshake';

/** The state of one console tab. */
export type ConsoleState =
  | { kind: 'waiting'; detail: string }
  | { kind: 'connecting'; step: ConnectStep; attempt: number }
  | { kind: 'connected'; attempt: number }
  | { kind: 'not-running'; powerState: PowerState | 'unknown' }
  /** Running, but the inventory lists no console of this kind: said plainly (no spinner); attaches when one appears. */
  | { kind: 'unavailable'; message: string }
  | { kind: 'disconnected'; message: string; code: ErrorCode | undefined; attempt: number; retryInMs: number | undefined };

/** Inputs to the machine. */
export type ConsoleEvent =
  | { type: 'wait'; detail: string }
  | { type: 'connect'; attempt: number }
  | { type: 'ticket' }
  | { type: 'socket-open' }
  | { type: 'connected' }
  | { type: 'failed'; message: string; code: ErrorCode | undefined; retry?: RetryHint }
  | { type: 'not-running'; powerState: PowerState | 'unknown' }
  | { type: 'unavailable'; message: string };

/** How a failure may be retried: at once (console replaced), never (only the user's Reconnect), or by policy. */
export type RetryHint = 'now' | 'never' | 'policy';

/** The most automatic retries in a row before the tab waits for the user's Reconnect. */
export const MAX_AUTO_RETRIES = 6;
/** First automatic retry delay, in ms. */
export const CONSOLE_RETRY_BASE_MS = 1_000;
/** Longest automatic retry delay, in ms. */
export const CONSOLE_RETRY_MAX_MS = 30_000;

/** Error codes after which retrying by itself cannot help. */
const NO_AUTO_RETRY: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'CONSOLE_FORBIDDEN',
  'CONSOLE_IN_USE',
  'NO_CONSOLE',
  'UNKNOWN_VM',
  'UNKNOWN_POOL',
  'INVALID_ARGUMENT',
  'CERT_CHANGED',
  'CERT_UNTRUSTED',
  'WRONG_PASSWORD',
  'NEEDS_PASSWORD',
]);

/**
 * Chromium's names for the Local Network Access permission. A page Chromium does not count as local
 * (an `app://` page, a page served as public) is refused before its WebSocket to the loopback bridge
 * opens (`net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS`); the socket only reports a bare 1006, but
 * afterwards `navigator.permissions.query` answers `denied` for these names.
 */
export const LOCAL_NETWORK_PERMISSIONS = ['local-network-access', 'loopback-network', 'local-network'] as const;

/** What a tab says when the Local Network Access check blocked its socket. */
export const LOCAL_NETWORK_BLOCKED_MESSAGE =
  "The browser's Local Network Access check blocked this page from connecting to Porthole's console bridge on 127.0.0.1, so the console cannot open. The page is not treated as local; it needs the local-network permission.";

/** True when a socket that failed before it opened was blocked by Local Network Access (permission states). */
export function localNetworkBlocked(states: readonly (string | undefined)[]): boolean {
  return states.includes('denied');
}

/** The initial state of a new tab. */
export const INITIAL_CONSOLE_STATE: ConsoleState = { kind: 'waiting', detail: 'Waiting for the pool…' };

/** Applies `event`; undefined when the transition is not legal from `state`. */
export function consoleTransition(state: ConsoleState, event: ConsoleEvent): ConsoleState | undefined {
  switch (event.type) {
    case 'wait':
      return { kind: 'waiting', detail: event.detail };
    case 'not-running':
      return { kind: 'not-running', powerState: event.powerState };
    case 'unavailable':
      return { kind: 'unavailable', message: event.message };
    case 'connect':
      return { kind: 'connecting', step: 'ticket', attempt: event.attempt };
    case 'ticket':
      return state.kind === 'connecting' && state.step === 'ticket' ? { ...state, step: 'socket' } : undefined;
    case 'socket-open':
      return state.kind === 'connecting' && state.step === 'socket' ? { ...state, step: 'handshake' } : undefined;
    case 'connected':
      return state.kind === 'connecting' && state.step !== 'ticket' ? { kind: 'connected', attempt: state.attempt } : undefined;
    case 'failed': {
      if (state.kind !== 'connecting' && state.kind !== 'connected') return undefined;
      // A drop after a working session starts the retry count over.
      const attempt = state.kind === 'connected' ? 0 : state.attempt;
      const hint = event.retry ?? 'policy';
      const retry = hint === 'now' || (hint === 'policy' && (event.code === undefined || !NO_AUTO_RETRY.has(event.code)));
      const delay = hint === 'now' ? 0 : backoffDelayMs(attempt, CONSOLE_RETRY_BASE_MS, CONSOLE_RETRY_MAX_MS);
      const retryInMs = retry && attempt < MAX_AUTO_RETRIES ? delay : undefined;
      return { kind: 'disconnected', message: event.message, code: event.code, attempt: attempt + 1, retryInMs };
    }
  }
}

/** The value of the panel's `data-state` attribute (what the tests read). */
export function dataState(state: ConsoleState): 'connecting' | 'connected' | 'disconnected' | 'not-running' | 'no-console' {
  switch (state.kind) {
    case 'waiting':
    case 'connecting':
      return 'connecting';
    case 'unavailable':
      return 'no-console';
    default:
      return state.kind;
  }
}

/** Progress text for the connecting states. */
export function progressText(state: ConsoleState): string {
  if (state.kind === 'waiting') return state.detail;
  if (state.kind !== 'connecting') return '';
  const suffix = state.attempt > 0 ? ` (attempt ${state.attempt + 1})` : '';
  switch (state.step) {
    case 'ticket':
      return `Asking the pool for a console ticket…${suffix}`;
    case 'socket':
      return `Opening the console tunnel…${suffix}`;
    case 'handshake':
      return `Waiting for the VM's screen…${suffix}`;
  }
}

/** What the inventory says about a tab's VM. */
export type ConsoleTarget =
  | { kind: 'pool-offline'; detail: string }
  | { kind: 'gone' }
  | { kind: 'not-running'; powerState: PowerState }
  | { kind: 'no-console' }
  | { kind: 'ready'; consoleUuid: string | undefined };

function poolDetail(pool: PoolSummary | undefined): string {
  if (pool === undefined) return 'This pool is no longer configured.';
  const s = pool.state;
  switch (s.kind) {
    case 'connecting':
      return `Connecting to ${pool.name}…`;
    case 'reconnecting':
      return `${pool.name} is reconnecting: ${s.reason}`;
    case 'failed':
      return `${pool.name} failed: ${s.message}`;
    case 'awaiting-trust':
      return `${pool.name} is waiting for you to trust its certificate.`;
    case 'needs-password':
      return `${pool.name} needs a password.`;
    case 'disconnected':
      return `${pool.name} is disconnected.`;
    case 'connected':
      return `Loading ${pool.name}…`;
  }
}

/**
 * Reads the tab's target from the pool summary and the VM node. `controlDomain` is true when the uuid
 * is a host's dom0 (always running; the inventory may not list it as a VM).
 */
export function consoleTarget(
  pool: PoolSummary | undefined,
  vm: VmNode | undefined,
  controlDomain: boolean,
  protocol: ConsoleProtocol,
  inventoryLoaded: boolean,
): ConsoleTarget {
  if (pool === undefined || pool.state.kind !== 'connected') return { kind: 'pool-offline', detail: poolDetail(pool) };
  if (vm === undefined) {
    if (controlDomain) return { kind: 'ready', consoleUuid: undefined };
    return inventoryLoaded ? { kind: 'gone' } : { kind: 'pool-offline', detail: poolDetail(pool) };
  }
  if (vm.powerState !== 'Running' && vm.powerState !== 'Paused') return { kind: 'not-running', powerState: vm.powerState };
  const console = vm.consoles.find((c) => c.protocol === protocol);
  if (console === undefined) return controlDomain ? { kind: 'ready', consoleUuid: undefined } : { kind: 'no-console' };
  return { kind: 'ready', consoleUuid: console.uuid };
}

/** A string that changes exactly when the target changes in a way the tab reacts to. */
export function targetKey(target: ConsoleTarget): string {
  switch (target.kind) {
    case 'pool-offline':
      return `offline:${target.detail}`;
    case 'not-running':
      return `not-running:${target.powerState}`;
    case 'ready':
      return `ready:${target.consoleUuid ?? ''}`;
    default:
      return target.kind;
  }
}

/** What a tab does when its target changes. */
export type TargetPlan =
  | { kind: 'connect' }
  | { kind: 'keep' }
  | { kind: 'wait'; detail: string }
  | { kind: 'not-running'; powerState: PowerState }
  | { kind: 'unavailable'; message: string }
  | { kind: 'gone' };

/**
 * Decides the reaction to a new target. `attachedConsoleUuid` is the console the live session was
 * opened for (from the ticket). A working session survives a pool reconnect and a moment without a
 * console row; a new console uuid (reboot, migration) or a VM that is running again means reattach.
 */
export function planForTarget(state: ConsoleState, attachedConsoleUuid: string | undefined, target: ConsoleTarget): TargetPlan {
  switch (target.kind) {
    case 'pool-offline':
      // A working session may outlive its pool's API session; an attempt in progress cannot succeed.
      return state.kind === 'connected' ? { kind: 'keep' } : { kind: 'wait', detail: target.detail };
    case 'gone':
      return { kind: 'gone' };
    case 'not-running':
      return { kind: 'not-running', powerState: target.powerState };
    case 'no-console':
      // A running VM without a console row of this kind (no VNC, text-only guest…): say so instead
      // of spinning; the tab attaches by itself when a console row appears.
      return state.kind === 'connected'
        ? { kind: 'keep' }
        : { kind: 'unavailable', message: 'The VM is running but reports no console of this kind. The tab attaches by itself when one appears.' };
    case 'ready':
      if (state.kind === 'connected' && (target.consoleUuid === undefined || target.consoleUuid === attachedConsoleUuid)) return { kind: 'keep' };
      if (state.kind === 'connecting' && target.consoleUuid === attachedConsoleUuid) return { kind: 'keep' };
      return { kind: 'connect' };
  }
}

/**
 * Why a console socket closed, in words, and whether to retry by itself. Bridge closes (code ≥ 4000,
 * JSON reason; see `shared/console-close.ts`) are decoded there: a replaced console (`moved`) retries
 * at once with a new ticket; an idle timeout does not retry (that would defeat the pool's policy).
 */
export function describeClose(code: number, reason: string): { message: string; code: ErrorCode | undefined; retry: RetryHint } {
  if (code >= 4000) {
    const close = decodeConsoleClose(code, reason);
    const retry: RetryHint = close.kind === 'moved' ? 'now' : close.kind === 'idle-timeout' ? 'never' : 'policy';
    const message = close.kind === 'idle-timeout' && !/idle/i.test(close.message) ? `${close.message} (closed after a time without input)` : close.message;
    return { message, code: close.code, retry };
  }
  if (code === 1000) return { message: reason !== '' ? reason : 'The console closed the connection.', code: undefined, retry: 'policy' };
  if (code === 1006) return { message: 'The connection to the console was lost.', code: undefined, retry: 'policy' };
  return { message: reason !== '' ? reason : `The console connection closed (code ${code}).`, code: undefined, retry: 'policy' };
}
