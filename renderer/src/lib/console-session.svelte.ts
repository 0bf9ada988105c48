/**
 * One console tab's connection lifecycle, shared by the graphical view (noVNC, `ConsoleView.svelte`)
 * and the text view (xterm, `TerminalView.svelte`). The view supplies a `Connector` that opens its
 * transport for a ticket; this class does the rest:
 *
 * - asks `console:open` for a fresh one-time ticket on every attempt;
 * - drives the `console-machine` state (every change goes through `consoleTransition`);
 * - retries with backoff after a failure when the machine says so, and on the user's Reconnect;
 * - reacts to inventory changes (`onTarget`): reattaches after a reboot or migration (new console
 *   uuid) or when the VM runs again, and stops when it halts;
 * - parks a console whose tab stays hidden for `hiddenDisconnectMs` (`setVisible`): the connection is
 *   closed (the tab shows "waiting", `parked` is true) so a background tab costs nothing in the page or
 *   the backend, and a fresh connection starts the moment the tab is shown again;
 * - asks for a parked console's ticket while the pointer is on its tab (`prepare`), so showing the tab
 *   does not wait for that round trip (after a click, Chromium holds network replies back until its
 *   next frame: a ticket asked for on the click arrived ~10 ms later, one asked for on hover is there).
 *   Only the one-time token is issued, no tunnel is opened: an unused one expires in the bridge, and
 *   one older than `EARLY_TICKET_MAX_AGE_MS` or from before a change of the VM's console is not used.
 *
 * Every attempt gets a generation number; callbacks from an older generation are ignored, so an
 * abandoned socket can never move the tab. A socket that fails before it opens, with no reason from
 * the bridge, is checked against the Local Network Access permission, so a page the browser does not
 * count as local says so instead of showing a generic disconnect.
 *
 * `tabConsole()` binds a session to its tab in the app state, the part both views share: it reports
 * every state to the tab strip, feeds the session the VM's console target from the inventory, and
 * offers Start/Resume while the VM is halted or suspended.
 */
import { untrack } from 'svelte';
import type { ConsoleProtocol, ConsoleTicket } from '../../../shared/contract';
import type { ErrorCode } from '../../../shared/errors';
import type { VmNode } from '../../../shared/inventory';
import { getLogger } from '../../../shared/log';
import { api, errorCode, errorMessage } from './api';
import { app, vmKey } from './app-state.svelte';
import type { ConsoleEvent, ConsoleState, ConsoleTarget, RetryHint } from './console-machine';
import { INITIAL_CONSOLE_STATE, LOCAL_NETWORK_BLOCKED_MESSAGE, LOCAL_NETWORK_PERMISSIONS, consoleTarget, consoleTransition, localNetworkBlocked, planForTarget, targetKey } from './console-machine';
import type { Tab } from './tabs-model';
import { tabs } from './tabs.svelte';
import { operationText } from './vm-commands';

const log = getLogger('console');

/** Default time a console tab may stay hidden before it disconnects, ms (`?hidden-disconnect-ms=` overrides). */
export const HIDDEN_DISCONNECT_MS = 15_000;

/** Oldest a ticket asked for ahead (`prepare`) may be and still be used, ms (the bridge's tokens live 30 s). */
export const EARLY_TICKET_MAX_AGE_MS = 10_000;

/** The Local Network Access permission states, as far as this browser knows the names. */
async function localNetworkStates(): Promise<(string | undefined)[]> {
  // A browser that does not know a name (or the Permissions API) gives no answer for it.
  const one = async (name: string): Promise<string | undefined> => (await navigator.permissions.query({ name } as unknown as PermissionDescriptor)).state;
  return Promise.all(LOCAL_NETWORK_PERMISSIONS.map((name) => one(name).catch(() => undefined)));
}

/** Callbacks a transport calls as its connection progresses. */
export interface TransportHooks {
  /** The WebSocket to the bridge is open. */
  socketOpen(): void;
  /** The console protocol is up (RFB handshake done, or the terminal stream is flowing). */
  connected(): void;
  /** The connection ended or failed; `retry` overrides the retry policy (see `describeClose`). */
  failed(message: string, code: ErrorCode | undefined, retry?: RetryHint): void;
}

/** An open transport; `close()` must not call the hooks afterwards (they are ignored anyway). */
export interface Transport {
  close(): void;
}

/** Opens the view's transport for a ticket. */
export type Connector = (ticket: ConsoleTicket, hooks: TransportHooks) => Transport;

/** The connection lifecycle of one tab. */
export class ConsoleSession {
  state = $state<ConsoleState>(INITIAL_CONSOLE_STATE);
  /** The VM's name as the bridge reported it in the last ticket. */
  ticketVmName = $state<string | undefined>(undefined);
  /** True while the console is disconnected because its tab is hidden (it reconnects when shown). */
  parked = $state(false);
  private hidden = false;
  private hideTimer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0;
  private transport: Transport | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private attachedConsoleUuid: string | undefined;
  private lastTargetKey: string | undefined;
  /** A ticket asked for ahead of the next connect, and when. */
  private earlyTicket: { ticket: Promise<ConsoleTicket>; at: number } | undefined;
  private disposed = false;
  private readonly poolId: string;
  private readonly vmUuid: string;
  private readonly protocol: ConsoleProtocol;
  private readonly connector: Connector;
  private readonly onState: (state: ConsoleState) => void;

