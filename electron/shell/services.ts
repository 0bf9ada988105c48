/**
 * Starts the main-process services for the Electron window, the same way the web harness does
 * (electron/core/harness/server.ts), minus the web server: the console bridge on loopback allowing
 * only our app:// origin, the demo pool provider, the secret store over Electron's `safeStorage`
 * (passed in as a `SecretCipher`; the Linux `basic_text` rule lives in the core), and the backend.
 * `close()` stops them in reverse order and is idempotent. Imports nothing from electron.
 */
import type { EventChannel, RequestChannel } from '../../shared/contract';
import { getLogger } from '../../shared/log';
import { createBackend } from '../core/backend';
import { createBridge } from '../core/bridge';
import { createDemoProvider } from '../core/harness/demo';
import { SecretStore } from '../core/secret-store';
import type { SecretCipher } from '../core/secret-store';

const log = getLogger('shell');

/** What the shell needs of the backend. */
export interface ShellBackend {
  handle(channel: RequestChannel, arg: unknown): Promise<unknown>;
  on(listener: (channel: EventChannel, payload: unknown) => void): unknown;
}

/** The running services. */
export interface Services {
  readonly backend: ShellBackend;
  /** `ws://127.0.0.1:PORT`, for the CSP's connect-src. */
  readonly bridgeOrigin: string;
  close(): Promise<void>;
}

/** Starts bridge, demo provider, secret store and backend. */
export async function startServices(opts: { configDir: string; cipher: SecretCipher; appOrigin: string; version: string }): Promise<Services> {
  const cleanups: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log.warn('service shutdown step failed', { error });
      }
    }
  };
  try {
    const bridge = await createBridge({ allowedOrigins: [opts.appOrigin] });
    cleanups.push(() => bridge.close());
    const demo = createDemoProvider();
    cleanups.push(() => demo.stop());
    const backend = await createBackend({
      configDir: opts.configDir,
      secrets: new SecretStore(opts.cipher),
      openConsole: (source, req) => bridge.openConsole(source, req),
      demo: () => demo.start(),
      version: opts.version,
      harness: false,
    });
    cleanups.push(() => backend.close());
    let closing: Promise<void> | undefined;
    return {
      backend,
      bridgeOrigin: bridge.origin,
      close: () => (closing ??= closeAll()),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
