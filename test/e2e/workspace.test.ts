/**
 * End to end, in headless Chromium through the web harness, against two simulated pools with the
 * in-process synthetic console server: every workspace action the issue lists, performed as a user
 * does (toolbar, context menu, shortcuts, dialogs, tab menus) and checked on screen AND at the
 * simulator (power state, current_operations, task progress, residence, console rows, CONNECT counts)
 * or in the backend's saved config (pools, pins, UI state).
 *
 * Progress is observed deterministically: the simulator's `holdOperations(p)` fault parks every
 * operation when its task reaches `p`, the test waits for "Starting… 40 %" on screen and at the
 * simulator, then releases it. No step waits on time.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSimulator } from '../../electron/sim/index';
import type { Simulator } from '../../electron/sim/types';
import { startHarness, type Harness } from '../../electron/core/harness/server';
import { needTools } from '../support/tools';
import { AppPage } from './pages/app';
import { CertChangedDialog, Notices, PageFacts, PropertiesPane, StatusBar, TOOLBAR, Toolbar } from './pages/workspace';
import { ROOT, VIEWPORT, ensureFreshRenderer, launchBrowser, servedCertificate, waitUntil, type BrowserSession } from './support';

const run = promisify(execFile);

/** Simulated duration of a VM start, ms (others proportional). */
const POWER_OP_MS = 400;

interface SavedConfig {
  pools: { id: string; name: string; address: string; username: string; pins: { address: string; fingerprint: string; issuer?: string; validFrom?: string; validTo?: string }[] }[];
  ui: { tabs: { vmUuid: string }[]; collapsed?: string[]; theme?: string };
}