  constructor(poolId: string, vmUuid: string, protocol: ConsoleProtocol, connector: Connector, onState: (state: ConsoleState) => void) {
    this.poolId = poolId;
    this.vmUuid = vmUuid;
    this.protocol = protocol;
    this.connector = connector;
    this.onState = onState;
  }

  private send(event: ConsoleEvent): void {
    const next = consoleTransition(this.state, event);
    if (next === undefined) {
      log.debug('ignored console event', { event: event.type, state: this.state.kind });
      return;
    }
    this.state = next;
    this.onState(next);
    if (next.kind === 'disconnected' && next.retryInMs !== undefined) {
      const attempt = next.attempt;
      this.clearRetry();
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.connect(attempt);
      }, next.retryInMs);
    }
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Drops the current transport and any pending retry; bumps the generation. */
  private teardown(): void {
    this.generation++;
    this.clearRetry();
    const t = this.transport;
    this.transport = undefined;
    if (t !== undefined) {
      try {
        t.close();
      } catch (error) {
        log.warn('closing a console transport threw', { error });
      }
    }
  }

  /** Starts a fresh attempt (new ticket). `attempt` counts automatic retries in a row. */
  async connect(attempt = 0, expectedConsoleUuid?: string): Promise<void> {
    if (this.disposed) return;
    this.teardown();
    const generation = this.generation;
    this.attachedConsoleUuid = expectedConsoleUuid;
    this.send({ type: 'connect', attempt });
    let ticket: ConsoleTicket;
    try {
      const early = this.takeEarlyTicket();
      // A ticket asked for ahead that failed is asked for again: its error may be stale.
      ticket = await (early === undefined ? this.askTicket() : early.catch(() => this.askTicket()));
    } catch (error) {
      if (generation !== this.generation) return;
      this.send({ type: 'failed', message: errorMessage(error), code: errorCode(error) });
      return;
    }
    if (generation !== this.generation) return;
    this.attachedConsoleUuid = ticket.consoleUuid;
    this.ticketVmName = ticket.vmName;
    this.send({ type: 'ticket' });
    const live = (): boolean => generation === this.generation && !this.disposed;
    try {
      this.transport = this.connector(ticket, {
        socketOpen: () => {
          if (live()) this.send({ type: 'socket-open' });
        },
        connected: () => {
          if (live()) this.send({ type: 'connected' });
        },
        failed: (message, code, retry) => {
          if (!live()) return;
          // The transport is finished; forget it without closing it again.
          this.transport = undefined;
          const report = (): void => this.send(retry === undefined ? { type: 'failed', message, code } : { type: 'failed', message, code, retry });
          const neverOpened = this.state.kind === 'connecting' && this.state.step === 'socket';
          if (!neverOpened || code !== undefined) return report();
          void localNetworkStates().then((states) => {
            if (!live()) return;
            // Retrying cannot help until the page is allowed local network access.
            if (localNetworkBlocked(states)) this.send({ type: 'failed', message: LOCAL_NETWORK_BLOCKED_MESSAGE, code: undefined, retry: 'never' });
            else report();
          });
        },
      });
    } catch (error) {
      this.send({ type: 'failed', message: errorMessage(error), code: undefined });
    }
  }

  private askTicket(): Promise<ConsoleTicket> {
    return api().invoke('console:open', { poolId: this.poolId, vmUuid: this.vmUuid, protocol: this.protocol });
  }

  /** True when a ticket was asked for ahead recently enough to be used. */
  private hasFreshEarlyTicket(): boolean {
    return this.earlyTicket !== undefined && Date.now() - this.earlyTicket.at < EARLY_TICKET_MAX_AGE_MS;
  }

  /** The ticket asked for ahead, if it is recent enough; it is used once. */
  private takeEarlyTicket(): Promise<ConsoleTicket> | undefined {
    const early = this.hasFreshEarlyTicket() ? this.earlyTicket?.ticket : undefined;
    this.earlyTicket = undefined;
    return early;
  }

  /**
   * The tab is likely to be shown soon (the pointer is on it): a parked console asks for its ticket
   * now, so the connect on show does not wait for it. At most one ticket is held, renewed once it is
   * too old to be used.
   */
  prepare(): void {
    if (this.disposed || !this.parked) return;
    if (this.hasFreshEarlyTicket()) return;
    const ticket = this.askTicket();
    // A failure is dealt with when the ticket is used (it is asked for again then).
    ticket.catch(() => undefined);
    this.earlyTicket = { ticket, at: Date.now() };
  }

  /** The user's Reconnect: a fresh attempt with the retry count reset. */
  reconnect(): void {
    void this.connect(0, this.attachedConsoleUuid);
  }

  /**
   * The tab was shown or hidden. Hidden for `hiddenDisconnectMs` (negative: never), a live or retrying
   * console is parked; shown again, a parked console connects at once.
   */
  setVisible(visible: boolean, hiddenDisconnectMs = HIDDEN_DISCONNECT_MS): void {
    if (this.disposed || visible !== this.hidden) return;
    this.hidden = !visible;
    if (this.hideTimer !== undefined) clearTimeout(this.hideTimer);
    this.hideTimer = undefined;
    if (visible) {
      if (this.parked) {
        this.parked = false;
        void this.connect(0, this.attachedConsoleUuid);
      }
      return;
    }
    if (hiddenDisconnectMs < 0) return;
    this.hideTimer = setTimeout(() => {
      this.hideTimer = undefined;
      this.park();
    }, hiddenDisconnectMs);
  }

  private park(): void {
    const kind = this.state.kind;
    if (this.disposed || !this.hidden || !(kind === 'connected' || kind === 'connecting' || (kind === 'disconnected' && this.state.retryInMs !== undefined))) return;
    this.teardown();
    this.parked = true;
    this.send({ type: 'wait', detail: 'Disconnected while the tab was hidden; it reconnects when shown.' });
  }

  /** The inventory's view of the VM changed; act when it changed in a way that matters. */
  onTarget(target: ConsoleTarget): void {
    if (this.disposed) return;
    const key = targetKey(target);
    if (key === this.lastTargetKey) return;
    this.lastTargetKey = key;
    // A ticket asked for before the VM's console changed may name the old one.
    this.earlyTicket = undefined;
    const plan = planForTarget(this.state, this.attachedConsoleUuid, target);
    // A parked console stays parked until shown (it then asks for a fresh ticket anyway); it still
    // follows the VM halting or going away.
    if (this.parked && (plan.kind === 'connect' || plan.kind === 'keep' || plan.kind === 'wait')) return;
    this.parked = false;
    switch (plan.kind) {
      case 'keep':
        return;
      case 'connect':
        void this.connect(0, target.kind === 'ready' ? target.consoleUuid : undefined);
        return;
      case 'wait':
        this.teardown();
        this.send({ type: 'wait', detail: plan.detail });
        return;
      case 'not-running':
        this.teardown();
        this.send({ type: 'not-running', powerState: plan.powerState });
        return;
      case 'unavailable':
        this.teardown();
        this.send({ type: 'unavailable', message: plan.message });
        return;
      case 'gone':
        this.teardown();
        this.send({ type: 'wait', detail: 'This VM no longer exists in the pool.' });
        return;
    }
  }

  /** Stops everything (the tab closed). */
  dispose(): void {
    this.teardown();
    this.earlyTicket = undefined;
    if (this.hideTimer !== undefined) clearTimeout(this.hideTimer);
    this.hideTimer = undefined;
    this.disposed = true;
  }
}

