/**
 * The one IPC contract between the page (renderer) and the backend (Electron main, or the web harness
 * under Node). Written once here; the main-process handlers, the preload and the web harness are all
 * typed from these maps, and nothing else declares the API a second time.
 *
 * - `Requests`: channel → [argument, result]. Channels without an argument or result use `undefined`. Every reply travels as a `Result` envelope: either
 *   `{ ok: true, value }` or `{ ok: false, error: { code, message } }` with a stable `ErrorCode`.
 * - `Events`: push channel → payload, from the backend to the page.
 *
 * Passwords go *to* the backend (pool:add, pool:edit, pool:connect) and never come back; session ids
 * never cross at all.
 */
import type { InventoryDiff, InventorySnapshot, VmAction } from './inventory';
import type { ErrorCode } from './errors';

/** Certificate facts shown in the trust dialog. Fingerprint is XAPI's format (upper-case hex, colons). */
export interface CertificateInfo {
  fingerprint: string;
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
}

/**
 * What a pin records of the certificate it trusts besides the fingerprint (subject, issuer, validity),
 * so a changed-certificate dialog can show old beside new. Pins saved before facts were kept have none.
 */
export type PinnedFacts = Partial<Omit<CertificateInfo, 'fingerprint'>>;

/** A host whose certificate is pinned for a pool. */
export interface PinnedHost extends PinnedFacts {
  address: string;
  fingerprint: string;
  /** `user` when the user accepted it, `pool` when read with host.get_server_certificate. */
  source: 'user' | 'pool';
}

/** Where a pool's password lives: OS keychain (safeStorage), memory only, or not known. */
export type PasswordStorage = 'saved' | 'memory' | 'none';

/** The pool session state machine, as the page sees it. */
export type PoolState =
  | { kind: 'disconnected' }
  | { kind: 'connecting'; address: string }
  | {
      kind: 'awaiting-trust';
      address: string;
      certificate: CertificateInfo;
      /** `unknown`: first contact. `changed`: a pinned host now shows another certificate (hard stop). */
      reason: 'unknown' | 'changed';
      previousFingerprint?: string;
      /** What the pin recorded of the certificate trusted before (`changed` only; empty for old pins). */
      previousCertificate?: PinnedFacts;
    }
  | { kind: 'needs-password'; message: string }
  | { kind: 'connected'; master: string }
  | { kind: 'reconnecting'; reason: string; attempt: number; retryInMs: number }
  | { kind: 'failed'; code: ErrorCode; message: string };

/** One configured pool. */
export interface PoolSummary {
  id: string;
  name: string;
  address: string;
  username: string;
  password: PasswordStorage;
  /** Why a password is kept in memory only (e.g. Linux basic_text: no keyring), to show next to the pool. */
  passwordNote?: string;
  state: PoolState;
  demo: boolean;
}

/** Fields of the add/edit dialog. */
export interface PoolInput {
  name: string;
  address: string;
  username: string;
  password?: string;
  /** Store the password with safeStorage (only when a real OS keychain is available, or opted in). */
  remember: boolean;
  /** Explicit opt-in to store under Linux `basic_text` after the plain warning. */
  allowPlainTextStorage?: boolean;
  /**
   * pool:add only: the certificate fingerprint the user accepted in the dialog (from `pool:probe`). The
   * pool is then pinned, connected and loaded before pool:add answers; when that fails it is not kept.
   */
  fingerprint?: string;
}

/** A power operation or migration Porthole started, as the task list shows it. */
export interface TaskInfo {
  /** Local id (`${poolId}:task-${n}`). */
  id: string;
  poolId: string;
  vmUuid: string;
  vmName: string;
  action: VmAction | 'migrate';
  /** In words: "Starting web-01", "Migrating web-01 to host-2". */
  label: string;
  status: 'pending' | 'cancelling' | 'success' | 'failure' | 'cancelled';
  /** 0..1 from `task.progress`. */
  progress: number;
  /** True while the task's `allowed_operations` has `cancel`. */
  cancellable: boolean;
  /** On failure: XAPI's error code and what it means, in words. */
  error?: { code: string; message: string };
  startedAt: string;
  finishedAt?: string;
}

