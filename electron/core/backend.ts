/**
 * The backend behind the IPC contract (`shared/contract.ts` `Requests` / `Events`), shared by the
 * Electron shell and the web harness. Electron-free: the shell injects the secret store (over
 * `safeStorage`), the config dir, the console bridge's `openConsole` and the demo provider.
 *
 * `handle(channel, arg)` treats `arg` as untrusted: it is narrowed by the channel's guard
 * (`REQUEST_GUARDS` in `shared/validate.ts`) before the handler sees it, and answers
 * `PortholeError('INVALID_ARGUMENT')` when it does not fit. Replies
 * never carry passwords or session ids. `on(listener)` receives push events (pool states, the pool
 * list, inventory diffs).
 */
import { isRequestChannel, type ConsoleTicket, type EventChannel, type Events, type RequestArg, type RequestChannel, type RequestResult, type SecretBackend } from '../../shared/contract';
import { PortholeError } from '../../shared/errors';
import { getLogger } from '../../shared/log';
import { checkArg } from '../../shared/validate';
import type { OpenWallRequest } from './bridge';
import { ConfigStore, defaultConfigDir } from './config-store';
import type { ConsoleSource } from './console-source';
import { parseAddress } from './pins';
import { PoolManager } from './pool-manager';
import type { SessionTiming } from './pools/session';
import { SecretStore, type SecretCipher } from './secret-store';
import { normalizeFingerprint } from './tls-pin';

const log = getLogger('backend');

/** What the demo provider hands back: a running simulated pool. */
export interface DemoPool {
  address: string;
  user: string;
  password: string;
  fingerprint: string;
}

/** Injected dependencies. */
export interface BackendDeps {
  /** Config dir (default: `PORTHOLE_CONFIG_DIR` or the platform's app-data folder). */
  configDir?: string;
  /** The secret store, or a bare cipher (Electron `safeStorage`) to wrap in one. */
  secrets: SecretStore | SecretCipher;
  /** Opens a console through the bridge (one-time ws URL). */
  openConsole?: (source: ConsoleSource, req: RequestArg<'console:open'>) => Promise<ConsoleTicket>;
  /** Issues a console wall URL on the bridge. */
  openWall?: (req: OpenWallRequest) => { url: string };
  /** Starts the demo pool. */
  demo?: () => Promise<DemoPool>;
  /** Reported by app:info. */
  version?: string;
  /** True under the web harness (reported by app:info). */
  harness?: boolean;
  /** Session timings (tests). */
  timing?: Partial<SessionTiming>;
}

/** A push event listener. */
export type BackendListener = <E extends EventChannel>(channel: E, payload: Events[E]) => void;

/** The backend. */
export interface Backend {
  /** Answers one request; throws PortholeError on failure. */
  handle<C extends RequestChannel>(channel: C, arg: unknown): Promise<RequestResult<C>>;
  /** Subscribes to push events; returns the unsubscribe function. */
  on(listener: (channel: EventChannel, payload: unknown) => void): () => void;
  /** Warnings from loading the config (e.g. a corrupt file kept aside). */
  readonly warnings: readonly string[];
  /** The pool manager (for in-process users such as tests). */
  readonly manager: PoolManager;
  close(): Promise<void>;
}

/** How long pool:add waits for the first login and inventory load of a pool it checks, ms. */
const ADD_CHECK_TIMEOUT_MS = 30_000;

