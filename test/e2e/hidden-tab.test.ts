/**
 * End to end in Chromium: a console tab left hidden disconnects and comes back when shown. The page
 * is opened with `?hidden-disconnect-ms=300`; opening a second console hides the first, whose panel
 * then says it is parked while the simulator's console server of that VM has no client left (and the
 * bridge holds no console for it). Selecting the first tab again reconnects it: connected on screen,
 * one client at the server; the second tab, now hidden, parks in turn. The pointer on a parked tab
 * asks for its ticket ahead (a token is pending, no tunnel opens), and showing it uses that ticket.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../electron/sim/index';
import type { Simulator } from '../../electron/sim/types';
import type { SyntheticVncBackend } from '../../electron/sim/vnc';
import { startHarness, type Harness } from '../../electron/core/harness/server';
import { needTools } from '../support/tools';
import { AppPage } from './pages/app';
import { ensureFreshRenderer, launchBrowser, waitUntil, type BrowserSession } from './support';

describe('hidden console tabs', { skip: needTools('chromium') }, () => {
  let sim: Simulator;
  let harness: Harness;
  let browser: BrowserSession;
  let app: AppPage;
  let configDir: string;

  before(async () => {
    ensureFreshRenderer();
    sim = await startSimulator({ hosts: 1, vms: 6, vnc: 'synthetic' });
    configDir = mkdtempSync(join(tmpdir(), 'porthole-e2e-hidden-'));
    harness = await startHarness({ port: 0, configDir, demo: false });
    browser = await launchBrowser();
    app = new AppPage(browser.page);
    const url = new URL(harness.url);
    url.searchParams.set('hidden-disconnect-ms', '300');
    await app.open(url.toString());
    const master = new URL(sim.masterUrl);
    await app.addPool({ address: master.host, username: sim.user, password: sim.password });
    await app.trustDialog.trust();
    await app.tree.waitForItem(sim.hosts[0]!.name);
  });

  after(async () => {
    await browser?.close();
    await harness?.close();
    await sim?.stop();
    if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
  });

  /** Clients connected to a VM's synthetic console server. */
  const clients = (vm: string): number => (sim.vnc(vm) as SyntheticVncBackend | undefined)?.connections ?? -1;

  test('a hidden tab disconnects after the set time and reconnects when shown', async () => {
    const running = app.tree.vmsIn('Running');
    await running.nth(1).waitFor({ state: 'visible' });
    const [first, second] = await Promise.all([running.nth(0).getAttribute('aria-label'), running.nth(1).getAttribute('aria-label')]);
    assert.ok(first !== null && second !== null && first !== second);
    await app.tree.open(first);
    await app.tab(first).waitForState('connected');
    assert.equal(clients(first), 1);
    await app.tree.open(second);
    await app.tab(second).waitForState('connected');
    // The first tab is hidden now: it parks, and its server loses its client.
    await app.tab(first).panel.and(browser.page.locator('[data-parked="true"]')).waitFor({ state: 'attached' });
    await waitUntil('the hidden console to leave its server', 10_000, () => (clients(first) === 0 ? true : undefined));
    assert.equal(clients(second), 1, 'the visible console stays connected');
    // The pointer on the parked tab: its ticket is asked for now, and no tunnel opens for it.
    assert.equal(harness.bridgeStats().pendingTokens, 0);
    await app.tab(first).tab.hover();
    await waitUntil('a ticket asked for ahead', 10_000, () => (harness.bridgeStats().pendingTokens === 1 ? true : undefined));
    assert.equal(clients(first), 0, 'no tunnel for a ticket not used yet');
    assert.equal(harness.bridgeStats().consoles, 1);
    await app.tab(first).select();
    await app.tab(first).waitForState('connected');
    assert.equal(harness.bridgeStats().pendingTokens, 0, 'showing the tab used the ticket asked for ahead, and asked for no other');
    assert.equal(await app.tab(first).panel.getAttribute('data-parked'), 'false');
    await waitUntil('the shown console to be back at its server', 10_000, () => (clients(first) === 1 ? true : undefined));
    await app.tab(second).panel.and(browser.page.locator('[data-parked="true"]')).waitFor({ state: 'attached' });
    await waitUntil('the other console, now hidden, to leave', 10_000, () => (clients(second) === 0 ? true : undefined));
  });
});