/** The colour theme: follow the OS, or a fixed one. */
export type ThemeChoice = 'system' | 'light' | 'dark';

/** How safe password storage is on this machine. */
export type SecretBackend = 'os' | 'basic_text' | 'unavailable';

/** Console protocols the bridge can carry (xapi cannot tunnel RDP). */
export type ConsoleProtocol = 'rfb' | 'vt100';

/** What the page gets back from console:open: a one-time WebSocket URL on the loopback bridge. */
export interface ConsoleTicket {
  url: string;
  protocol: ConsoleProtocol;
  consoleUuid: string;
  vmUuid: string;
  vmName: string;
}

/** A persisted tab (restored at the next start). */
export interface TabState {
  poolId: string;
  vmUuid: string;
  protocol: ConsoleProtocol;
}

/** Settings of the console wall ("Overview"), kept with the UI state. */
export interface WallSettings {
  /** Most thumbnail connections open to one host at a time (WALL_LIMITS.perHost). */
  perHost: number;
  /** Seconds between two pictures of one VM (WALL_LIMITS.refreshSeconds). */
  refreshSeconds: number;
}

/** Bounds and defaults of the wall settings. */
export const WALL_LIMITS = {
  perHost: { min: 1, max: 16, default: 4 },
  refreshSeconds: { min: 1, max: 300, default: 5 },
} as const;

/** UI state kept in the config file. */
export interface UiState {
  tabs: TabState[];
  activeTab?: number;
  treeWidth?: number;
  /** Tree rows the user collapsed (pool ids and host node ids). */
  collapsed?: string[];
  theme?: ThemeChoice;
  wall?: WallSettings;
}

/** Request channels: [argument, result]. */
export interface Requests {
  'app:info': [undefined, { version: string; platform: string; secretBackend: SecretBackend; harness: boolean }];
  'pool:list': [undefined, PoolSummary[]];
  'pool:add': [PoolInput, { id: string }];
  'pool:edit': [{ id: string } & Partial<PoolInput>, undefined];
  'pool:remove': [{ id: string }, undefined];
  'pool:connect': [{ id: string; password?: string }, undefined];
  'pool:disconnect': [{ id: string }, undefined];
  /**
   * The user accepted `fingerprint` for `address` (only valid for the certificate currently awaiting
   * trust). For a changed certificate `replace: true` is required: the deliberate "Trust new certificate".
   */
  'pool:trust': [{ id: string; address: string; fingerprint: string; replace?: boolean }, undefined];
  'pool:certificates': [{ id: string }, PinnedHost[]];
  /** Removes a pinned certificate: the explicit step before a changed certificate can be trusted (no "continue anyway"). */
  'pool:forget-certificate': [{ id: string; address: string }, undefined];
  'inventory:snapshot': [undefined, InventorySnapshot];
  /** Checks an address before a pool is added: reachable, speaks TLS; answers the certificate it presented. */
  'pool:probe': [{ address: string }, CertificateInfo & { host: string }];
  'vm:action': [{ poolId: string; vmUuid: string; action: VmAction }, undefined];
  /** Live-migrates a VM to another host of its pool (`VM.pool_migrate`). */
  'vm:migrate': [{ poolId: string; vmUuid: string; hostUuid: string }, undefined];
  /** Recent operations across pools, newest first. */
  'task:list': [undefined, TaskInfo[]];
  /** Asks XAPI to cancel a running operation (only while it is cancellable). */
  'task:cancel': [{ id: string }, undefined];
  'console:open': [{ poolId: string; vmUuid: string; protocol: ConsoleProtocol }, ConsoleTicket];
  /** A one-time WebSocket URL on the bridge for a console wall with these settings (shared/wall-protocol.ts). */
  'overview:open': [WallSettings, { url: string }];
  'ui:get': [undefined, UiState];
  'ui:set': [UiState, undefined];
  'demo:start': [undefined, { id: string }];
  /** Electron only (answered by the shell): a console has (or lost) keyboard focus; see KEYBOARD_RELEASE_LABEL. */
  'console:capture': [{ active: boolean }, undefined];
  /** Electron only (answered by the shell): move this console to its own window (closing it brings the tab back). */
  'console:popout': [{ poolId: string; vmUuid: string }, undefined];
  /** Electron only (answered by the shell): saves a console screenshot through a save dialog; false when the user cancelled. */
  'console:save-screenshot': [{ name: string; pngBase64: string }, { saved: boolean }];
}

