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
import type { Locator } from 'playwright-core';
import { startSimulator } from '../../electron/sim/index';
import type { Simulator } from '../../electron/sim/types';
import { startHarness, type Harness } from '../../electron/core/harness/server';
import { needTools } from '../support/tools';
import { holdConsoleAs } from '../core/helpers';
import { AppPage } from './pages/app';
import { CertChangedDialog, Notices, PageFacts, PropertiesPane, StatusBar, TOOLBAR, Toolbar, type ToolbarCommand } from './pages/workspace';
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
  /** Runs a toolbar action on a VM with operations held at `progress`; returns its entry in the opened operations list. */
  const runHeld = async (progress: number, vm: string, button: ToolbarCommand, label: string): Promise<Locator> => {
    sim.faults.holdOperations(progress);
    await select(vm);
    await toolbar.run(button);
    await status.open();
    return status.entry(label);
  };
  /** Waits until the simulator reports `state` for the VM. */
  const simPower = (vm: string, state: string): Promise<true> => waitUntil(`${vm} ${state} at the simulator`, 20_000, () => (sim.vm(vm).powerState === state ? true : undefined));
  /** The first tree row named `name`: lab's, where lab2 has a VM of the same name. */
  const labRow = (name: string): Locator => app.tree.root.locator(`[role="treeitem"][aria-label="${name}"]`).first();
  /** Waits until the tree shows the power state. */
  const treePower = (vm: string, state: string): Promise<void> => app.tree.root.locator(`[role="treeitem"][aria-label="${vm}"][aria-description^="${state}"]`).first().waitFor({ timeout: 20_000 });

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
    // Back returns to the form (nothing sent); Connect again shows the certificate again.
    await app.trustDialog.root.getByRole('button', { name: 'Back', exact: true }).click();
    await app.poolDialog.root.getByRole('button', { name: 'Connect', exact: true }).click();
    await app.trustDialog.text();
    assert.equal(sim.stats().loginAttempts, loginsBefore, 'nothing was sent before Trust');
    await app.trustDialog.trustButton.click();
    await app.poolDialog.root.getByRole('alert').filter({ hasText: /rejected/ }).waitFor();
    assert.ok(sim.stats().loginAttempts > loginsBefore, 'the login reached the simulator');
    assert.equal(config().pools.length, 0, 'a pool that rejects the password is not kept');
    await app.poolDialog.root.getByRole('button', { name: 'Cancel', exact: true }).click();
    await app.poolDialog.root.waitFor({ state: 'detached' });
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
    const entry = await runHeld(0.3, 'cache-03', 'Shut down', 'Shutting down cache-03');
    await entry.locator('button[aria-disabled="false"]', { hasText: 'Cancel' }).waitFor();
    await entry.getByRole('button', { name: 'Cancel', exact: true }).click();
    await entry.locator('.state', { hasText: 'cancelled' }).waitFor({ timeout: 5000 }).catch(async (e: unknown) => {
      throw new Error(`${String(e)}\n${await status.list.innerHTML()}\n${await status.latest.textContent()}`);
    });
    assert.equal(sim.vm('cache-03').powerState, 'Running', 'the VM did not shut down');
    assert.deepEqual(sim.vm('cache-03').currentOperations, {});
    sim.faults.releaseOperations();
  });

  test('Cancel is disabled once XAPI no longer allows it (the task at 90 % has no cancel in allowed_operations)', async () => {
    const entry = await runHeld(0.9, 'dns-06', 'Reboot', 'Rebooting dns-06');
    await entry.locator('.state', { hasText: '90 %' }).waitFor();
    const [taskRef] = Object.keys(sim.vm('dns-06').currentOperations);
    const task = sim.task(taskRef ?? '');
    assert.deepEqual({ progress: task?.progress, cancellable: task?.cancellable }, { progress: 0.9, cancellable: false }, 'the simulator task is past the point of no return');
    const cancel = entry.getByRole('button', { name: 'Cancel', exact: true });
    await entry.locator('button[aria-disabled="true"]', { hasText: 'Cancel' }).waitFor();
    assert.match((await cancel.getAttribute('title')) ?? '', /XAPI does not allow cancelling it/);
    await cancel.click({ force: true }); // aria-disabled: a user can still click it
    assert.equal(sim.task(taskRef ?? '')?.status, 'pending', 'nothing was cancelled');
    sim.faults.releaseOperations();
    await entry.locator('.state', { hasText: 'success' }).waitFor();
    assert.equal(sim.vm('dns-06').powerState, 'Running');
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

  test("Migrate…'s Cancel moves nothing; the pool's Overview shows its VMs' screens", async () => {
    const home = sim.vm('web-01').residentOn;
    await select('web-01');
    await toolbar.run('Migrate…');
    const dialog = browser.page.getByRole('dialog', { name: 'Migrate web-01', exact: true });
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.deepEqual({ host: sim.vm('web-01').residentOn, ops: sim.vm('web-01').currentOperations }, { host: home, ops: {} });
    // The pool's context menu → Overview: a wall of that pool, with a live picture of a running VM.
    const pictures = sim.stats().connectsByVm[sim.vm('cache-03').uuid]?.['200'] ?? 0;
    await (await app.tree.waitForItem('lab')).click({ button: 'right' });
    await browser.page.getByRole('menu', { name: 'Actions for lab', exact: true }).getByRole('menuitem', { name: 'Overview', exact: true }).click();
    await app.overview.grid.waitFor();
    assert.equal(await app.overview.title(), 'Overview of lab');
    await app.overview.waitForState('cache-03', 'live');
    assert.ok((sim.stats().connectsByVm[sim.vm('cache-03').uuid]?.['200'] ?? 0) > pictures, 'the picture came over a CONNECT');
    await app.overview.close();
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
    // Close decides nothing: the pool stays blocked and nothing is sent.
    await dialog.root.getByRole('button', { name: 'Close', exact: true }).click();
    await dialog.root.waitFor({ state: 'detached' });
    await notices.item('lab').filter({ hasText: 'has changed' }).getByRole('button', { name: 'Details', exact: true }).click();
    await dialog.root.waitFor();
    assert.equal(sim.stats().loginAttempts, logins, 'closing the dialog sent nothing');
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

  test('tab shortcuts and the tab menu: Ctrl+PageDown/PageUp switch (and wrap), End/Home/arrows and Ctrl+(Shift+)Tab move, Move right/left and drag and drop reorder (saved), Close ends the tunnel', async () => {
    const page = browser.page;
    const names = async (): Promise<string[]> => {
      const out: string[] = [];
      for (let i = 0; i < (await app.tabs().count()); i++) out.push((await app.tabs().nth(i).getAttribute('aria-label')) ?? '');
      return out;
    };
    const selected = (name: string): Promise<void> => page.getByRole('tab', { name, exact: true, selected: true }).waitFor();
    const order = await names();
    assert.equal(order.length, 3);
    await page.getByRole('tab', { name: order[0], exact: true }).click();
    await selected(order[0]!);
    for (const [keys, expect] of [['Control+PageDown', 1], ['Control+PageDown', 2], ['Control+PageDown', 0], ['Control+PageUp', 2], ['Control+PageUp', 1]] as const) {
      await page.keyboard.press(keys);
      await selected(order[expect]!).catch((e: unknown) => {
        throw new Error(`${keys}: ${String(e)}`);
      });
    }
    // The selected console takes the keyboard once it is connected (the shortcuts above work from
    // there too); the strip's own keys, and Ctrl+Tab (which a console that has the keyboard keeps
    // for the guest), are pressed on the selected tab after that.
    let current = order[1]!;
    for (const [key, expect] of [['End', 2], ['Home', 0], ['ArrowRight', 1], ['ArrowLeft', 0], ['Control+Tab', 1], ['Control+Shift+Tab', 0]] as const) {
      await app.tab(current).waitForState('connected');
      await page.getByRole('tab', { name: current, exact: true }).press(key);
      await selected(order[expect]!);
      current = order[expect]!;
    }
    // Move right, then Move left, from the tab's menu: the order on screen and in the saved config.
    const saved = (): string[] => config().ui.tabs.map((t) => t.vmUuid);
    const savedBefore = saved();
    const tabMenu = async (name: string, item: string): Promise<void> => {
      await page.getByRole('tab', { name, exact: true }).click({ button: 'right' });
      await page.getByRole('menu', { name: `Tab ${name}`, exact: true }).getByRole('menuitem', { name: item, exact: true }).click();
    };
    await tabMenu(order[0]!, 'Move right');
    assert.deepEqual(await names(), [order[1], order[0], order[2]]);
    await waitUntil('the moved order saved', 5_000, () => (saved()[1] === savedBefore[0] ? true : undefined));
    await tabMenu(order[0]!, 'Move left');
    assert.deepEqual(await names(), order);
    await waitUntil('the order saved back', 5_000, () => (JSON.stringify(saved()) === JSON.stringify(savedBefore) ? true : undefined));
    // Drag and drop: the first tab dropped on the right half of the last one goes last.
    const lastBox = await page.getByRole('tab', { name: order[2], exact: true }).boundingBox();
    assert.ok(lastBox !== null);
    await page.getByRole('tab', { name: order[0], exact: true }).dragTo(page.getByRole('tab', { name: order[2], exact: true }), { targetPosition: { x: lastBox.width - 4, y: lastBox.height / 2 } });
    assert.deepEqual(await names(), [order[1], order[2], order[0]]);
    await waitUntil('the dropped order saved', 5_000, () => (saved()[2] === savedBefore[0] ? true : undefined));
    await tabMenu(order[0]!, 'Move left');
    await tabMenu(order[0]!, 'Move left');
    assert.deepEqual(await names(), order);
    // Close from the menu: the tab goes, and so does its console tunnel at the simulator.
    const vpn = app.tab('vpn-07');
    await vpn.select();
    await vpn.waitForState('connected');
    const tunnels = sim.stats().consoleTunnels;
    await tabMenu('vpn-07', 'Close');
    await vpn.tab.waitFor({ state: 'detached' });
    await waitUntil('the tunnel closed', 10_000, () => (sim.stats().consoleTunnels < tunnels ? true : undefined));
    await waitUntil('two tabs saved', 5_000, () => (config().ui.tabs.length === 2 ? true : undefined));
  });

  test('opening and closing consoles from the tree: context menu, double-click, type-ahead + Enter, Shift+F10, text and host consoles, Delete and ×', async () => {
    const page = browser.page;
    const ok = (): number => sim.stats().connectsByStatus['200'] ?? 0;
    const okFor = (vm: string): number => sim.stats().connectsByVm[sim.vm(vm).uuid]?.['200'] ?? 0;
    // Context menu → Open console.
    let before = okFor('vpn-07');
    await labRow('vpn-07').click({ button: 'right' });
    await page.getByRole('menu', { name: 'Actions for vpn-07', exact: true }).getByRole('menuitem', { name: 'Open console', exact: true }).click();
    await app.tab('vpn-07').waitForState('connected');
    assert.ok(okFor('vpn-07') > before, 'one more CONNECT for vpn-07');
    // × closes it; type-ahead and Enter open it again.
    await page.getByRole('button', { name: 'Close vpn-07', exact: true }).click();
    await app.tab('vpn-07').tab.waitFor({ state: 'detached' });
    // From lab's row, the first "vpn…" row is lab's vpn-07.
    await app.tree.item('lab').click();
    await page.keyboard.type('vpn');
    await waitUntil('type-ahead on vpn-07', 5_000, async () => ((await facts.focusedLabel()) === 'vpn-07' ? true : undefined));
    before = okFor('vpn-07');
    await page.keyboard.press('Enter');
    await app.tab('vpn-07').waitForState('connected');
    assert.ok(okFor('vpn-07') > before);
    // Delete on the focused tab closes it: lab's web-01 goes, lab2's twin is plain "web-01" again.
    const labWeb = page.getByRole('tab', { name: 'web-01 · lab', exact: true });
    await labWeb.press('Delete');
    await labWeb.waitFor({ state: 'detached' });
    await page.getByRole('tab', { name: 'web-01', exact: true }).waitFor();
    // Double-click opens (the first web-01 row is lab's): the twins are told apart again.
    await app.tree.root.locator('[role="treeitem"][aria-label="web-01"]').first().dblclick();
    await page.getByRole('tab', { name: 'web-01 · lab', exact: true }).waitFor();
    await page.getByRole('tab', { name: 'web-01 · lab2', exact: true }).waitFor();
    // Shift+F10 on a focused row opens its menu; Open text console on a PV guest (rfb + vt100).
    const cache = labRow('cache-03');
    await cache.click();
    await cache.press('Shift+F10');
    const menu = page.getByRole('menu', { name: 'Actions for cache-03', exact: true });
    before = okFor('cache-03');
    await menu.getByRole('menuitem', { name: 'Open text console', exact: true }).click();
    await app.tab('cache-03').waitForState('connected');
    assert.ok(okFor('cache-03') > before, 'the text console was CONNECTed');
    assert.equal(sim.vm('cache-03').consoles.some((c) => c.protocol === 'vt100'), true);
    await page.getByRole('button', { name: 'Close cache-03', exact: true }).click();
    // A host's menu → Open host console: the dom0 console.
    before = ok();
    await (await app.tree.waitForItem('xcp-host-02')).click({ button: 'right' });
    await page.getByRole('menu', { name: 'Actions for xcp-host-02', exact: true }).getByRole('menuitem', { name: 'Open host console', exact: true }).click();
    const hostTab = page.getByRole('tab', { name: /xcp-host-02/ });
    await hostTab.waitFor();
    await waitUntil('the dom0 console CONNECTed', 10_000, () => (ok() > before ? true : undefined));
    await hostTab.click({ button: 'right' });
    await page.getByRole('menu', { name: /^Tab .*xcp-host-02/ }).getByRole('menuitem', { name: 'Close', exact: true }).click();
    await hostTab.waitFor({ state: 'detached' });
    await waitUntil('three tabs saved (vpn-07 and the web-01 twins)', 5_000, () => (config().ui.tabs.length === 3 ? true : undefined));
  });

  test('the tree from the keyboard: the filter box, Home/End, * expands, and the splitter resizes (saved)', async () => {
    const page = browser.page;
    await app.tree.filterBox().fill('vpn');
    await labRow('db-02').waitFor({ state: 'detached' });
    await labRow('vpn-07').waitFor();
    await app.tree.filterBox().fill('');
    await labRow('db-02').waitFor();
    // Collapse a host, then * on a sibling expands every sibling again.
    const host = await app.tree.waitForItem('xcp-host-03');
    await host.click();
    await host.press('ArrowLeft');
    await app.tree.root.locator('[aria-label="xcp-host-03"][aria-expanded="false"]').waitFor();
    await (await app.tree.waitForItem('xcp-host-02')).press('*');
    await app.tree.root.locator('[aria-label="xcp-host-03"][aria-expanded="true"]').waitFor();
    await page.keyboard.press('Home');
    assert.equal(await facts.focusedLabel(), 'lab');
    await page.keyboard.press('End');
    assert.equal(await facts.focusedLabel(), (await app.tree.root.locator('[role="treeitem"]').last().getAttribute('aria-label')) ?? '');
    // The splitter: two steps right, the width is saved.
    const splitter = page.getByRole('separator', { name: 'Resize the tree', exact: true });
    const width = Number(await splitter.getAttribute('aria-valuenow'));
    await splitter.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await waitUntil('the wider tree saved', 5_000, () => ((config().ui as { treeWidth?: number }).treeWidth === width + 32 ? true : undefined));
    assert.equal(Number(await splitter.getAttribute('aria-valuenow')), width + 32);
  });

  test("a halted VM's tab offers Start: it starts the VM at the simulator and the tab attaches", async () => {
    assert.equal(sim.vm('db-02').powerState, 'Halted');
    await labRow('db-02').click();
    await labRow('db-02').press('Enter');
    const tab = app.tab('db-02');
    await tab.waitForState('not-running');
    await tab.visiblePanel().getByRole('button', { name: 'Start', exact: true }).click();
    await simPower('db-02', 'Running');
    await tab.waitForState('connected');
    await treePower('db-02', 'Running');
    await browser.page.getByRole('button', { name: 'Close db-02', exact: true }).click();
  });

  test("a console another user holds (503) names them and is not retried by itself; Reconnect attaches once it is free", async () => {
    const uuid = sim.vm('mail-05').uuid;
    const connects = (status: string): number => sim.stats().connectsByVm[uuid]?.[status] ?? 0;
    const holder = await holdConsoleAs(sim, 'alice', uuid);
    sim.faults.limitConsoleSessions(true);
    try {
      await labRow('mail-05').click();
      await labRow('mail-05').press('Enter');
      const tab = app.tab('mail-05');
      await tab.waitForState('disconnected');
      const panel = tab.visiblePanel();
      assert.match((await panel.textContent()) ?? '', /alice/, 'the tab says who has the console');
      assert.doesNotMatch((await panel.textContent()) ?? '', /Trying again/, 'no automatic retry: it cannot help');
      assert.equal(connects('503'), 1);
    } finally {
      sim.faults.limitConsoleSessions(false);
      await holder.release();
    }
    const taken = connects('200');
    await app.tab('mail-05').visiblePanel().getByRole('button', { name: 'Reconnect', exact: true }).click();
    await app.tab('mail-05').waitForState('connected');
    assert.equal(connects('200'), taken + 1, 'Reconnect made one CONNECT');
    await browser.page.getByRole('button', { name: 'Close mail-05', exact: true }).click();
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
