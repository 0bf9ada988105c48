/**
 * The console wall ("Overview") end to end, in headless Chromium against the simulator: one running
 * guest has a real QEMU console server, the rest the synthetic one. Each test builds on the one before:
 * the wall shows every VM with name, state and host → its settings are kept and used → a thumbnail
 * resembles its VM's QMP screendump → a synthetic VM's typed text reaches its tile (only the changed rows
 * are sent: the page patches them in at the right place) → a console someone else holds is shown as in use and never taken
 * (CONNECTs counted at the simulator), one held by this window's own tab says so → arrow keys move, Enter and a click open console tabs → closing
 * the wall closes every thumbnail connection → a VM that starts gets a picture, one that halts turns
 * grey, one that migrates follows in a host's wall.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, type Harness } from '../../electron/core/harness/server';
import { startSimulator } from '../../electron/sim/index';
import type { Simulator } from '../../electron/sim/types';
import type { SyntheticVncBackend } from '../../electron/sim/vnc';
import { holdConsoleAs } from '../core/helpers';
import { RfbClient } from '../support/rfb-client';
import { LAUNCHERS } from '../backends/index';
import { needTools } from '../support/tools';
import { AppPage } from './pages/app';
import { colourCount, ensureFreshRenderer, launchBrowser, meanDifference, parsePpm, shrinkImage, waitUntil, type BrowserSession, type RgbImage } from './support';

const skip = needTools('chromium', 'qemu-system-x86_64');

/** Largest mean difference per channel (0–255) between a thumbnail and the shrunk screendump. */
const RESEMBLANCE_TOLERANCE = 6;
/** How long a thumbnail may take to catch up with QEMU's screen, ms. */
const MATCH_TIMEOUT_MS = 30_000;

/** Rows `top` … `end - 1` of an image. */
function rows(image: RgbImage, top: number, end: number): RgbImage {
  return { width: image.width, height: end - top, rgb: image.rgb.subarray(top * image.width * 3, end * image.width * 3) };
}

/** An RGBA screen as an RGB image. */
function rgbOf(screen: { width: number; height: number; rgba: Uint8Array }): RgbImage {
  const rgb = Buffer.alloc(screen.width * screen.height * 3);
  for (let i = 0, o = 0; i < screen.rgba.length; i += 4, o += 3) rgb.set(screen.rgba.subarray(i, i + 3), o);
  return { width: screen.width, height: screen.height, rgb };
}

