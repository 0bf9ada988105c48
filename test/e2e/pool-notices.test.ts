/**
 * End to end, in headless Chromium through the web harness: the pool actions that need a pool in
 * trouble or a change of its settings — "Retry now" and "Enter password" in the notices above the
 * tree, Edit… from the pool's context menu, and Remove pool… from inside the changed-certificate
 * dialog — each checked on screen and at the simulator (login attempts, live sessions per user) or
 * in the backend's saved config.
 *
 * Last, a pool saved by `porthole pool add` without a trusted certificate: Connect from its menu,
 * Enter password, Review certificate and Trust, with a harness started on that config.
 *
 * The harness runs with a ten-minute reconnect back-off, so a pool that lost its host comes back only
 * when the user presses "Retry now": the test tells the button's effect from the timer's without
 * looking at a clock. The tests build on each other, in order.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSimulator } from '../../electron/sim/index';
import type { Simulator } from '../../electron/sim/types';
import { needTools } from '../support/tools';
import type { AppPage } from './pages/app';
import { CertChangedDialog, Notices } from './pages/workspace';
import { startAppRig, type AppRig } from './rig';
import { ROOT, waitUntil, type BrowserSession } from './support';

const run = promisify(execFile);

/** Reconnect back-off of the harness, ms: longer than any test, so only "Retry now" reconnects. */
const BACKOFF_MS = 10 * 60_000;

interface SavedConfig {
  pools: { name: string; address: string; username: string; pins: { address: string; fingerprint: string }[] }[];
}

