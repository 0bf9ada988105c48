/**
 * End to end, in real headless Chromium, against the XAPI simulator with real console servers: the
 * web harness serves the renderer and runs the real backend and bridge under Node.
 *
 * One user journey in order (each test builds on the one before): add a pool by typing into the
 * dialog and trust its certificate → the tree shows the fixture's hosts and VMs → open a QEMU console
 * and an Xvnc console in two tabs → the QEMU canvas equals QEMU's own screendump → keys typed into the
 * Xvnc tab reach its xterm → shut the QEMU VM down from the tree, the tab says so; start it, the tab
 * reattaches. Then, with a fresh config, the demo pool from the welcome screen.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../electron/sim/index';
import type { Simulator } from '../../electron/sim/types';
import { startHarness, type Harness } from '../../electron/core/harness/server';
import { needTools } from '../support/tools';
import { LAUNCHERS } from '../backends/index';
import { AppPage } from './pages/app';
import { ConsoleAssignment, loadPoolFixture, type PoolFixture } from './fixture';
import { expectCanvasEqualsScreendump } from './screendump';
import { ensureFreshRenderer, launchBrowser, waitUntil, type BrowserSession } from './support';

const skip = needTools('chromium', 'qemu-system-x86_64', 'Xvnc');

/**
 * Where the window screenshot goes: test-results/ (ignored by git) on every run; with
 * PORTHOLE_UPDATE_SCREENSHOT=1 the README's copy in test/e2e/screenshots/ is replaced instead.
 */
const SCREENSHOT =
  process.env.PORTHOLE_UPDATE_SCREENSHOT === '1'
    ? join(import.meta.dirname, 'screenshots', 'window.png')
    : join(import.meta.dirname, '..', '..', 'test-results', 'window.png');
/** How long a typed line may take to reach the xterm's file, ms. */
const TYPED_TIMEOUT_MS = 10_000;

describe('the window against a simulated pool', { skip }, () => {
  let fixture: PoolFixture;
  const consoles = new ConsoleAssignment();
  let sim: Simulator;
  let harness: Harness;
  let browser: BrowserSession;
  let app: AppPage;
  let configDir: string;
  let qemuVm: string;
  let xvncVm: string;

  before(async () => {
    ensureFreshRenderer();
    fixture = loadPoolFixture();
    sim = await startSimulator({ ...fixture.source, vnc: consoles.choose, launchers: LAUNCHERS, powerOpMs: 300 });
    qemuVm = consoles.vmWith('qemu');
    xvncVm = consoles.vmWith('xvnc');
    configDir = mkdtempSync(join(tmpdir(), 'porthole-e2e-config-'));
    harness = await startHarness({ port: 0, configDir, demo: false });
    browser = await launchBrowser();
    app = new AppPage(browser.page);
    await app.open(harness.url);
  });

  after(async () => {
    await browser?.close();
    await harness?.close();
    await sim?.stop();
    if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
  });

  test('adds a pool through the dialog, trusts its certificate and shows its hosts and VMs', async () => {
    const master = new URL(sim.masterUrl);
    const trustText = await app.addPool({ address: master.host, username: sim.user, password: sim.password });
    const masterInfo = sim.hosts.find((h) => h.address === master.hostname);
    assert.ok(masterInfo !== undefined);
    assert.ok(trustText.includes(masterInfo.fingerprint), `the trust dialog shows the master's fingerprint ${masterInfo.fingerprint}`);
    await app.trustDialog.trust();
    for (const host of sim.hosts) await app.tree.waitForItem(host.name);
    const names = fixture.vms.length > 0 ? fixture.vms.map((v) => v.name) : [qemuVm, xvncVm];
    for (const name of names) await app.tree.waitForItem(name);
  });

  test('opens a QEMU console and an Xvnc console in two tabs', async () => {
    await app.tree.open(qemuVm);
    await app.tab(qemuVm).waitForState('connected');
    await app.tree.open(xvncVm);
    await app.tab(xvncVm).waitForState('connected');
    assert.equal(await app.tabs().count(), 2);
    assert.equal(await app.tab(xvncVm).tab.getAttribute('aria-selected'), 'true', 'the newest tab is in front');
  });

  test("the QEMU tab's canvas equals QEMU's own screendump", async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    await expectCanvasEqualsScreendump(tab, sim, qemuVm);
  });

  test('keys typed into the Xvnc tab arrive in its xterm', async () => {
    const tab = app.tab(xvncVm);
    await tab.select();
    const typedFile = sim.vnc(xvncVm)?.typedFile;
    assert.ok(typedFile !== undefined, 'the Xvnc VM has a typed-input file');
    await tab.canvas().click();
    await browser.page.keyboard.type('hello porthole');
    await browser.page.keyboard.press('Enter');
    const content = await waitUntil('the typed line in the xterm file', TYPED_TIMEOUT_MS, () => {
      let text: string;
      try {
        text = readFileSync(typedFile, 'utf8');
      } catch {
        return undefined;
      }
      return text.includes('\n') ? text : undefined;
    });
    assert.equal(content, 'hello porthole\n');
    await app.screenshot(SCREENSHOT);
  });

  test('shutting the QEMU VM down from the tree shows it in its tab; starting it reattaches the tab', async () => {
    const tab = app.tab(qemuVm);
    // The QEMU tab is in the background (the Xvnc tab is selected): its state must follow anyway.
    // An HVM guest without PV drivers allows only the forced shutdown (as xapi does).
    await app.tree.power(qemuVm, 'clean_shutdown', 'hard_shutdown');
    await tab.waitForState('not-running');
    await tab.select();
    assert.match((await tab.panel.textContent()) ?? '', /not running/i);
    const consoleBefore = sim.vm(qemuVm).consoles;
    assert.deepEqual(consoleBefore, [], 'xapi removes the console rows of a halted VM');
    await app.tree.power(qemuVm, 'start');
    await tab.waitForState('connected');
    assert.equal(sim.vm(qemuVm).powerState, 'Running');
    // Reattached to the new QEMU behind the new console row: the canvas shows that QEMU's screen.
    await expectCanvasEqualsScreendump(tab, sim, qemuVm);
  });
});

describe('the demo pool', { skip: needTools('chromium') }, () => {
  let harness: Harness;
  let browser: BrowserSession;
  let configDir: string;

  before(async () => {
    ensureFreshRenderer();
    configDir = mkdtempSync(join(tmpdir(), 'porthole-e2e-demo-'));
    harness = await startHarness({ port: 0, configDir, demo: false, demoOptions: { hosts: 2, vms: 8 } });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await harness?.close();
    if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
  });

  test('Welcome → Try the demo pool → the tree fills and a console connects', async () => {
    const app = new AppPage(browser.page);
    await app.open(harness.url);
    await app.demoButton().click();
    const running = app.tree.vmsIn('Running').first();
    await running.waitFor({ state: 'visible' });
    const name = await running.getAttribute('aria-label');
    assert.ok(name !== null && name !== '');
    await app.tree.open(name);
    await app.tab(name).waitForState('connected');
    assert.equal(await app.tabs().count(), 1);
  });
});
