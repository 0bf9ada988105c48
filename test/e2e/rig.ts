/**
 * The rigs end-to-end suites run on. `startAppRig`: the web harness with a fresh config folder and
 * headless Chromium showing the app (at `deviceScaleFactor` device pixels per CSS pixel), plus a
 * reader of the config file the backend saves. `startConsoleRig`: that, with the simulator and the
 * fixture pool (by default QEMU for the first running guest, Xvnc for the second; `kinds` chooses
 * others). `stop()` takes it all down again.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, type Harness, type HarnessOptions } from '../../electron/core/harness/server';
import { startSimulator } from '../../electron/sim/index';
import type { Simulator } from '../../electron/sim/types';
import { LAUNCHERS } from '../backends/index';
import type { VncKind } from '../../electron/sim/vnc/types';
import { ConsoleAssignment, loadPoolFixture } from './fixture';
import { AppPage } from './pages/app';
import { ensureFreshRenderer, launchBrowser, type BrowserOptions, type BrowserSession } from './support';

/** The harness and the browser showing the app. */
export interface AppRig {
  configDir: string;
  harness: Harness;
  browser: BrowserSession;
  app: AppPage;
  /** The backend's saved config.json, parsed (undefined before the first save). */
  savedConfig(): unknown;
  stop(): Promise<void>;
}

/**
 * Starts the harness (`options` as startHarness takes them; a fresh config folder unless one is
 * given, which the rig then owns and removes) and the browser, and opens the app.
 */
export async function startAppRig(options: Partial<HarnessOptions> = {}, browserOptions: BrowserOptions = {}): Promise<AppRig> {
  ensureFreshRenderer();
  const configDir = options.configDir ?? mkdtempSync(join(tmpdir(), 'porthole-e2e-'));
  const harness = await startHarness({ port: 0, demo: false, ...options, configDir });
  const browser = await launchBrowser([], browserOptions);
  const app = new AppPage(browser.page);
  await app.open(harness.url);
  return {
    configDir,
    harness,
    browser,
    app,
    savedConfig() {
      try {
        return JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as unknown;
      } catch {
        return undefined;
      }
    },
    async stop() {
      await browser.close();
      await harness.close();
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}

/** A running rig. */
export interface ConsoleRig {
  sim: Simulator;
  harness: Harness;
  browser: BrowserSession;
  app: AppPage;
  /** The VM whose console server is of `kind` (throws when none is). */
  vmWith(kind: VncKind): string;
  /**
   * Lets the page use the clipboard, adds the simulator's pool through the dialog (trusting its
   * certificate) and opens the consoles of `vms`, waiting until each is connected.
   */
  connect(...vms: string[]): Promise<void>;
  stop(): Promise<void>;
}

/** What a rig runs: the console server kinds given to the running guests in turn, and the browser's options. */
export interface RigOptions extends BrowserOptions {
  kinds?: readonly VncKind[];
}

/** Starts the simulator, the harness and the browser, and opens the app. */
export async function startConsoleRig(options: RigOptions = {}): Promise<ConsoleRig> {
  const consoles = new ConsoleAssignment(options.kinds);
  const sim = await startSimulator({ ...loadPoolFixture().source, vnc: consoles.choose, launchers: LAUNCHERS, powerOpMs: 300 });
  const rig = await startAppRig({}, options);
  return {
    sim,
    harness: rig.harness,
    browser: rig.browser,
    app: rig.app,
    vmWith: (kind) => consoles.vmWith(kind),
    async connect(...vms) {
      const { app } = rig;
      await rig.browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(rig.harness.url).origin });
      await app.addPool({ address: new URL(sim.masterUrl).host, username: sim.user, password: sim.password });
      await app.trustDialog.trust();
      for (const vm of vms) {
        await app.tree.open(vm);
        await app.tab(vm).waitForState('connected');
      }
    },
    async stop() {
      await rig.stop();
      await sim.stop();
    },
  };
}
