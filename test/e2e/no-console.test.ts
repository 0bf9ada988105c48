/**
 * End to end, in headless Chromium through the web harness: a running VM with no console rows — as
 * a real pool's database has them (`interesting-development.xml` from XenCenter's test suite, where
 * several running VMs list no consoles) — says so plainly in its tab, with no spinner and no CONNECT
 * sent, and attaches by itself once xapi gives it a console (a reboot makes new console rows).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator } from '../../electron/sim/index';
import type { Simulator } from '../../electron/sim/types';
import { needTools } from '../support/tools';
import { Toolbar } from './pages/workspace';
import { startAppRig, type AppRig } from './rig';
import { ROOT, waitUntil } from './support';

/** The dump: a real pool whose running VMs "Build services" and others have no console rows. */
const DUMP = join(ROOT, '..', 'shared', 'fixtures', 'xapi-db', 'interesting-development.xml');
/** A running VM of that dump without a console. */
const VM = 'Build services';

const skip = needTools('chromium') || (existsSync(DUMP) ? false : `the shared dump ${DUMP} is absent`);

describe('a running VM without console rows', { skip }, () => {
  let sim: Simulator;
  let rig: AppRig;

  before(async () => {
    sim = await startSimulator({ db: DUMP, vnc: 'synthetic', firstAddress: '127.0.0.61', powerOpMs: 200 });
    rig = await startAppRig();
    await rig.app.addNamedPool('dev', { address: new URL(sim.masterUrl).host, username: sim.user, password: sim.password });
  });

  after(async () => {
    await rig?.stop();
    await sim?.stop();
  });

  test('its tab says it has no console (no spinner, no CONNECT), and attaches when a reboot gives it one', async () => {
    const { app, browser } = rig;
    const vm = sim.vm(VM);
    assert.deepEqual({ power: vm.powerState, consoles: vm.consoles }, { power: 'Running', consoles: [] }, 'the dump has it running without consoles');
    const row = await app.tree.waitForItem(VM);
    await row.click();
    const toolbar = new Toolbar(browser.page);
    await toolbar.root.and(browser.page.locator(`[aria-description="Actions for ${VM}"]`)).waitFor();
    assert.equal(await toolbar.enabled('Open console'), false);
    assert.match(await toolbar.tooltip('Open console'), /reports no console/);
    // Enter opens a tab anyway: it states what is wrong instead of spinning.
    await row.press('Enter');
    const tab = app.tab(VM);
    await tab.waitForState('no-console');
    const panel = tab.visiblePanel();
    await panel.getByText(`${VM} has no console here`).waitFor();
    assert.match((await panel.textContent()) ?? '', /running but reports no console of this kind/);
    assert.equal(await panel.locator('.spinner').count(), 0, 'no spinner');
    assert.equal(sim.stats().connectsByVm[vm.uuid], undefined, 'no CONNECT was sent for it');
    // A reboot makes new console rows (xapi recreates the domain's consoles): the tab attaches by itself.
    await sim.act(VM, 'hard_reboot');
    assert.equal(sim.vm(VM).consoles.length > 0, true);
    await tab.waitForState('connected');
    await waitUntil('a CONNECT answered 200 for it', 10_000, () => ((sim.stats().connectsByVm[vm.uuid]?.['200'] ?? 0) > 0 ? true : undefined));
  });
});
