/**
 * The page's shared state: pools, the inventory, app facts and the backend connection status, wired to
 * the backend through `api()`.
 *
 * `start()` subscribes to push events first and then fetches `app:info`, `pool:list` and
 * `inventory:snapshot`, so nothing is missed between the two. Inventory diffs go through
 * `InventoryStore` (gap → re-fetch the snapshot), which also keeps the tree's grouping and lookups
 * (`TreeIndex`) in step change by change. Neither is deeply reactive (10,000 proxied VMs would be
 * slow); a `revision` counter is bumped on each change and the views (grouped tree, VM index) read it.
 */
import type { EventChannel, Events, PoolState, PoolSummary, RequestArg, RequestChannel, RequestResult, TaskInfo } from '../../../shared/contract';
import type { HostNode, PoolNode, VmAction, VmNode } from '../../../shared/inventory';
import { getLogger } from '../../../shared/log';
import { api, errorMessage, harnessClient } from './api';
import type { HarnessStatus } from './harness-client';
import { InventoryStore } from './inventory-store';
import type { Tab } from './tabs-model';
import { tabs } from './tabs.svelte';
import { toasts } from './toasts.svelte';

const log = getLogger('app-state');

/** Back-to-back snapshot re-fetches allowed before giving up until the next event. */
const MAX_RESYNC_IN_A_ROW = 3;

/** Facts from `app:info`. */
export type AppInfo = RequestResult<'app:info'>;

/** `${poolId}/${vmUuid}`: how tabs find their VM. */
export function vmKey(poolId: string, vmUuid: string): string {
  return `${poolId}/${vmUuid}`;
}

class AppState {
  /** Set when the page cannot reach any backend at all. */
  fatal = $state<string | undefined>(undefined);
  info = $state<AppInfo | undefined>(undefined);
  pools = $state.raw<PoolSummary[]>([]);
  /** True once the first `pool:list` answer arrived (the welcome screen waits for it). */
  poolsLoaded = $state(false);
  /** True once the first inventory snapshot arrived. */
  inventoryLoaded = $state(false);
  /** Harness socket status (undefined under Electron). */
  backend = $state<HarnessStatus | undefined>(undefined);
  /** Bumped on every inventory change. */
  revision = $state(0);
  /** Recent operations across pools, newest first (`task:list`). */
  tasks = $state.raw<TaskInfo[]>([]);
  /** The selected tree row (a pool id or a host/VM node id): what the toolbar and properties act on. */
  selection = $state<string | undefined>(undefined);
  /** Bumped with the node id to show when something asks the tree to reveal a row ("Reveal in tree"). */
  reveal = $state<{ id: string; serial: number } | undefined>(undefined);

  readonly store = new InventoryStore();
  /** Last known display name per `vmKey`, so a tab keeps its name while its pool is offline. */
  private readonly knownNames = new Map<string, string>();
  private resyncing = false;
  /** An idle callback computing search keys is pending. */
  private warming = false;
  private resyncRuns = 0;

  // The views below are kept up to date change by change by the store's `TreeIndex`. Each getter
  // reads `revision`, so a derived value or effect that uses one re-runs on every inventory change;
  // the maps are the index's own (read them, never change them).

  /** Pools with their sorted hosts and VMs (a fresh list of pools; the children lists are the index's). */
  readonly groups = $derived.by(() => {
    const _revision = this.revision;
    return this.store.index.groups(this.pools);
  });

  /** VM nodes by `vmKey(poolId, uuid)`. */
  get vms(): ReadonlyMap<string, VmNode> {
    const _revision = this.revision;
    return this.store.index.vms;
  }

  /** Hosts by `vmKey(poolId, controlDomainUuid)`: which uuids are dom0s. */
  get controlDomains(): ReadonlyMap<string, HostNode> {
    const _revision = this.revision;
    return this.store.index.controlDomains;
  }

  /** Host nodes of every pool. */
  get hosts(): readonly HostNode[] {
    const _revision = this.revision;
    return this.store.index.hosts;
  }