/** A console view's tab bound to the app state (see `tabConsole`). */
export interface TabConsole {
  readonly session: ConsoleSession;
  /** The VM as the inventory shows it now. */
  readonly vm: VmNode | undefined;
  /** What the overlay's start button does: resume a suspended VM, else start it. */
  readonly startAction: 'start' | 'resume';
  /** Starts or resumes the VM while it is halted or suspended; undefined otherwise (no button). */
  readonly onstart: (() => void) | undefined;
  /** The operation running on the VM ("Starting… 40 %"), if any. */
  readonly operation: string | undefined;
}

/**
 * Creates the session of a console tab and keeps it following the VM's console target; every state
 * change is reported to the tab strip. Call during component init: the effect declared here runs
 * after the effects (and `onMount`) declared before the call. The view disposes the session.
 */
export function tabConsole(getTab: () => Tab, protocol: ConsoleProtocol, connector: Connector): TabConsole {
  // A tab's identity never changes for the life of its view (the strip is keyed by tab key).
  const initialTab = untrack(getTab);
  const session = new ConsoleSession(initialTab.poolId, initialTab.vmUuid, protocol, connector, (state) => tabs.report(initialTab.key, state.kind));
  const key = $derived(vmKey(getTab().poolId, getTab().vmUuid));
  const vm = $derived(app.vms.get(key));
  const target = $derived(consoleTarget(app.pool(getTab().poolId), vm, app.controlDomains.has(key), protocol, app.inventoryLoaded));
  $effect(() => {
    const t = target;
    untrack(() => session.onTarget(t));
  });
  const startAction: 'start' | 'resume' = $derived(vm?.powerState === 'Suspended' ? 'resume' : 'start');
  const start = (): void => void app.vmAction(getTab().poolId, getTab().vmUuid, startAction);
  return {
    session,
    get vm() {
      return vm;
    },
    get startAction() {
      return startAction;
    },
    get onstart() {
      return vm !== undefined && (vm.powerState === 'Halted' || vm.powerState === 'Suspended') && vm.allowedActions.includes(startAction) ? start : undefined;
    },
    get operation() {
      return vm === undefined ? undefined : operationText(vm);
    },
  };
}
