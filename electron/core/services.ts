/**
 * The app's services, wired the same way for the Electron shell (electron/shell/main.ts) and the web
 * harness (electron/core/harness/server.ts): the console bridge on loopback allowing only the page's
 * origin, the demo pool provider, the secret store over the given cipher (Electron's `safeStorage` in
 * the shell, `memoryOnlyCipher` under plain Node), and the backend over all of them.
 *
 * How it works: each started part pushes its stop function onto a cleanup stack; `close()` runs the
 * stack in reverse (bridge last, backend first), logs and skips a failing step, and is idempotent. If
 * a start step throws, what already started is stopped before the error goes on. Electron-free.
 * A pool whose state becomes `disconnected` (disconnect, remove, an edit that reconnects) has its
 * consoles closed by the bridge with the shutdown code (4013) and its unused tickets revoked: a
 * console must not outlive the session that opened it.
 */
import type { Events } from '../../shared/contract';
import { getLogger } from '../../shared/log';
import { createBackend, type Backend } from './backend';
import { createBridge, type BridgeStats, type WallStats } from './bridge';
import { createDemoProvider, type DemoOptions } from '../demo/provider';
import type { SessionTiming } from './pools/session';
import { SecretStore, type SecretCipher } from './secret-store';

const log = getLogger('services');

/** Stop functions run last-in first-out; `close()` runs them once and always resolves. */
export interface CleanupStack {
  /** Adds a stop step (runs before every step pushed earlier). */
  push(cleanup: () => Promise<void>): void;
  /** Runs the steps in reverse; a failing step is logged and skipped. Idempotent. */
  close(): Promise<void>;
}

/** Creates an empty cleanup stack; `what` names it in the warning when a step fails. */
export function createCleanupStack(what: string): CleanupStack {
  const cleanups: (() => Promise<void>)[] = [];
  let closing: Promise<void> | undefined;
  const run = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log.warn('cleanup step failed', { what, error });
      }
    }
  };
  return {
    push: (cleanup) => void cleanups.push(cleanup),
    close: () => (closing ??= run()),
  };
}

/** Options of `startServices`. */
export interface ServicesOptions {
  /** Where config.json lives. */
  configDir: string;
  /** Encrypts remembered passwords (`safeStorage` in the shell, `memoryOnlyCipher` under Node). */
  cipher: SecretCipher;
  /** The page origins allowed to open console sockets on the bridge. */
  allowedOrigins: string[];
  /** Reported by app:info (default: the backend's). */
  version?: string;
  /** True under the web harness (reported by app:info). */
  harness: boolean;
  /** Size of the demo pool (tests and benchmarks). */
  demoOptions?: DemoOptions;
  /** Pool session timings (tests: a long back-off so only "Retry now" reconnects). */
  timing?: Partial<SessionTiming>;
}

/** The running services. */
export interface Services {
  readonly backend: Backend;
  /** `ws://127.0.0.1:PORT`, for the CSP's connect-src. */
  readonly bridgeOrigin: string;
  /** The console walls' live resources (tests: a hidden wall leaves none). */
  wallStats(): WallStats;
  /** The bridge's console resources (tests: tokens issued, consoles open). */
  bridgeStats(): BridgeStats;
  /** Stops the backend, the demo pool and the bridge, in that order. Idempotent. */
  close(): Promise<void>;
}

/** Starts bridge, demo provider, secret store and backend; see the header. */
export async function startServices(opts: ServicesOptions): Promise<Services> {
  const stack = createCleanupStack('services');
  try {
    const bridge = await createBridge({ allowedOrigins: opts.allowedOrigins });
    stack.push(() => bridge.close());
    const demo = createDemoProvider(opts.demoOptions);
    stack.push(() => demo.stop());
    const backend = await createBackend({
      configDir: opts.configDir,
      secrets: new SecretStore(opts.cipher),
      openConsole: (source, req) => bridge.openConsole(source, req),
      openWall: (req) => bridge.openWall(req),
      demo: () => demo.start(),
      ...(opts.version === undefined ? {} : { version: opts.version }),
      harness: opts.harness,
      ...(opts.timing === undefined ? {} : { timing: opts.timing }),
    });
    stack.push(() => backend.close());
    const unsubscribe = backend.on((channel, payload) => {
      if (channel !== 'pool:state') return;
      const { id, state } = payload as Events['pool:state'];
      if (state.kind === 'disconnected') bridge.closePool(id);
    });
    stack.push(() => Promise.resolve(unsubscribe()));
    return { backend, bridgeOrigin: bridge.origin, wallStats: () => bridge.wallStats(), bridgeStats: () => bridge.stats(), close: () => stack.close() };
  } catch (error) {
    await stack.close();
    throw error;
  }
}