describe('the console wall against a simulated pool', { skip }, () => {
  let sim: Simulator;
  let harness: Harness;
  let browser: BrowserSession;
  let app: AppPage;
  let configDir: string;
  let qemuVm = '';
  /** Guest VMs by power state at the start (names). */
  let running: string[] = [];
  let halted: string[] = [];
  let suspended: string[] = [];

  before(async () => {
    ensureFreshRenderer();
    sim = await startSimulator({
      hosts: 2,
      vms: 10,
      powerOpMs: 300,
      launchers: LAUNCHERS,
      vnc: (name, isControlDomain) => {
        if (isControlDomain) return 'synthetic';
        if (qemuVm === '') qemuVm = name;
        return name === qemuVm ? 'qemu' : 'synthetic';
      },
    });
    configDir = mkdtempSync(join(tmpdir(), 'porthole-e2e-wall-'));
    harness = await startHarness({ port: 0, configDir, demo: false });
    browser = await launchBrowser();
    app = new AppPage(browser.page);
    await app.open(harness.url);
    const master = new URL(sim.masterUrl);
    await app.addPool({ address: master.host, username: sim.user, password: sim.password });
    await app.trustDialog.trust();
    for (const host of sim.hosts) await app.tree.waitForItem(host.name);
    await app.tree.vmsIn('Running').first().waitFor();
    const names = async (state: 'Running' | 'Halted' | 'Suspended'): Promise<string[]> =>
      (await Promise.all((await app.tree.vmsIn(state).all()).map(async (item) => (await item.getAttribute('aria-label')) ?? ''))).filter((n) => n !== '');
    running = await names('Running');
    halted = await names('Halted');
    suspended = await names('Suspended');
    assert.ok(running.includes(qemuVm), `the QEMU VM ${qemuVm} runs`);
    assert.ok(halted.length > 0 && running.length >= 3);
  });

  after(async () => {
    await browser?.close();
    await harness?.close();
    await sim?.stop();
    if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
  });

  /** Running guests other than the QEMU one. */
  const synthetic = (): string[] => running.filter((n) => n !== qemuVm);
  /** Successful CONNECTs the simulator has answered for one VM. */
  const connects = (vm: string, status: '200' | '503'): number => sim.stats().connectsByVm[sim.vm(vm).uuid]?.[status] ?? 0;

  test('Overview shows a tile for every VM with its name, state and host; running ones get pictures', async () => {
    await app.overview.open();
    assert.equal(await app.overview.title(), 'Overview of all pools');
    await waitUntil('a tile per VM', 10_000, async () => ((await app.overview.tiles().count()) === running.length + halted.length + suspended.length ? true : undefined));
    for (const name of running) {
      await app.overview.waitForState(name, 'live');
      const host = sim.hosts.find((h) => h.ref === sim.vm(name).residentOn);
      assert.equal(await app.overview.description(name), `Running, on ${host?.name}`);
    }
    for (const name of halted) {
      assert.equal(await app.overview.state(name), 'halted');
      assert.equal(await app.overview.description(name), 'Halted');
    }
    for (const name of suspended) assert.equal(await app.overview.state(name), 'suspended');
    assert.ok(connects(qemuVm, '200') >= 1, 'the QEMU console was connected for its thumbnail');
    await app.screenshot(join(import.meta.dirname, '..', '..', 'test-results', 'overview.png'));
  });

  test('the settings are saved and used: one picture per second', async () => {
    await app.overview.setSetting('Refresh every (s)', 1);
    await app.overview.setSetting('Connections per host', 2);
    await waitUntil('the settings saved', 5_000, () => {
      const saved = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as { ui?: { wall?: unknown } };
      return JSON.stringify(saved.ui?.wall) === JSON.stringify({ perHost: 2, refreshSeconds: 1 }) ? true : undefined;
    });
    // At the simulator: pictures now come every second (three more CONNECTs within a few seconds).
    const before = connects(qemuVm, '200');
    await waitUntil('three more thumbnail CONNECTs', 15_000, () => (connects(qemuVm, '200') >= before + 3 ? true : undefined));
  });

  test("each thumbnail resembles its VM's QMP screendump", async () => {
    const backend = sim.vnc(qemuVm);
    assert.ok(backend?.screendump !== undefined, 'the VM has a QEMU console server');
    let last = Infinity;
    await waitUntil('the thumbnail to resemble the screendump', MATCH_TIMEOUT_MS, async () => {
      const dump = parsePpm(await backend.screendump!());
      const thumb = await app.overview.pixels(qemuVm);
      last = meanDifference(thumb, shrinkImage(dump, thumb.width, thumb.height));
      // A screen of one colour would match anything of that colour: wait for content.
      return last <= RESEMBLANCE_TOLERANCE && colourCount(dump, 2) >= 2 ? true : undefined;
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}; last mean difference ${last}`);
    });
    // And it is this VM's screen, not just any: a synthetic VM's thumbnail is far from it.
    const dump = parsePpm(await backend.screendump());
    const other = await app.overview.pixels(synthetic()[0]!);
    assert.ok(meanDifference(shrinkImage(dump, other.width, other.height), other) > 4 * RESEMBLANCE_TOLERANCE, 'another VM does not resemble it');
  });

  test("a synthetic VM's typed text reaches its tile: the changed rows land where they belong", async () => {
    const vm = synthetic()[1] ?? synthetic()[0]!;
    const screen = sim.vnc(vm) as SyntheticVncBackend;
    // The first text line of the 800×600 synthetic screen (y 210–226) is rows 63–67 of the thumbnail;
    // the band around it holds nothing else that changes.
    const band = (image: RgbImage): RgbImage => rows(image, 60, 80);
    await app.overview.waitForState(vm, 'live');
    const before = band(await app.overview.pixels(vm));
    const typist = new RfbClient(await screen.connect());
    try {
      await typist.handshake('3.8');
      typist.type('W'.repeat(60));
      await waitUntil('the text on screen', 5_000, () => (screen.typedText.length === 60 ? true : undefined));
      let last = Infinity;
      await waitUntil('the text in the tile', MATCH_TIMEOUT_MS, async () => {
        const thumb = await app.overview.pixels(vm);
        const want = shrinkImage(rgbOf(screen.snapshot()), thumb.width, thumb.height);
        last = meanDifference(band(thumb), band(want));
        return last <= RESEMBLANCE_TOLERANCE && meanDifference(thumb, want) <= RESEMBLANCE_TOLERANCE ? true : undefined;
      }).catch((error: unknown) => {
        throw new Error(`${String(error)}; last mean difference in the text band ${last}`);
      });
      assert.ok(meanDifference(band(await app.overview.pixels(vm)), before) > 2 * RESEMBLANCE_TOLERANCE, 'the text band changed in the tile');
    } finally {
      typist.close();
    }
  });

  test('a console held by another client is shown as in use and never taken', async () => {
    const held = synthetic()[0]!;
    const free = synthetic()[1]!;
    const holder = await holdConsoleAs(sim, 'alice', sim.vm(held).uuid);
    try {
      sim.faults.limitConsoleSessions(true);
      await app.overview.waitForState(held, 'in-use');
      assert.match((await app.overview.description(held)) ?? '', /^In use by alice, on /);
      assert.match((await app.overview.tile(held).textContent()) ?? '', /In use by alice/);
      const refused = connects(held, '503');
      const taken = connects(held, '200');
      // Others keep refreshing every second; the held console is left alone meanwhile.
      const freeBefore = connects(free, '200');
      await waitUntil('three more pictures of another VM', 15_000, () => (connects(free, '200') >= freeBefore + 3 ? true : undefined));
      assert.equal(connects(held, '503'), refused, 'no new CONNECT to the held console');
      assert.equal(connects(held, '200'), taken, 'the held console was never taken');
      assert.equal(await app.overview.state(held), 'in-use');
    } finally {
      sim.faults.limitConsoleSessions(false);
      await holder.release();
    }
  });

  test("a console held by this window's own tab is shown as open here, not as someone else's", async () => {
    const mine = synthetic()[2] ?? synthetic()[0]!;
    sim.faults.limitConsoleSessions(true);
    try {
      await app.overview.tile(mine).click();
      await app.overview.grid.waitFor({ state: 'detached' });
      await app.tab(mine).waitForState('connected');
      const taken = connects(mine, '200');
      const refused = connects(mine, '503');
      await app.overview.open();
      await app.overview.waitForState(mine, 'in-tab');
      assert.match((await app.overview.description(mine)) ?? '', /^Open in a console tab here, on /);
      assert.ok(connects(mine, '503') > refused, 'the thumbnail asked and was refused (xapi limits the console to one session)');
      assert.equal(connects(mine, '200'), taken, 'the thumbnail never took the console from the tab');
      await app.overview.close();
      await app.tab(mine).waitForState('connected');
      await app.tab(mine).close();
    } finally {
      sim.faults.limitConsoleSessions(false);
    }
    await app.overview.open(); // the next test starts on the wall
  });

  test('arrow keys move through the grid; Enter and a click open console tabs', async () => {
    const first = app.overview.tiles().first();
    await first.focus();
    const firstName = await first.getAttribute('aria-label');
    await browser.page.keyboard.press('ArrowRight');
    assert.equal(await app.overview.focused(), await app.overview.tiles().nth(1).getAttribute('aria-label'));
    await browser.page.keyboard.press('ArrowLeft');
    assert.equal(await app.overview.focused(), firstName);
    // The grid is several tiles wide: Down moves by a whole row.
    const columns = await app.overview.grid.getByRole('row').first().getByRole('gridcell').count();
    assert.ok(columns > 1 && columns < (await app.overview.tiles().count()), `a multi-row grid (${columns} columns)`);
    await browser.page.keyboard.press('ArrowDown');
    assert.equal(await app.overview.focused(), await app.overview.tiles().nth(columns).getAttribute('aria-label'));
    await browser.page.keyboard.press('End');
    assert.equal(await app.overview.focused(), await app.overview.tiles().last().getAttribute('aria-label'));
    // Enter on the QEMU VM's tile opens its console tab.
    await app.overview.tile(qemuVm).focus();
    await browser.page.keyboard.press('Enter');
    await app.overview.grid.waitFor({ state: 'detached' });
    await app.tab(qemuVm).waitForState('connected');
    // Back to the wall; a click opens another.
    await app.overview.open();
    const clicked = synthetic()[1]!;
    await app.overview.tile(clicked).click();
    await app.overview.grid.waitFor({ state: 'detached' });
    await app.tab(clicked).waitForState('connected');
    assert.equal(await app.tabs().count(), 2);
    await app.tab(qemuVm).close();
    await app.tab(clicked).close();
  });

  test('closing the wall closes every thumbnail connection', async () => {
    await app.overview.open();
    await waitUntil('thumbnail tunnels at work', 10_000, () => (sim.stats().consoleTunnels > 0 ? true : undefined), 5);
    await app.overview.close();
    await waitUntil('no tunnel left at the simulator', 10_000, () => (sim.stats().consoleTunnels === 0 ? true : undefined));
    // Nothing left that could fetch again: the wall's socket is gone at the bridge, and with it its
    // schedule (a closed wall clears its timer and aborts its fetches), so no CONNECT can follow.
    await waitUntil('the wall closed at the bridge', 10_000, () => (harness.wallStats().walls === 0 ? true : undefined));
    assert.equal(harness.wallStats().tunnels, 0, 'no thumbnail tunnel open at the bridge');
    assert.equal(sim.stats().consoleTunnels, 0);
  });

  test('a VM that starts gets a picture, one that halts turns grey', async () => {
    await app.overview.open();
    const starting = halted[0]!;
    const stopping = synthetic()[2] ?? synthetic()[0]!;
    await app.overview.waitForState(stopping, 'live');
    assert.equal(await app.overview.state(starting), 'halted');
    await sim.act(starting, 'start');
    await app.overview.waitForState(starting, 'live');
    await sim.act(stopping, 'hard_shutdown');
    await app.overview.waitForState(stopping, 'halted');
    assert.equal(await app.overview.description(stopping), 'Halted');
    assert.equal(await app.overview.tile(stopping).locator('canvas').count(), 0, 'no stale picture on a grey tile');
    running = [...running.filter((n) => n !== stopping), starting];
    halted = [...halted.filter((n) => n !== starting), stopping];
    await app.overview.close();
  });

  test("a host's wall from the tree follows a VM that migrates to it", async () => {
    const target = sim.hosts[1]!;
    const mover = synthetic().find((n) => sim.vm(n).residentOn !== target.ref);
    assert.ok(mover !== undefined, 'a running VM on another host');
    const item = await app.tree.waitForItem(target.name);
    await item.click({ button: 'right' });
    await browser.page.getByRole('menuitem', { name: 'Overview', exact: true }).click();
    await app.overview.grid.waitFor({ state: 'visible' });
    assert.equal(await app.overview.title(), `Overview of ${target.name}`);
    assert.equal(await app.overview.tile(mover).count(), 0);
    await sim.act(mover, { migrateTo: target.name });
    await app.overview.waitForState(mover, 'live');
    assert.equal(await app.overview.description(mover), `Running, on ${target.name}`);
    await app.overview.close();
  });
});
