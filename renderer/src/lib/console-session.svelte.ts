/**
 * One console tab's connection lifecycle, shared by the graphical view (noVNC, `ConsoleView.svelte`)
 * and the text view (xterm, `TerminalView.svelte`). The view supplies a `Connector` that opens its
 * transport for a ticket; this class does the rest:
 *
 * - asks `console:open` for a fresh one-time ticket on every attempt;
 * - drives the `console-machine` state (every change goes through `consoleTransition`);
 * - retries with backoff after a failure when the machine says so, and on the user's Reconnect;
 * - reacts to inventory changes (`onTarget`): reattaches after a reboot or migration (new console
 *   uuid) or when the VM runs again, and stops when it halts.
 *
 * Every attempt gets a generation number; callbacks from an older generation are ignored, so an
 * abandoned socket can never move the tab.
 */
import type { ConsoleProtocol, ConsoleTicket } from '../../../shared/contract';
import type { ErrorCode } from '../../../shared/errors';
import { getLogger } from '../../../shared/log';
import { api, errorCode, errorMessage } from './api';
import type { ConsoleEvent, ConsoleState, ConsoleTarget, RetryHint } from './console-machine';
import { INITIAL_CONSOLE_STATE, consoleTransition, planForTarget, targetKey } from './console-machine';

const log = getLogger('console');

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
  private generation = 0;
  private transport: Transport | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private attachedConsoleUuid: string | undefined;
  private lastTargetKey: string | undefined;
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
      ticket = await api().invoke('console:open', { poolId: this.poolId, vmUuid: this.vmUuid, protocol: this.protocol });
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
          this.send(retry === undefined ? { type: 'failed', message, code } : { type: 'failed', message, code, retry });
        },
      });
    } catch (error) {
      this.send({ type: 'failed', message: errorMessage(error), code: undefined });
    }
  }

  /** The user's Reconnect: a fresh attempt with the retry count reset. */
  reconnect(): void {
    void this.connect(0, this.attachedConsoleUuid);
  }

  /** The inventory's view of the VM changed; act when it changed in a way that matters. */
  onTarget(target: ConsoleTarget): void {
    if (this.disposed) return;
    const key = targetKey(target);
    if (key === this.lastTargetKey) return;
    this.lastTargetKey = key;
    const plan = planForTarget(this.state, this.attachedConsoleUuid, target);
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
      case 'gone':
        this.teardown();
        this.send({ type: 'wait', detail: 'This VM no longer exists in the pool.' });
        return;
    }
  }

  /** Stops everything (the tab closed). */
  dispose(): void {
    this.teardown();
    this.disposed = true;
  }
}