describe('the workspace against two simulated pools', { skip: needTools('chromium') }, () => {
  let sim: Simulator;
  let sim2: Simulator;
  let harness: Harness;
  let browser: BrowserSession;
  let app: AppPage;
  let toolbar: Toolbar;
  let props: PropertiesPane;
  let status: StatusBar;
  let facts: PageFacts;
  let configDir: string;

  /** The backend's saved config (empty before the first save). */
  const config = (): SavedConfig => {
    try {
      return JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as SavedConfig;
    } catch {
      return { pools: [], ui: { tabs: [] } };
    }
  };
  const hostOf = (name: string): string => sim.hosts.find((h) => h.name === name)?.ref ?? '';
  /** Selects a tree row as a user does (click), then waits until the toolbar acts on it. */
  const select = async (name: string): Promise<void> => {
    await (await app.tree.waitForItem(name)).click();
    await toolbar.root.and(browser.page.locator(`[aria-description="Actions for ${name}"]`)).waitFor();
  };
  /** Waits until the simulator reports `state` for the VM. */
  const simPower = (vm: string, state: string): Promise<true> => waitUntil(`${vm} ${state} at the simulator`, 20_000, () => (sim.vm(vm).powerState === state ? true : undefined));
  /** Waits until the tree shows the power state. */
  const treePower = (vm: string, state: string): Promise<void> => app.tree.root.locator(`[role="treeitem"][aria-label="${vm}"][aria-description^="${state}"]`).waitFor({ timeout: 20_000 });

  before(async () => {
    ensureFreshRenderer();
    sim = await startSimulator({ hosts: 3, vms: 12, vnc: 'synthetic', powerOpMs: POWER_OP_MS, firstAddress: '127.0.0.21' });
    sim2 = await startSimulator({ hosts: 1, vms: 12, vnc: 'synthetic', powerOpMs: POWER_OP_MS, firstAddress: '127.0.0.41' });
    configDir = mkdtempSync(join(tmpdir(), 'porthole-e2e-workspace-'));
    harness = await startHarness({ port: 0, configDir, demo: false });
    browser = await launchBrowser();
    app = new AppPage(browser.page);
    toolbar = new Toolbar(browser.page);
    props = new PropertiesPane(browser.page);
    status = new StatusBar(browser.page);
    facts = new PageFacts(browser.page);
    await app.open(harness.url);
  });

  // A test that fails while operations are held must not leave the next ones parked.
  afterEach(() => sim?.faults.releaseOperations());

  after(async () => {
    sim?.faults.releaseOperations();
    await browser?.close();
    await harness?.close();
    await sim?.stop();
    await sim2?.stop();
    if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
  });

  test('Add pool checks before saving: unreachable and wrong password keep the dialog open and save nothing', async () => {
    const page = browser.page;
    await app.addPoolButton().click();
    // Nothing listens on port 1 of the master's address: refused before anything is saved.
    await app.poolDialog.connect({ address: `${sim.hosts[0]!.address}:1`, username: sim.user, password: sim.password });
    const alert = app.poolDialog.root.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /Cannot reach 127\.0\.0\.21:1: the connection was refused/);
    assert.doesNotMatch((await alert.textContent()) ?? '', /Cannot reach.*Cannot reach/, 'the message does not nest');
    assert.equal(config().pools.length, 0, 'the unreachable address is not saved');
    // A wrong password: the certificate is shown, then the login fails and the dialog stays open.
    const loginsBefore = sim.stats().loginAttempts;
    await app.poolDialog.connect({ address: new URL(sim.masterUrl).host, username: sim.user, password: 'wrong-password' });
    const trustText = await app.trustDialog.text();
    assert.ok(trustText.includes(sim.hosts[0]!.fingerprint));
    await app.trustDialog.trustButton.click();
    await app.poolDialog.root.getByRole('alert').filter({ hasText: /rejected/ }).waitFor();
    assert.ok(sim.stats().loginAttempts > loginsBefore, 'the login reached the simulator');
    assert.equal(config().pools.length, 0, 'a pool that rejects the password is not kept');
    await page.keyboard.press('Escape');
  });

  test('adds the pool; the tree shows its name_label with the name the user typed beside it', async () => {
    await app.addNamedPool('lab', { address: new URL(sim.masterUrl).host, username: sim.user, password: sim.password });
    for (const h of sim.hosts) await app.tree.waitForItem(h.name);
    const pool = app.tree.item('lab');
    await pool.locator('.own', { hasText: '(lab)' }).waitFor();
    assert.equal(await pool.locator('.name').textContent(), 'Simulated pool');
    assert.deepEqual(config().pools.map((p) => p.name), ['lab']);
    assert.equal(config().pools[0]!.pins[0]!.fingerprint, sim.hosts[0]!.fingerprint);
  });

  test('the toolbar is enabled exactly as allowed_operations says, with the reason in the tooltip', async () => {
    const expected: Record<string, string> = {
      Start: 'start', 'Shut down': 'clean_shutdown', Reboot: 'clean_reboot', Suspend: 'suspend', Resume: 'resume',
      'Force shut down': 'hard_shutdown', 'Force reboot': 'hard_reboot', 'Migrate…': 'pool_migrate',
    };
    for (const vm of ['vpn-07', 'build-04', 'cache-03', 'db-10']) {
      await select(vm);
      const allowed = sim.vm(vm).allowedOperations;
      for (const name of TOOLBAR) {
        const op = expected[name];
        if (op === undefined) continue;
        const enabled = await toolbar.enabled(name);
        assert.equal(enabled, allowed.includes(op), `${vm}: ${name} enabled ⇔ ${op} in allowed_operations`);
        if (!enabled) assert.notEqual(await toolbar.tooltip(name), '', `${vm}: ${name} says why it is disabled`);
      }
    }
    await select('build-04');
    assert.match(await toolbar.tooltip('Shut down'), /no guest tools/, 'an HVM guest without PV drivers says why');
    await select('vpn-07');
    assert.match(await toolbar.tooltip('Shut down'), /halted/);
  });

  test('properties of a VM, a host and the pool come live from the inventory', async () => {
    await select('cache-03');
    const vm = sim.vm('cache-03');
    await props.waitFor('Power state', 'Running');
    assert.equal(await props.value('Host'), 'xcp-host-03');
    assert.equal(await props.value('IP addresses'), vm.ips.join(', '));
    assert.equal(await props.value('Operating system'), 'Ubuntu 22.04.4 LTS');
    assert.equal(await props.value('OS version'), '22.04');
    assert.equal(await props.value('vCPUs'), '2');
    assert.equal(await props.value('Memory'), '2 GiB');
    assert.equal(await props.value('Guest tools'), 'Running (up to date)');
    assert.match((await props.value('Uptime')) ?? '', /^\d+ (s|min)/);
    assert.equal(await props.value('Tags'), 'staging');
    await (await app.tree.waitForItem('xcp-host-01')).click();
    await props.waitFor('State', 'Live');
    assert.equal(await props.value('Role'), 'Pool master');
    assert.equal(await props.value('Version'), 'XCP-ng 8.3.0');
    await app.tree.item('lab').click();
    await props.waitFor('Pool name', 'Simulated pool');
    assert.equal(await props.value('Your name'), 'lab');
  });

  test('Start runs as a task: "Starting… 40 %" on the row, the tab and the status bar, actions disabled, then Running', async () => {
    await select('vpn-07');
    await toolbar.run('Open console');
    const tab = app.tab('vpn-07');
    await tab.waitForState('not-running');
    sim.faults.holdOperations(0.4);
    await toolbar.run('Start');
    await app.tree.root.locator('[aria-label="vpn-07"][aria-description*="Starting… 40 %"]').waitFor();
    await tab.tab.and(browser.page.locator('[aria-description="Starting… 40 %"]')).waitFor();
    await status.waitLatest('Starting vpn-07… 40 %');
    const ops = sim.vm('vpn-07').currentOperations;
    const [taskRef, op] = Object.entries(ops)[0] ?? [];
    assert.equal(op, 'start');
    assert.equal(sim.task(taskRef ?? '')?.progress, 0.4, 'the simulator task is at 40 %');
    assert.equal(await toolbar.enabled('Start'), false);
    assert.match(await toolbar.tooltip('Force shut down'), /Not while an operation runs: Starting… 40 %/);
    sim.faults.releaseOperations();
    await tab.waitForState('connected');
    await simPower('vpn-07', 'Running');
    await status.waitLatest('Starting vpn-07: done.');
  });

  test('Cancel in the operations list cancels a running shutdown where XAPI allows it', async () => {
    sim.faults.holdOperations(0.3);
    await select('cache-03');
    await toolbar.run('Shut down');
    await status.open();
    const entry = status.entry('Shutting down cache-03');
    await entry.locator('button[aria-disabled="false"]', { hasText: 'Cancel' }).waitFor();
    await entry.getByRole('button', { name: 'Cancel', exact: true }).click();
    await entry.locator('.state', { hasText: 'cancelled' }).waitFor({ timeout: 5000 }).catch(async (e: unknown) => {
      throw new Error(`${String(e)}\n${await status.list.innerHTML()}\n${await status.latest.textContent()}`);
    });
    assert.equal(sim.vm('cache-03').powerState, 'Running', 'the VM did not shut down');
    assert.deepEqual(sim.vm('cache-03').currentOperations, {});
    sim.faults.releaseOperations();
  });

  test('every power action from the toolbar reaches the simulator and shows in the tree', async () => {
    const cases: { vm: string; button: 'Shut down' | 'Reboot' | 'Suspend' | 'Resume' | 'Force shut down' | 'Force reboot'; after: string }[] = [
      { vm: 'dns-06', button: 'Shut down', after: 'Halted' },
      { vm: 'cache-11', button: 'Suspend', after: 'Suspended' },
      { vm: 'db-10', button: 'Resume', after: 'Running' },
      { vm: 'build-04', button: 'Force shut down', after: 'Halted' },
    ];
    for (const c of cases) {
      await select(c.vm);
      await toolbar.run(c.button);
      await simPower(c.vm, c.after);
      await treePower(c.vm, c.after);
    }
    // Reboots: the domain is rebuilt, so its console row is new (xapi), and it stays Running.
    for (const [vm, button] of [['mail-05', 'Reboot'], ['db-02', 'Force reboot']] as const) {
      const before = sim.vm(vm).consoles.map((c) => c.uuid);
      await select(vm);
      await toolbar.run(button);
      await status.waitLatest(new RegExp(`${vm}: done\\.$`));
      assert.equal(sim.vm(vm).powerState, 'Running');
      assert.notDeepEqual(sim.vm(vm).consoles.map((c) => c.uuid), before, `${vm} got new console rows`);
    }
  });

  test('shortcuts: Ctrl+B starts and Ctrl+Shift+E forces off, and focus stays on the row that moved', async () => {
    const item = await app.tree.waitForItem('web-09');
    await item.click();
    await browser.page.keyboard.press('Control+b');
    await simPower('web-09', 'Running');
    await treePower('web-09', 'Running');
    await waitUntil('focus on the moved row', 5_000, async () => ((await facts.focusedLabel()) === 'web-09' ? true : undefined));
    await browser.page.keyboard.press('Control+Shift+E');
    await simPower('web-09', 'Halted');
    await treePower('web-09', 'Halted');
    await waitUntil('focus still on the row', 5_000, async () => ((await facts.focusedLabel()) === 'web-09' ? true : undefined));
  });

  test('Migrate… moves a VM with progress; its open console follows it', async () => {
    await select('web-01');
    await toolbar.run('Open console');
    const tab = app.tab('web-01');
    await tab.waitForState('connected');
    const connects = sim.stats().connectsByStatus['200'] ?? 0;
    sim.faults.holdOperations(0.5);
    await toolbar.run('Migrate…');
    const dialog = browser.page.getByRole('dialog', { name: 'Migrate web-01', exact: true });
    await dialog.getByRole('radio', { name: 'xcp-host-02' }).check();
    await dialog.getByRole('button', { name: 'Migrate', exact: true }).click();
    await status.waitLatest('Migrating web-01 to xcp-host-02… 50 %');
    await app.tree.root.locator('[aria-label="web-01"][aria-description*="Migrating… 50 %"]').waitFor();
    sim.faults.releaseOperations();
    await waitUntil('web-01 on host 2', 20_000, () => (sim.vm('web-01').residentOn === hostOf('xcp-host-02') ? true : undefined));
    assert.match(sim.vm('web-01').consoles[0]!.location, new RegExp(`https://${sim.hosts[1]!.address.replace(/\./g, '\\.')}:`));
    // The tab reattached by itself: one more CONNECT answered 200, and it is connected again.
    await waitUntil('the console to reconnect', 20_000, () => ((sim.stats().connectsByStatus['200'] ?? 0) > connects ? true : undefined));
    await tab.waitForState('connected');
    await props.waitFor('Host', 'xcp-host-02');
  });

  test('a failed migration shows XAPI\'s error in words; a dead host is marked not live', async () => {
    sim.faults.holdOperations(0.5);
    await select('web-01');
    await toolbar.run('Migrate…');
    const dialog = browser.page.getByRole('dialog', { name: 'Migrate web-01', exact: true });
    await dialog.getByRole('radio', { name: 'xcp-host-03' }).check();
    await dialog.getByRole('button', { name: 'Migrate', exact: true }).click();
    await status.waitLatest('Migrating web-01 to xcp-host-03… 50 %');
    await sim.faults.stopHost('xcp-host-03');
    sim.faults.releaseOperations();
    await status.waitLatest(/Migrating web-01 to xcp-host-03 failed: .*The host it needs is offline\./);
    await status.open();
    await status.entry('Migrating web-01 to xcp-host-03').locator('.state', { hasText: 'Failed (HOST_OFFLINE)' }).waitFor();
    assert.equal(sim.vm('web-01').residentOn, hostOf('xcp-host-02'), 'the VM stayed where it was');
    await app.tree.item('xcp-host-03').locator('.status', { hasText: 'not live' }).waitFor();
    assert.match((await app.tree.item('xcp-host-03').getAttribute('aria-description')) ?? '', /not live/);
    await sim.faults.startHost('xcp-host-03');
  });

  test('porthole vm migrate VM --host H prints progress; the UI shows the VM on its new host', async () => {
    const env = { ...process.env, PORTHOLE_CONFIG_DIR: configDir, PORTHOLE_PASSWORD: sim.password, PORTHOLE_LOG: 'error' };
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'electron/cli/porthole.ts'), 'vm', 'migrate', 'web-01', '--host', 'xcp-host-01', '--pool', 'lab'], { env, cwd: ROOT, timeout: 60_000 });
    assert.match(stdout, /Migrated "web-01" to xcp-host-01: done\./);
    assert.match(stderr, /Migrating web-01 to xcp-host-01… \d+ %/);
    assert.equal(sim.vm('web-01').residentOn, hostOf('xcp-host-01'));
    await select('web-01');
    await props.waitFor('Host', 'xcp-host-01');
    const help = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'electron/cli/porthole.ts'), 'console', '--help'], { env, cwd: ROOT, timeout: 60_000 });
    assert.match(help.stdout, /^usage: porthole console/);
  });

  test('the other shortcuts (Ctrl+R, Ctrl+Shift+R, Ctrl+Y, Ctrl+B resume, Ctrl+E) and Migrate… from the context menu', async () => {
    const press = async (vm: string, keys: string, done: RegExp): Promise<void> => {
      const item = await app.tree.waitForItem(vm);
      await item.click();
      await browser.page.keyboard.press(keys);
      await status.waitLatest(done);
    };
    const consoles = sim.vm('mail-05').consoles.map((c) => c.uuid);
    await press('mail-05', 'Control+r', /^Rebooting mail-05: done\.$/);
    assert.notDeepEqual(sim.vm('mail-05').consoles.map((c) => c.uuid), consoles, 'a reboot rebuilds the domain (new console rows)');
    const again = sim.vm('mail-05').consoles.map((c) => c.uuid);
    await press('mail-05', 'Control+Shift+R', /^Force-rebooting mail-05: done\.$/);
    assert.notDeepEqual(sim.vm('mail-05').consoles.map((c) => c.uuid), again);
    await press('cache-03', 'Control+y', /^Suspending cache-03: done\.$/);
    assert.equal(sim.vm('cache-03').powerState, 'Suspended');
    await press('cache-03', 'Control+b', /^Resuming cache-03: done\.$/);
    assert.equal(sim.vm('cache-03').powerState, 'Running');
    await press('db-02', 'Control+e', /^Shutting down db-02: done\.$/);
    assert.equal(sim.vm('db-02').powerState, 'Halted');
    // A shortcut XAPI does not allow now says why instead of failing at the pool.
    const item = await app.tree.waitForItem('db-02');
    await item.click();
    await browser.page.keyboard.press('Control+e');
    await browser.page.getByText(/db-02 is halted; Shut down needs it running/).first().waitFor();
    // Migrate… from the context menu.
    const web = await app.tree.waitForItem('web-01');
    await web.click({ button: 'right' });
    await browser.page.getByRole('menu', { name: 'Actions for web-01', exact: true }).getByRole('menuitem', { name: 'Migrate…' }).click();
    const dialog = browser.page.getByRole('dialog', { name: 'Migrate web-01', exact: true });
    await dialog.getByRole('radio', { name: 'xcp-host-03' }).check();
    await dialog.getByRole('button', { name: 'Migrate', exact: true }).click();
    await status.waitLatest(/^Migrating web-01 to xcp-host-03: done\.$/);
    assert.equal(sim.vm('web-01').residentOn, hostOf('xcp-host-03'));
  });

  test('pool context menu: Disconnect, then Connect from the notice', async () => {
    const sessions = sim.stats().sessions;
    const pool = await app.tree.waitForItem('lab');
    await pool.click({ button: 'right' });
    await browser.page.getByRole('menu', { name: 'Actions for lab', exact: true }).getByRole('menuitem', { name: 'Disconnect' }).click();
    const notices = new Notices(browser.page);
    await notices.item('lab').filter({ hasText: 'Disconnected.' }).waitFor();
    await waitUntil('the session logged out', 10_000, () => (sim.stats().sessions < sessions ? true : undefined));
    const logins = sim.stats().loginAttempts;
    await notices.item('lab').getByRole('button', { name: 'Connect', exact: true }).click();
    await notices.item('lab').waitFor({ state: 'detached', timeout: 20_000 });
    assert.ok(sim.stats().loginAttempts > logins, 'logged in again');
    await app.tree.waitForItem('cache-03');
  });

  test('a changed certificate blocks the pool: one notice, stale rows, actions disabled; old and new certificate side by side; Trust new certificate re-pins', async () => {
    const master = sim.hosts[0]!;
    const oldFp = master.fingerprint;
    // The certificate the master served when the pool was added, read over TLS here; the pin book
    // records its facts in the background (from host.get_server_certificate): wait for the file.
    const first = await servedCertificate(master.address, master.port);
    assert.equal(first.fingerprint, oldFp);
    const savedMasterPin = (): SavedConfig['pools'][number]['pins'][number] | undefined => config().pools.find((p) => p.name === 'lab')?.pins.find((p) => p.address === master.address);
    await waitUntil('the facts of the first certificate saved', 10_000, () => (savedMasterPin()?.issuer !== undefined ? true : undefined));
    assert.deepEqual(
      { fingerprint: savedMasterPin()?.fingerprint, issuer: savedMasterPin()?.issuer, validFrom: savedMasterPin()?.validFrom, validTo: savedMasterPin()?.validTo },
      { fingerprint: first.fingerprint, issuer: first.issuer, validFrom: first.validFrom, validTo: first.validTo },
    );
    const newFp = await sim.faults.rotateCertificate(master.name);
    // The connection drops and comes back: the new certificate is refused before any login.
    await sim.faults.stopHost(master.name);
    await sim.faults.startHost(master.name);
    const second = await servedCertificate(master.address, master.port);
    assert.equal(second.fingerprint, newFp);
    assert.notEqual(second.validFrom, first.validFrom, 'the new certificate has its own validity, so the columns can be told apart');
    const notices = new Notices(browser.page);
    await notices.item('lab').filter({ hasText: 'has changed' }).waitFor({ timeout: 30_000 });
    assert.equal(await browser.page.getByRole('dialog').count(), 0, 'no modal opens by itself');
    await app.tree.root.locator('[aria-label="cache-03"].stale').waitFor();
    assert.match((await app.tree.item('cache-03').getAttribute('aria-description')) ?? '', /Stale: lab is blocked: the certificate/);
    await select('cache-03');
    assert.equal(await toolbar.enabled('Force shut down'), false);
    assert.match(await toolbar.tooltip('Force shut down'), /lab is blocked: the certificate of .* changed/);
    await notices.item('lab').getByRole('button', { name: 'Details', exact: true }).click();
    const dialog = new CertChangedDialog(browser.page);
    await dialog.root.waitFor();
    assert.equal(await dialog.fingerprint('old'), oldFp);
    assert.equal(await dialog.fingerprint('new'), newFp);
    // Old beside new: the old column is the certificate the simulator served first, the new one what it serves now.
    for (const field of ['subject', 'issuer', 'validFrom', 'validTo'] as const) {
      assert.equal(await dialog.fact('old', field), first[field], `old ${field}`);
      assert.equal(await dialog.fact('new', field), second[field], `new ${field}`);
    }
    assert.equal((await facts.focusedText()).trim(), 'Close', 'trusting is never the default');
    const logins = sim.stats().loginAttempts;
    await dialog.trustButton().click();
    await dialog.root.waitFor({ state: 'detached' });
    await notices.item('lab').waitFor({ state: 'detached', timeout: 30_000 });
    assert.ok(sim.stats().loginAttempts > logins, 'logged in again');
    // The pin book saves in the background: wait for the file to say so (a wrong pin never turns into the new one).
    const savedPin = (): string | undefined => config().pools.find((p) => p.name === 'lab')?.pins.find((p) => p.address === master.address)?.fingerprint;
    await waitUntil('the new pin saved', 10_000, () => (savedPin() === newFp ? true : undefined)).catch(() => undefined);
    assert.equal(savedPin(), newFp);
    await app.tree.root.locator('[aria-label="cache-03"]:not(.stale)').waitFor();
  });

  test('tabs: twins show their pool, All tabs menu only when the strip overflows, keyboard reorder, Reveal in tree', async () => {
    // A second pool whose VMs have the same names.
    await app.addNamedPool('lab2', { address: new URL(sim2.masterUrl).host, username: sim2.user, password: sim2.password });
    await app.tree.item('lab2').waitFor();
    const rows = app.tree.root.locator('[role="treeitem"][aria-label="web-01"]');
    await waitUntil('two web-01 rows', 10_000, async () => ((await rows.count()) === 2 ? true : undefined));
    for (let i = 0; i < 2; i++) {
      await rows.nth(i).click();
      await rows.nth(i).press('Enter');
    }
    await browser.page.getByRole('tab', { name: 'web-01 · lab', exact: true }).waitFor();
    await browser.page.getByRole('tab', { name: 'web-01 · lab2', exact: true }).waitFor();
    // Three tabs fit: no "All tabs" button.
    const allTabs = browser.page.getByRole('button', { name: 'All tabs', exact: true });
    assert.equal(await facts.tabStripOverflows(), false);
    assert.equal(await allTabs.count(), 0, 'no All tabs menu while every tab is in view');
    // A narrow window: the strip overflows, the last tab is out of view, and the menu appears.
    await browser.page.setViewportSize({ width: 560, height: VIEWPORT.height });
    await allTabs.waitFor();
    assert.equal(await facts.tabStripOverflows(), true);
    const last = app.tabs().last();
    const lastName = (await last.getAttribute('aria-label')) ?? '';
    await app.tabs().first().click();
    assert.equal(await facts.inTabStripView(last), false, 'the last tab is scrolled out of view');
    // All tabs menu: pick the last tab; it is selected and scrolled into view.
    await allTabs.click();
    const menu = browser.page.getByRole('menu', { name: 'All tabs', exact: true });
    await menu.getByRole('menuitem', { name: new RegExp(`^${lastName}`) }).click();
    await browser.page.getByRole('tab', { name: lastName, exact: true, selected: true }).waitFor();
    await waitUntil('the chosen tab in view', 5_000, async () => ((await facts.inTabStripView(last)) ? true : undefined));
    // Wide again: everything fits, the button goes.
    await browser.page.setViewportSize(VIEWPORT);
    await allTabs.waitFor({ state: 'detached' });
    assert.equal(await facts.tabStripOverflows(), false);
    const first = (await app.tabs().first().getAttribute('aria-label')) ?? '';
    await app.tabs().first().click();
    await browser.page.getByRole('tab', { name: first, exact: true, selected: true }).waitFor();
    // Keyboard reorder: the focused first tab moves right; the backend saves the new order.
    const uuidsBefore = (await waitUntil('saved tabs', 5_000, () => (config().ui.tabs.length === 3 ? config().ui.tabs : undefined))).map((t) => t.vmUuid);
    await browser.page.getByRole('tab', { name: first, exact: true }).focus();
    await browser.page.keyboard.press('Control+Shift+ArrowRight');
    assert.equal(await app.tabs().nth(1).getAttribute('aria-label'), first);
    await waitUntil('saved order', 5_000, () => (config().ui.tabs[1]?.vmUuid === uuidsBefore[0] ? true : undefined));
    // Reveal in tree: from the tab's context menu; the tree selects and focuses that VM's row.
    const lab2Tab = browser.page.getByRole('tab', { name: 'web-01 · lab2', exact: true });
    await lab2Tab.click({ button: 'right' });
    await browser.page.getByRole('menu', { name: 'Tab web-01 · lab2', exact: true }).getByRole('menuitem', { name: 'Reveal in tree' }).click();
    await waitUntil('the web-01 row focused and selected', 5_000, async () => ((await facts.focusedLabel()) === 'web-01' && (await facts.focusedRowSelected()) ? true : undefined));
    await props.waitFor('UUID', sim2.vm('web-01').uuid);
  });

  test('themes follow the OS and the toggle; collapsed rows are remembered across a reload', async () => {
    const page = browser.page;
    await page.emulateMedia({ colorScheme: 'dark' });
    await waitUntil('dark theme from the OS', 5_000, () => facts.theme().then((t) => (t === 'dark' ? true : undefined)));
    const toggle = page.getByRole('button', { name: 'Theme', exact: true });
    await toggle.click();
    await waitUntil('light theme chosen', 5_000, () => facts.theme().then((t) => (t === 'light' ? true : undefined)));
    await waitUntil('theme saved', 5_000, () => (config().ui.theme === 'light' ? true : undefined));
    await toggle.click();
    await waitUntil('dark theme chosen', 5_000, () => (config().ui.theme === 'dark' ? true : undefined));
    // Collapse a host; after a reload it is still collapsed.
    const host = await app.tree.waitForItem('xcp-host-02');
    await host.click();
    await host.press('ArrowLeft');
    await app.tree.root.locator('[aria-label="xcp-host-02"][aria-expanded="false"]').waitFor();
    await waitUntil('collapsed saved', 5_000, () => ((config().ui.collapsed ?? []).length > 0 ? true : undefined));
    await page.reload();
    await app.tree.root.locator('[aria-label="xcp-host-02"][aria-expanded="false"]').waitFor();
    assert.equal(await facts.theme(), 'dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('Remove pool from its context menu removes it (tree, tabs, saved config)', async () => {
    const item = await app.tree.waitForItem('lab2');
    await item.click({ button: 'right' });
    await browser.page.getByRole('menu', { name: 'Actions for lab2', exact: true }).getByRole('menuitem', { name: 'Remove…' }).click();
    const dialog = browser.page.getByRole('dialog', { name: 'Remove lab2?', exact: true });
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await item.waitFor({ state: 'detached' });
    await browser.page.getByRole('tab', { name: 'web-01 · lab2', exact: true }).waitFor({ state: 'detached' });
    assert.deepEqual(config().pools.map((p) => p.name), ['lab']);
    await waitUntil('the removed pool logged out', 10_000, () => (sim2.stats().sessions === 0 ? true : undefined));
  });
});
