/**
 * The web harness: the real backend and console bridge under plain Node, with the built renderer
 * served to a browser on 127.0.0.1 — the same app as the Electron window, minus Electron.
 *
 * How it works, in order (each step needs the one before):
 * 1. the web server listens (its port fixes the page's origin `http://127.0.0.1:<port>`);
 * 2. the services start (electron/core/services.ts, shared with the Electron shell): the bridge
 *    allowing that origin, so noVNC in the page may open console sockets, then the backend with the
 *    config dir, memory-only secrets (no safeStorage under Node), the bridge and the demo provider;
 * 3. the web server is attached to the backend (page + API socket now answer; CSP names the bridge);
 * 4. with `demo`, the demo pool is started at once.
 * `close()` undoes it in reverse and is idempotent.
 */
import { memoryOnlyCipher } from '../secret-store';
import { createCleanupStack, startServices, type Services } from '../services';
import type { BridgeStats, WallStats } from '../bridge';
import type { DemoOptions } from '../../demo/provider';
import type { SessionTiming } from '../pools/session';
import { ensureRendererDir } from './renderer-build';
import { startWebServer } from './web-server';

/** Options of `startHarness`. */
export interface HarnessOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Where config.json lives. */
  configDir: string;
  /** Start the demo pool at once. */
  demo: boolean;
  /** The built renderer folder (default: dist/renderer, built on demand). */
  rendererDir?: string;
  /** Size of the demo pool (tests and benchmarks). */
  demoOptions?: DemoOptions;
  /** Pool session timings (tests). */
  timing?: Partial<SessionTiming>;
}

/** A running harness. */
export interface Harness {
  /** `http://127.0.0.1:<port>/?token=<t>`: the only way in. */
  readonly url: string;
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** The bridge's console-wall resources (tests: a hidden wall leaves no socket, tunnel or timer). */
  wallStats(): WallStats;
  /** The bridge's console resources (tests: tokens pending, consoles open). */
  bridgeStats(): BridgeStats;
  /** Stops the backend, the bridge, the demo pool and the server. Idempotent. */
  close(): Promise<void>;
}

/** Port of a `ws://` or `http://` origin, or undefined. */
function portOf(origin: string): number | undefined {
  try {
    const url = new URL(origin);
    const port = Number(url.port);
    return url.port !== '' && Number.isInteger(port) ? port : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the harness; see the header for the order. */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const rendererDir = options.rendererDir ?? (await ensureRendererDir());
  const web = await startWebServer({ port: options.port, rendererDir });
  const stack = createCleanupStack('harness');
  stack.push(() => web.close());
  let services: Services;
  try {
    services = await startServices({
      configDir: options.configDir,
      cipher: memoryOnlyCipher,
      allowedOrigins: [web.origin],
      harness: true,
      ...(options.demoOptions === undefined ? {} : { demoOptions: options.demoOptions }),
      ...(options.timing === undefined ? {} : { timing: options.timing }),
    });
    stack.push(() => services.close());
    web.attach(services.backend, portOf(services.bridgeOrigin));
    if (options.demo) await services.backend.handle('demo:start', undefined);
  } catch (error) {
    await stack.close();
    throw error;
  }
  return { url: web.url, origin: web.origin, wallStats: () => services.wallStats(), bridgeStats: () => services.bridgeStats(), close: () => stack.close() };
}