/** Push events: channel → payload. */
export interface Events {
  'pool:state': { id: string; state: PoolState };
  'pool:list': PoolSummary[];
  'inventory:diff': InventoryDiff;
  /** The recent operations changed (the whole list, newest first; it is short). */
  'task:list': TaskInfo[];
  /** A menu item (or the keyboard release combination) was used; the page acts on it. */
  'menu:action': { action: MenuAction };
  /** A pop-out console window closed: the main window should show this console as a tab again. */
  'console:popin': { poolId: string; vmUuid: string };
}

/** Menu actions the page carries out (fullscreen and "Show logs" are done by the shell itself). */
export const MENU_ACTIONS = [
  'pool:add',
  'tab:close',
  'tab:next',
  'tab:previous',
  'tab:popout',
  'console:ctrl-alt-del',
  'console:release-keyboard',
  'app:about',
] as const;

/** One menu action id. */
export type MenuAction = (typeof MENU_ACTIONS)[number];

/** The keys that give the keyboard back while a console holds it (held together), as the toolbar shows them. */
export const KEYBOARD_RELEASE_LABEL = { default: 'Ctrl+Alt+Shift', darwin: 'Control+Option+Shift' } as const;

export type RequestChannel = keyof Requests;
export type EventChannel = keyof Events;
export type RequestArg<C extends RequestChannel> = Requests[C][0];
export type RequestResult<C extends RequestChannel> = Requests[C][1];

/** The error half of an envelope. */
export interface WireError {
  code: ErrorCode;
  message: string;
}

/** Every reply is one of these. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: WireError };

/** The object the preload (and the harness client) exposes to the page as `window.porthole`. */
export interface PortholeApi {
  invoke<C extends RequestChannel>(channel: C, arg: RequestArg<C>): Promise<RequestResult<C>>;
  on<E extends EventChannel>(channel: E, listener: (payload: Events[E]) => void): () => void;
}

/** All request channel names, for runtime checks (kept in step with `Requests` by the type below). */
export const REQUEST_CHANNELS = [
  'app:info',
  'pool:list',
  'pool:add',
  'pool:edit',
  'pool:remove',
  'pool:connect',
  'pool:disconnect',
  'pool:trust',
  'pool:certificates',
  'pool:forget-certificate',
  'inventory:snapshot',
  'pool:probe',
  'vm:action',
  'vm:migrate',
  'task:list',
  'task:cancel',
  'console:open',
  'overview:open',
  'ui:get',
  'ui:set',
  'demo:start',
  'console:capture',
  'console:popout',
  'console:save-screenshot',
] as const satisfies readonly RequestChannel[];

/** All event channel names. */
export const EVENT_CHANNELS = ['pool:state', 'pool:list', 'inventory:diff', 'task:list', 'menu:action', 'console:popin'] as const satisfies readonly EventChannel[];

/** Compile-time check that REQUEST_CHANNELS lists every channel of `Requests` (errors if one is missing). */
export const ALL_CHANNELS_LISTED: Exclude<RequestChannel, (typeof REQUEST_CHANNELS)[number]> extends never ? true : never = true;

/** True when `value` names a request channel. */
export function isRequestChannel(value: unknown): value is RequestChannel {
  return typeof value === 'string' && (REQUEST_CHANNELS as readonly string[]).includes(value);
}