  /** How many VMs a pool has. */
  vmCount(poolId: string): number {
    const _revision = this.revision;
    return this.store.index.vmCount(poolId);
  }

  /** Pool nodes (`name_label` etc.) by pool id. */
  get poolNodes(): ReadonlyMap<string, PoolNode> {
    const _revision = this.revision;
    return this.store.index.poolNodes;
  }

  /** Calls the backend; errors propagate (callers decide whether to toast). */
  invoke<C extends RequestChannel>(channel: C, arg: RequestArg<C>): Promise<RequestResult<C>> {
    return api().invoke(channel, arg);
  }

  /** Calls the backend and shows a toast on failure; resolves to undefined then. */
  async attempt<C extends RequestChannel>(what: string, channel: C, arg: RequestArg<C>): Promise<RequestResult<C> | undefined> {
    try {
      return await api().invoke(channel, arg);
    } catch (error) {
      toasts.error(what, error);
      return undefined;
    }
  }

  /** Connects to the backend and loads everything. */
  async start(): Promise<void> {
    try {
      api();
    } catch (error) {
      this.fatal = errorMessage(error);
      return;
    }
    const client = harnessClient();
    if (client !== undefined) {
      this.backend = client.status();
      client.onStatus((s) => (this.backend = s));
      client.onReopen(() => void this.reload());
    }
    this.listen('pool:list', (pools) => {
      this.pools = pools;
      this.poolsLoaded = true;
    });
    this.listen('pool:state', ({ id, state }) => this.setPoolState(id, state));
    this.listen('task:list', (tasks) => (this.tasks = tasks));
    this.listen('inventory:diff', (diff) => {
      const outcome = this.store.offerDiff(diff);
      if (outcome === 'applied') this.inventoryChanged();
      else if (outcome === 'gap') void this.resync();
    });
    await this.reload();
  }

  private listen<E extends EventChannel>(channel: E, listener: (payload: Events[E]) => void): void {
    api().on(channel, listener);
  }

  /** Fetches app facts, pools and the inventory again (at start and after the backend socket returns). */
  async reload(): Promise<void> {
    const info = this.invoke('app:info', undefined).then(
      (value) => (this.info = value),
      (error: unknown) => log.warn('app:info failed', { error }),
    );
    const pools = this.invoke('pool:list', undefined).then(
      (value) => {
        this.pools = value;
        this.poolsLoaded = true;
      },
      (error: unknown) => toasts.error('Could not list pools', error),
    );
    const tasks = this.invoke('task:list', undefined).then(
      (value) => (this.tasks = value),
      (error: unknown) => log.warn('task:list failed', { error }),
    );
    await Promise.all([info, pools, tasks, this.resync()]);
  }

  /** The inventory changed: views re-read it; search keys a big change left out are computed when the page is idle. */
  private inventoryChanged(): void {
    this.revision++;
    if (this.warming) return;
    this.warming = true;
    const warm = (deadline: IdleDeadline): void => {
      if (this.store.index.warmKeys(() => deadline.timeRemaining())) this.warming = false;
      else requestIdleCallback(warm);
    };
    requestIdleCallback(warm);
  }

  /** Re-fetches the inventory snapshot (diffs arriving meanwhile are buffered and replayed). */
  async resync(): Promise<void> {
    if (this.resyncing) return;
    this.resyncing = true;
    try {
      for (;;) {
        this.store.beginSync();
        const snapshot = await this.invoke('inventory:snapshot', undefined);
        const outcome = this.store.applySnapshot(snapshot);
        this.inventoryLoaded = true;
        this.inventoryChanged();
        if (outcome === 'applied') {
          this.resyncRuns = 0;
          break;
        }
        this.resyncRuns++;
        if (this.resyncRuns >= MAX_RESYNC_IN_A_ROW) {
          log.warn('inventory keeps skipping versions; waiting for the next diff');
          this.resyncRuns = 0;
          break;
        }
      }
    } catch (error) {
      toasts.error('Could not load the inventory', error);
    } finally {
      this.resyncing = false;
    }
  }