describe('pool notices (Retry now, Enter password, Review certificate), Edit… and Remove from the changed-certificate dialog', { skip: needTools('chromium') }, () => {
  let sim: Simulator;
  let rig: AppRig;
  let browser: BrowserSession;
  let app: AppPage;
  let notices: Notices;
  /** root's password at the simulator (the password test changes it). */
  let rootPassword = '';

  const config = (): SavedConfig => (rig.savedConfig() as SavedConfig | undefined) ?? { pools: [] };
  const master = (): Simulator['hosts'][number] => sim.hosts[0]!;
  /** Waits until the pool's rows are shown as stale (true) or live (false). */
  const rowsStale = (stale: boolean): Promise<void> => app.tree.root.locator(`[aria-label="web-01"]${stale ? '.stale' : ':not(.stale)'}`).waitFor({ timeout: 30_000 });
  /** Stops the master and waits until the pool is in its long back-off (the notice offers "Retry now"). */
  const loseTheMaster = async (pool: string): Promise<void> => {
    await sim.faults.stopHost(master().name);
    await notices.item(pool).filter({ hasText: /next try in \d{3,} s/ }).getByRole('button', { name: 'Retry now', exact: true }).waitFor({ timeout: 30_000 });
  };

  before(async () => {
    sim = await startSimulator({ hosts: 2, vms: 10, vnc: 'synthetic', firstAddress: '127.0.0.51' });
    rootPassword = sim.password;
    rig = await startAppRig({ timing: { backoffBaseMs: BACKOFF_MS, backoffCapMs: BACKOFF_MS } });
    ({ browser, app } = rig);
    notices = new Notices(browser.page);
  });

  after(async () => {
    await rig?.stop();
    await sim?.stop();
  });

  test('adds the pool', async () => {
    await app.addNamedPool('lab', { address: new URL(sim.masterUrl).host, username: sim.user, password: sim.password });
    await app.tree.waitForItem('web-01');
    // Member pins come in the background: the failover and Edit tests need the member's.
    await waitUntil('both hosts pinned', 10_000, () => (config().pools[0]?.pins.length === 2 ? true : undefined));
  });

  test('"Retry now" in the notices reconnects a pool whose master came back', async () => {
    await loseTheMaster('lab');
    await rowsStale(true);
    await sim.faults.startHost(master().name);
    // (The old session still lives at the pool: its master only stopped answering for a while.)
    const { loginAttempts: logins, sessions } = sim.stats();
    await notices.item('lab').getByRole('button', { name: 'Retry now', exact: true }).click();
    await notices.item('lab').waitFor({ state: 'detached', timeout: 30_000 });
    await rowsStale(false);
    assert.ok(sim.stats().loginAttempts > logins, 'the button logged in at once');
    assert.equal(sim.stats().sessions, sessions + 1, 'one new session at the pool');
  });

  test('"Enter password": a password changed at the pool is asked for; a wrong one is refused, the right one connects', async () => {
    const changed = 'changed-at-the-pool';
    sim.addUser(sim.user, changed, 'pool-admin');
    rootPassword = changed;
    // The toolstack restarts: the session dies, the login with the old password is rejected.
    sim.faults.expireSessions();
    const item = notices.item('lab');
    const enter = item.getByRole('button', { name: 'Enter password', exact: true });
    await enter.waitFor({ timeout: 10_000 }).catch(async (e: unknown) => {
      throw new Error(`${String(e)}\n${await notices.root.textContent()}`);
    });
    assert.match((await item.textContent()) ?? '', /rejected the user name or password/);
    assert.equal(await browser.page.getByRole('dialog').count(), 0, 'no modal opens by itself');
    await rowsStale(true);
    const dialog = browser.page.getByRole('dialog', { name: 'Password for lab', exact: true });
    // A wrong password: one more login at the pool, refused, and the notice asks again.
    let logins = sim.stats().loginAttempts;
    await enter.click();
    await dialog.getByLabel('Password', { exact: true }).fill('still-the-old-one');
    await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await waitUntil('the wrong password tried', 10_000, () => (sim.stats().loginAttempts > logins ? true : undefined));
    await enter.waitFor({ timeout: 30_000 });
    assert.equal(sim.stats().sessions, 0);
    // The right one: connected, one session at the pool.
    logins = sim.stats().loginAttempts;
    await enter.click();
    await dialog.getByLabel('Password', { exact: true }).fill(changed);
    await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
    await item.waitFor({ state: 'detached', timeout: 30_000 });
    await rowsStale(false);
    assert.ok(sim.stats().loginAttempts > logins);
    assert.equal(sim.stats().sessionsByUser[sim.user], 1);
  });

  test('Edit… from the context menu: a new name, address and user are saved and the pool logs in as that user', async () => {
    sim.addUser('ops', 'ops-secret', 'pool-admin');
    const member = sim.hosts[1]!;
    const pool = await app.tree.waitForItem('lab');
    await pool.click({ button: 'right' });
    await browser.page.getByRole('menu', { name: 'Actions for lab', exact: true }).getByRole('menuitem', { name: 'Edit…' }).click();
    const dialog = browser.page.getByRole('dialog', { name: 'Edit lab', exact: true });
    assert.equal(await dialog.getByLabel('Address', { exact: true }).inputValue(), new URL(sim.masterUrl).host, 'the dialog starts from the saved pool');
    assert.equal(await dialog.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is never sent back to the page');
    await dialog.getByLabel('Name (optional)').fill('lab-ops');
    // The member's address: it answers HOST_IS_SLAVE and the pool follows it to the master.
    await dialog.getByLabel('Address', { exact: true }).fill(`${member.address}:${member.port}`);
    await dialog.getByLabel('Username', { exact: true }).fill('ops');
    await dialog.getByLabel('Password', { exact: true }).fill('ops-secret');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await app.tree.waitForItem('lab-ops');
    await waitUntil('a session as ops, none as root', 20_000, () => {
      const byUser = sim.stats().sessionsByUser;
      return byUser.ops === 1 && (byUser[sim.user] ?? 0) === 0 ? true : undefined;
    });
    await rowsStale(false);
    const saved = config().pools[0];
    assert.deepEqual({ name: saved?.name, address: saved?.address, username: saved?.username }, { name: 'lab-ops', address: `${member.address}:${member.port}`, username: 'ops' });
    assert.doesNotMatch(JSON.stringify(rig.savedConfig()), /ops-secret/, 'no password in clear in the config');
  });

  test('Remove pool… from inside the changed-certificate dialog removes the blocked pool', async () => {
    await loseTheMaster('lab-ops');
    const oldFp = master().fingerprint;
    const newFp = await sim.faults.rotateCertificate(master().name);
    await sim.faults.startHost(master().name);
    const logins = sim.stats().loginAttempts;
    await notices.item('lab-ops').getByRole('button', { name: 'Retry now', exact: true }).click();
    await notices.item('lab-ops').filter({ hasText: 'has changed' }).getByRole('button', { name: 'Details', exact: true }).click();
    const dialog = new CertChangedDialog(browser.page);
    await dialog.root.waitFor();
    assert.equal(await dialog.fingerprint('old'), oldFp);
    assert.equal(await dialog.fingerprint('new'), newFp);
    assert.equal(sim.stats().loginAttempts, logins, 'the changed certificate was refused before any login');
    const { sessions } = sim.stats();
    await dialog.root.getByRole('button', { name: 'Remove pool…', exact: true }).click();
    const confirm = browser.page.getByRole('dialog', { name: 'Remove lab-ops?', exact: true });
    await confirm.getByRole('button', { name: 'Remove', exact: true }).click();
    await confirm.waitFor({ state: 'detached' });
    await app.tree.item('lab-ops').waitFor({ state: 'detached' });
    await notices.root.waitFor({ state: 'detached' });
    assert.deepEqual(config().pools, []);
    assert.equal(sim.stats().sessions, sessions, 'no session was opened');
    assert.equal(await browser.page.getByRole('dialog').count(), 0, 'no dialog is left open');
  });

  test('a pool added with the CLI (no certificate trusted, no password kept): Connect from its menu, Enter password, Review certificate, Trust', async () => {
    // `porthole pool add` without --trust-*: the pool is saved with no pin; the harness starts on that config.
    const dir = mkdtempSync(join(tmpdir(), 'porthole-e2e-cli-'));
    const env = { ...process.env, PORTHOLE_CONFIG_DIR: dir, PORTHOLE_LOG: 'error' };
    const added = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'electron/cli/porthole.ts'), 'pool', 'add', '--name', 'cli', '--address', new URL(sim.masterUrl).host, '--user', sim.user], { env, cwd: ROOT, timeout: 60_000 });
    assert.match(added.stdout, /not trusted yet/);
    await rig.stop();
    rig = await startAppRig({ configDir: dir, timing: { backoffBaseMs: BACKOFF_MS, backoffCapMs: BACKOFF_MS } });
    ({ browser, app } = rig);
    notices = new Notices(browser.page);
    const item = notices.item('cli');
    await item.filter({ hasText: 'Disconnected.' }).waitFor();
    const pool = await app.tree.waitForItem('cli');
    await pool.click({ button: 'right' });
    await browser.page.getByRole('menu', { name: 'Actions for cli', exact: true }).getByRole('menuitem', { name: 'Connect', exact: true }).click();
    // No password is kept: asked for before anything is sent.
    const logins = sim.stats().loginAttempts;
    await item.getByRole('button', { name: 'Enter password', exact: true }).click();
    const dialog = browser.page.getByRole('dialog', { name: 'Password for cli', exact: true });
    await dialog.getByLabel('Password', { exact: true }).fill(rootPassword);
    await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
    // The certificate is not trusted yet: shown for review, still before any login.
    await item.getByRole('button', { name: 'Review certificate', exact: true }).click();
    assert.ok((await app.trustDialog.text()).includes(master().fingerprint), "the dialog shows the master's fingerprint");
    assert.equal(sim.stats().loginAttempts, logins, 'nothing was sent to an untrusted host');
    const sessions = sim.stats().sessions;
    await app.trustDialog.trust();
    await item.waitFor({ state: 'detached', timeout: 30_000 });
    await rowsStale(false);
    assert.equal(sim.stats().sessions, sessions + 1, 'logged in once trusted');
    // The config is written in the background (atomic write, fsync): wait for the file to hold the pin.
    const pin = await waitUntil('the trusted pin in config.json', 10_000, () => (rig.savedConfig() as SavedConfig).pools[0]?.pins.find((p) => p.address === master().address));
    assert.deepEqual({ fingerprint: pin.fingerprint, source: (pin as { source?: string }).source }, { fingerprint: master().fingerprint, source: 'user' });
  });
});
