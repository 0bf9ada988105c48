/**
 * The 10,000-VM pool in headless Chromium (64 hosts, simulator in process, synthetic consoles): the
 * tree holds every row but only those in view are in the DOM; End reaches the last of the 10,065 rows
 * and Home the first, PageDown moves a page, the arrow keys step; the filter finds one VM among
 * 10,000 (with its host and pool) and clearing it brings every row back; Ctrl+B on the last row starts that VM at the simulator,
 * and the row shows Running with the focus still on it (it moved under its host).
 * Correctness only: speed is the UI bench's job (`npm run bench -- ui`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, type Harness } from '../../electron/core/harness/server';
import { startSimulator } from '../../electron/sim/index';
import type { Simulator } from '../../electron/sim/types';
import { needTools } from '../support/tools';
import { AppPage } from './pages/app';
import { ensureFreshRenderer, launchBrowser, waitUntil, type BrowserSession } from './support';

const skip = needTools('chromium');

const HOSTS = 64;
const VMS = 10_000;
/** Pool row + host rows + VM rows (control domains are their host's row). */
const ROWS = 1 + HOSTS + VMS;
/** Loading 10,000 VMs on a loaded CI machine, ms (a bound for waiting, not a speed check). */
const LOAD_TIMEOUT_MS = 120_000;

describe('a 10,000-VM pool in the tree', { skip }, () => {
  let sim: Simulator;
  let harness: Harness;
  let browser: BrowserSession;
  let app: AppPage;
  let configDir: string;

  /** Rows the tree holds (in the DOM or not). */
  const rowCount = async (): Promise<number> => Number(await app.tree.root.getAttribute('data-row-count'));
  /** The focused row: its index among all rows, name, level, position and description. */
  const focused = async (): Promise<{ index: number; name: string; level: number; pos: number; size: number; description: string }> => {
    const facts: unknown = await browser.page.evaluate(`(() => {
      const e = document.activeElement;
      if (e === null || e.getAttribute('role') !== 'treeitem') return undefined;
      return { index: Number(e.dataset.index), name: e.getAttribute('aria-label'), level: Number(e.getAttribute('aria-level')),
        pos: Number(e.getAttribute('aria-posinset')), size: Number(e.getAttribute('aria-setsize')), description: e.getAttribute('aria-description') ?? '' };
    })()`);
    if (facts === undefined) throw new Error('no tree row has the focus');
    return facts as Awaited<ReturnType<typeof focused>>;
  };
  /** True when the focused row is inside the scroller's visible area. */
  const focusedInView = async (): Promise<boolean> =>
    (await browser.page.evaluate(`(() => {
      const row = document.activeElement.getBoundingClientRect();
      const view = document.activeElement.closest('.scroller').getBoundingClientRect();
      return row.top >= view.top - 1 && row.bottom <= view.bottom + 1;
    })()`)) === true;

  before(async () => {
    ensureFreshRenderer();
    sim = await startSimulator({ hosts: HOSTS, vms: VMS, vnc: 'synthetic', powerOpMs: 1 });
    configDir = mkdtempSync(join(tmpdir(), 'porthole-e2e-big-'));
    harness = await startHarness({ port: 0, configDir, demo: false });
    browser = await launchBrowser();
    app = new AppPage(browser.page);
    await app.open(harness.url);
    await app.addPool({ address: new URL(sim.masterUrl).host, username: sim.user, password: sim.password });
    await app.trustDialog.trust();
    await waitUntil('every row in the tree', LOAD_TIMEOUT_MS, async () => ((await rowCount()) === ROWS ? true : undefined), 250);
  });

  after(async () => {
    await browser?.close();
    await harness?.close();
    await sim?.stop();
    if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
  });

  test('only the rows in view are in the DOM; End, Home, PageDown and the arrows reach every row', async () => {
    const inDom = await app.tree.root.getByRole('treeitem').count();
    assert.ok(inDom > 10 && inDom < 200, `${inDom} rows in the DOM for ${ROWS} rows`);
    await app.tree.root.getByRole('treeitem').first().click();
    assert.equal((await focused()).index, 0);

    await browser.page.keyboard.press('End');
    await waitUntil('the last row focused', 10_000, async () => ((await focused()).index === ROWS - 1 ? true : undefined));
    const last = await focused();
    assert.equal(last.level, 2, 'the last row is a halted or suspended VM under the pool');
    assert.equal(last.pos, last.size, 'and the last of its siblings');
    await waitUntil('the last row in view', 10_000, async () => ((await focusedInView()) ? true : undefined));
    assert.ok((await app.tree.root.getByRole('treeitem').count()) < 200, 'still only the rows in view');

    await browser.page.keyboard.press('ArrowUp');
    await waitUntil('the row above focused', 10_000, async () => ((await focused()).index === ROWS - 2 ? true : undefined));
    await browser.page.keyboard.press('Home');
    await waitUntil('the first row focused', 10_000, async () => ((await focused()).index === 0 ? true : undefined));
    assert.equal((await focused()).level, 1);
    await browser.page.keyboard.press('PageDown');
    const paged = await waitUntil('a page down', 10_000, async () => {
      const f = await focused();
      return f.index > 1 ? f : undefined;
    });
    await waitUntil('the paged-to row in view', 10_000, async () => ((await focusedInView()) ? true : undefined));
    await browser.page.keyboard.press('ArrowDown');
    await waitUntil('one row further', 10_000, async () => ((await focused()).index === paged.index + 1 ? true : undefined));
  });

  test('the filter finds one VM among 10,000; clearing it brings every row back', async () => {
    const box = app.tree.filterBox();
    // web-00001 runs on the first host: the pool, that host and the VM.
    await box.fill('web-00001');
    await waitUntil('one VM row', 10_000, async () => ((await rowCount()) === 3 ? true : undefined));
    const shown = await browser.page.evaluate<string[]>(`[...document.querySelectorAll('[role="tree"] [role="treeitem"]')].map((r) => r.getAttribute('aria-level') + ':' + r.getAttribute('aria-label'))`);
    assert.deepEqual(shown.slice(1), [`2:${sim.hosts[0]!.name}`, '3:web-00001']);
    await box.fill('');
    await waitUntil('every row again', 10_000, async () => ((await rowCount()) === ROWS ? true : undefined));
  });

  test('Ctrl+B on the last row starts that VM at the simulator; its row says Running and keeps the focus', async () => {
    await app.tree.root.getByRole('treeitem').first().click();
    await browser.page.keyboard.press('End');
    await waitUntil('the last row focused', 10_000, async () => ((await focused()).index === ROWS - 1 ? true : undefined));
    const { name } = await focused();
    assert.notEqual(sim.vm(name).powerState, 'Running');
    await browser.page.keyboard.press('Control+b');
    await waitUntil(`${name} running at the simulator`, 30_000, () => (sim.vm(name).powerState === 'Running' ? true : undefined));
    const moved = await waitUntil(`${name} shown running`, 30_000, async () => {
      const f = await focused();
      return f.name === name && f.description.startsWith('Running') ? f : undefined;
    });
    assert.equal(moved.level, 3, 'now under its host');
    assert.ok(moved.index < ROWS - 1, 'it moved up among the hosts');
    await waitUntil('the moved row in view', 10_000, async () => ((await focusedInView()) ? true : undefined));
    assert.equal(await rowCount(), ROWS);
  });
});
