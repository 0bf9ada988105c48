/**
 * The rig an end-to-end console suite runs on: the simulator with the fixture pool (QEMU for the
 * first running guest, Xvnc for the second), the web harness with a fresh config folder, and
 * headless Chromium showing the app. `stop()` takes it all down again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, type Harness } from '../../electron/core/harness/server';
import { startSimulator } from '../../electron/sim/index';
import type { Simulator } from '../../electron/sim/types';
import { LAUNCHERS } from '../backends/index';
import { ConsoleAssignment, loadPoolFixture } from './fixture';
import { AppPage } from './pages/app';
import { ensureFreshRenderer, launchBrowser, type BrowserSession } from './support';

/** A running rig. */
export interface ConsoleRig {
  sim: Simulator;
  harness: Harness;
  browser: BrowserSession;
  app: AppPage;
  qemuVm: string;
  xvncVm: string;
  stop(): Promise<void>;
}

/** Starts the simulator, the harness and the browser, and opens the app. */
export async function startConsoleRig(): Promise<ConsoleRig> {
  ensureFreshRenderer();
  const consoles = new ConsoleAssignment();
  const sim = await startSimulator({ ...loadPoolFixture().source, vnc: consoles.choose, launchers: LAUNCHERS, powerOpMs: 300 });
  const configDir = mkdtempSync(join(tmpdir(), 'porthole-e2e-rig-'));
  const harness = await startHarness({ port: 0, configDir, demo: false });
  const browser = await launchBrowser();
  const app = new AppPage(browser.page);
  await app.open(harness.url);
  return {
    sim,
    harness,
    browser,
    app,
    qemuVm: consoles.vmWith('qemu'),
    xvncVm: consoles.vmWith('xvnc'),
    async stop() {
      await browser.close();
      await harness.close();
      await sim.stop();
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}