  private setPoolState(id: string, state: PoolState): void {
    const index = this.pools.findIndex((p) => p.id === id);
    if (index < 0) {
      // A pool we have not heard of: the list is stale.
      void this.invoke('pool:list', undefined).then(
        (pools) => (this.pools = pools),
        (error: unknown) => log.warn('pool:list failed', { error }),
      );
      return;
    }
    const next = [...this.pools];
    const current = next[index];
    if (current === undefined) return;
    next[index] = { ...current, state };
    this.pools = next;
  }

  /** The name a console tab shows: the VM's name, or for a dom0 its host's name; undefined if unknown. */
  consoleName(poolId: string, vmUuid: string): string | undefined {
    const key = vmKey(poolId, vmUuid);
    const name = this.vms.get(key)?.name ?? this.controlDomains.get(key)?.name;
    if (name !== undefined) this.knownNames.set(key, name);
    return name ?? this.knownNames.get(key);
  }

  /** Where a console lives, for tooltips: "host · pool". */
  consoleLocation(poolId: string, vmUuid: string): string {
    const key = vmKey(poolId, vmUuid);
    const vm = this.vms.get(key);
    const hostNode = vm?.hostId === undefined ? this.controlDomains.get(key) : this.store.nodes.get(vm.hostId);
    const pool = this.pool(poolId)?.name ?? poolId;
    return hostNode !== undefined ? `${hostNode.name} · ${pool}` : pool;
  }

  /** The pool summary by id. */
  pool(id: string): PoolSummary | undefined {
    return this.pools.find((p) => p.id === id);
  }

  /** Runs a VM power action, with a toast on failure. */
  async vmAction(poolId: string, vmUuid: string, action: VmAction): Promise<void> {
    await this.attempt(`Could not ${ACTION_LABELS[action].toLowerCase()}`, 'vm:action', { poolId, vmUuid, action });
  }

  /** Live-migrates a VM to another host, with a toast on failure. */
  async vmMigrate(poolId: string, vmUuid: string, hostUuid: string): Promise<void> {
    await this.attempt('Could not migrate the VM', 'vm:migrate', { poolId, vmUuid, hostUuid });
  }

  /** Asks XAPI to cancel an operation from the task list. */
  async cancelTask(id: string): Promise<void> {
    await this.attempt('Could not cancel the operation', 'task:cancel', { id });
  }

  /** Selects a row and asks the tree to scroll it into view and focus it. */
  revealInTree(id: string): void {
    this.selection = id;
    this.reveal = { id, serial: (this.reveal?.serial ?? 0) + 1 };
  }

  /** The node id of a VM (or, for a dom0, of its host) by pool and uuid, if the inventory has it. */
  nodeIdOf(poolId: string, vmUuid: string): string | undefined {
    const key = vmKey(poolId, vmUuid);
    return this.vms.get(key)?.id ?? this.controlDomains.get(key)?.id;
  }

  /** Starts the demo pool. */
  async startDemo(): Promise<void> {
    const result = await this.attempt('Could not start the demo pool', 'demo:start', undefined);
    if (result !== undefined) await this.refreshPools();
  }

  /** Moves a console tab to its own window (Electron only); the tab closes here until `console:popin`. */
  async popOut(tab: Tab): Promise<void> {
    try {
      await this.invoke('console:popout', { poolId: tab.poolId, vmUuid: tab.vmUuid });
      tabs.dispatch({ type: 'close', key: tab.key });
    } catch (error) {
      toasts.error('Could not open the console in its own window', error);
    }
  }

  /** Re-reads the pool list. */
  async refreshPools(): Promise<void> {
    const pools = await this.attempt('Could not list pools', 'pool:list', undefined);
    if (pools !== undefined) this.pools = pools;
  }
}

/** Menu labels of the power actions (the e2e page objects match them exactly). */
export const ACTION_LABELS: Record<VmAction, string> = {
  start: 'Start',
  resume: 'Resume',
  clean_shutdown: 'Shut down',
  clean_reboot: 'Reboot',
  suspend: 'Suspend',
  hard_shutdown: 'Force shut down',
  hard_reboot: 'Force reboot',
};

/** The page's state. */
export const app = new AppState();
