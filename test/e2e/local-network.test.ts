/**
 * The console tab when Chromium's Local Network Access check blocks the bridge, in real Chromium.
 *
 * The harness page is served from 127.0.0.1, which Chromium counts as local, so normally its
 * WebSocket to the bridge (another loopback port) opens. Here Chromium is told to count the page's
 * own address and port as public (`--ip-address-space-overrides=127.0.0.1:PORT=public`) — the
 * situation of a page whose origin Chromium does not treat as local, like the desktop app's
 * `app://` page without the permission. The page still reaches its own origin (the harness API),
 * so the pool connects and the tree fills; the console socket to the bridge is refused before it
 * opens. The tab must say that in plain words, not "connection lost", and the pool must see no
 * console CONNECT at all (the block happens in the browser).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../electron/sim/index';
import type { Simulator } from '../../electron/sim/types';
import { startHarness, type Harness } from '../../electron/core/harness/server';
import { needTools } from '../support/tools';
import { AppPage } from './pages/app';
import { ensureFreshRenderer, launchBrowser, type BrowserSession } from './support';

describe('a page Chromium counts as public (Local Network Access)', { skip: needTools('chromium') }, () => {
  let sim: Simulator;
  let harness: Harness;
  let browser: BrowserSession;
  let configDir: string;

  before(async () => {
    ensureFreshRenderer();
    sim = await startSimulator({ hosts: 1, vms: 3, vnc: 'synthetic', powerOpMs: 50 });
    configDir = mkdtempSync(join(tmpdir(), 'porthole-e2e-lna-'));
    harness = await startHarness({ port: 0, configDir, demo: false });
    const page = new URL(harness.origin);
    browser = await launchBrowser([`--ip-address-space-overrides=${page.hostname}:${page.port}=public`]);
  });

  after(async () => {
    await browser?.close();
    await harness?.close();
    await sim?.stop();
    if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
  });

  test('a blocked console says the Local Network Access check blocked it; no CONNECT reaches the pool', async () => {
    const app = new AppPage(browser.page);
    const refusals: string[] = [];
    browser.page.on('console', (m) => {
      if (m.text().includes('ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS')) refusals.push(m.text());
    });
    await app.open(harness.url);
    const master = new URL(sim.masterUrl);
    await app.addPool({ address: master.host, username: sim.user, password: sim.password });
    await app.trustDialog.trust();
    const running = app.tree.vmsIn('Running').first();
    await running.waitFor({ state: 'visible' });
    const name = await running.getAttribute('aria-label');
    assert.ok(name !== null && name !== '');
    await app.tree.open(name);
    const tab = app.tab(name);
    await tab.waitForState('disconnected');
    await tab.panel.getByText(/Local Network Access check blocked this page from connecting to Porthole's console bridge/).waitFor({ state: 'visible' });
    assert.doesNotMatch((await tab.panel.innerText()).toLowerCase(), /connection to the console was lost/);
    assert.ok(refusals.length >= 1, 'Chromium itself reports the Local Network Access refusal');
    assert.deepEqual(sim.stats().connectsByStatus, {}, 'no console CONNECT reached the pool');
    assert.equal(sim.stats().consoleTunnels, 0);
  });
});
