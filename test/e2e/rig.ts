/**
 * The rig an end-to-end console suite runs on: the simulator with the fixture pool (by default QEMU
 * for the first running guest, Xvnc for the second; `kinds` chooses others), the web harness with a
 * fresh config folder, and headless Chromium showing the app (at `deviceScaleFactor` device pixels
 * per CSS pixel). `stop()` takes it all down again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, type Harness } from '../../electron/core/harness/server';
import { startSimulator } from '../../electron/sim/index';
import type { Simulator } from '../../electron/sim/types';
import { LAUNCHERS } from '../backends/index';
import type { VncKind } from '../../electron/sim/vnc/types';
import { ConsoleAssignment, loadPoolFixture } from './fixture';
import { AppPage } from './pages/app';
import { ensureFreshRenderer, launchBrowser, type BrowserOptions, type BrowserSession } from './support';

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
  ensureFreshRenderer();
  const consoles = new ConsoleAssignment(options.kinds);
  const sim = await startSimulator({ ...loadPoolFixture().source, vnc: consoles.choose, launchers: LAUNCHERS, powerOpMs: 300 });
  const configDir = mkdtempSync(join(tmpdir(), 'porthole-e2e-rig-'));
  const harness = await startHarness({ port: 0, configDir, demo: false });
  const browser = await launchBrowser([], options);
  const app = new AppPage(browser.page);
  await app.open(harness.url);
  return {
    sim,
    harness,
    browser,
    app,
    vmWith: (kind) => consoles.vmWith(kind),
    async connect(...vms) {
      await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(harness.url).origin });
      await app.addPool({ address: new URL(sim.masterUrl).host, username: sim.user, password: sim.password });
      await app.trustDialog.trust();
      for (const vm of vms) {
        await app.tree.open(vm);
        await app.tab(vm).waitForState('connected');
      }
    },
    async stop() {
      await browser.close();
      await harness.close();
      await sim.stop();
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}