/** Creates the backend: loads the config and returns the request handler. */
export async function createBackend(deps: BackendDeps): Promise<Backend> {
  const secrets = deps.secrets instanceof SecretStore ? deps.secrets : new SecretStore(deps.secrets);
  const store = new ConfigStore(deps.configDir ?? defaultConfigDir());
  const manager = await PoolManager.open({ store, secrets, ...(deps.timing === undefined ? {} : { timing: deps.timing }) });
  for (const w of manager.warnings) log.warn('config warning', { warning: w });
  const listeners = new Set<(channel: EventChannel, payload: unknown) => void>();
  const emit = <E extends EventChannel>(channel: E, payload: Events[E]): void => {
    for (const l of listeners) {
      try {
        l(channel, payload);
      } catch (error) {
        log.error('event listener failed', { channel, error });
      }
    }
  };
  manager.on('state', (e) => emit('pool:state', e));
  manager.on('list', (list) => emit('pool:list', list));
  manager.on('diff', (d) => emit('inventory:diff', d));
  manager.on('tasks', (list) => emit('task:list', list));
  let demoId: string | undefined;
  let demoStarting: Promise<string> | undefined;

  const startDemo = async (): Promise<string> => {
    if (deps.demo === undefined) throw new PortholeError('INVALID_ARGUMENT', 'No demo pool in this build.');
    if (demoId !== undefined && manager.find(demoId) !== undefined) return demoId;
    const pool = await deps.demo();
    const fp = normalizeFingerprint(pool.fingerprint);
    if (fp === undefined) throw new PortholeError('INTERNAL', 'The demo pool has no usable fingerprint.');
    const host = pool.address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const id = await manager.add(
      { name: uniqueDemoName(), address: pool.address, username: pool.user, password: pool.password, remember: false },
      { demo: true, pins: [{ address: host, fingerprint: fp, source: 'user' }] },
    );
    demoId = id;
    manager.connect(id);
    return id;
  };
  const uniqueDemoName = (): string => {
    let name = 'Demo pool';
    for (let i = 2; manager.find(name) !== undefined; i++) name = `Demo pool ${i}`;
    return name;
  };

  // Each handler gets its argument already narrowed by the channel's guard (see `handle`).
  const handlers: { [C in RequestChannel]: (arg: RequestArg<C>) => Promise<RequestResult<C>> } = {
    'app:info': () => {
      const secretBackend: SecretBackend = secrets.backend();
      return Promise.resolve({ version: deps.version ?? '0.1.0', platform: process.platform, secretBackend, harness: deps.harness === true });
    },
    'pool:list': () => {
      return Promise.resolve(manager.list());
    },
    'pool:add': async (arg) => {
      const { fingerprint, ...input } = arg;
      if (fingerprint === undefined) {
        // Nothing unreachable is saved: the address must answer TLS first.
        await manager.probe(input.address);
        const id = await manager.add(input);
        if (input.password !== undefined && input.password !== '') manager.connect(id);
        return { id };
      }
      // The user accepted this certificate in the dialog: pin it, log in and load before keeping the pool.
      const fp = normalizeFingerprint(fingerprint);
      if (fp === undefined) throw new PortholeError('INVALID_ARGUMENT', 'Not a SHA-256 fingerprint.');
      const host = parseAddress(input.address).host;
      const id = await manager.add(input, { pins: [{ address: host, fingerprint: fp, source: 'user' }] });
      try {
        manager.connect(id);
        await manager.waitReady(id, { failOnRetry: true, timeoutMs: ADD_CHECK_TIMEOUT_MS });
      } catch (error) {
        await manager.remove(id).catch(() => undefined);
        throw error;
      }
      return { id };
    },
    'pool:probe': (arg) => manager.probe(arg.address),
    'vm:migrate': async (arg) => {
      await manager.vmMigrate(arg.poolId, arg.vmUuid, arg.hostUuid);
      return undefined;
    },
    'task:list': () => Promise.resolve(manager.tasks.list()),
    'task:cancel': async (arg) => {
      await manager.cancelTask(arg.id);
      return undefined;
    },
    'pool:edit': async (arg) => {
      const { id, ...patch } = arg;
      await manager.edit(id, patch);
      return undefined;
    },
    'pool:remove': async (arg) => {
      await manager.remove(arg.id);
      if (arg.id === demoId) demoId = undefined;
      return undefined;
    },
    'pool:connect': (arg) => {
      manager.connect(arg.id, arg.password);
      return Promise.resolve(undefined);
    },
    'pool:disconnect': async (arg) => {
      await manager.disconnect(arg.id);
      return undefined;
    },
    'pool:trust': (arg) => {
      manager.trust(arg.id, arg.address, arg.fingerprint, arg.replace === true);
      return Promise.resolve(undefined);
    },
    'pool:certificates': (arg) => {
      return Promise.resolve(manager.certificates(arg.id));
    },
    'pool:forget-certificate': (arg) => {
      manager.forgetCertificate(arg.id, arg.address);
      return Promise.resolve(undefined);
    },
    'inventory:snapshot': () => {
      return Promise.resolve(manager.snapshot());
    },
    'vm:action': async (arg) => {
      await manager.vmAction(arg.poolId, arg.vmUuid, arg.action);
      return undefined;
    },
    'console:open': async (arg) => {
      if (deps.openConsole === undefined) throw new PortholeError('CONSOLE_ERROR', 'No console bridge in this process.');
      return deps.openConsole(manager.consoleSource(arg.poolId), { poolId: arg.poolId, vmUuid: arg.vmUuid, protocol: arg.protocol });
    },
    'overview:open': (arg) => {
      if (deps.openWall === undefined) throw new PortholeError('CONSOLE_ERROR', 'No console bridge in this process.');
      const url = deps.openWall({ source: (poolId) => manager.consoleSource(poolId), perHost: arg.perHost, intervalMs: arg.refreshSeconds * 1000 });
      return Promise.resolve(url);
    },
    'ui:get': () => {
      return Promise.resolve(manager.ui());
    },
    'ui:set': async (arg) => {
      await manager.setUi({
        tabs: arg.tabs,
        ...(arg.activeTab === undefined ? {} : { activeTab: arg.activeTab }),
        ...(arg.treeWidth === undefined ? {} : { treeWidth: arg.treeWidth }),
        ...(arg.collapsed === undefined ? {} : { collapsed: arg.collapsed }),
        ...(arg.theme === undefined ? {} : { theme: arg.theme }),
        ...(arg.wall === undefined ? {} : { wall: { perHost: arg.wall.perHost, refreshSeconds: arg.wall.refreshSeconds } }),
      });
      return undefined;
    },
    'demo:start': async () => {
      demoStarting ??= startDemo().finally(() => {
        demoStarting = undefined;
      });
      return { id: await demoStarting };
    },
    'console:capture': () => Promise.reject(new PortholeError('INVALID_ARGUMENT', 'console:capture is answered by the Electron shell.')),
    'console:popout': () => Promise.reject(new PortholeError('INVALID_ARGUMENT', 'console:popout is answered by the Electron shell.')),
    'console:save-screenshot': () => Promise.reject(new PortholeError('INVALID_ARGUMENT', 'console:save-screenshot is answered by the Electron shell.')),
  };

  return {
    manager,
    warnings: manager.warnings,
    async handle<C extends RequestChannel>(channel: C, arg: unknown): Promise<RequestResult<C>> {
      if (!isRequestChannel(channel)) throw new PortholeError('INVALID_ARGUMENT', 'Unknown request channel.');
      const handler: (arg: RequestArg<C>) => Promise<RequestResult<C>> = handlers[channel];
      const checked = checkArg(channel, arg);
      try {
        return await handler(checked);
      } catch (error) {
        if (error instanceof PortholeError) throw error;
        // Never pass an unknown error's text on: it may quote request data.
        log.error('request failed', { channel, error: error instanceof Error ? error.name : 'unknown' });
        throw new PortholeError('INTERNAL');
      }
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => manager.close(),
  };
}
