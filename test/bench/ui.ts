/**
 * UI benchmark (`npm run bench -- ui`): prints figures, asserts nothing.
 *
 * In headless Chromium against the web harness and the simulator (synthetic consoles):
 * 1. open → first painted frame: Enter on a VM in the tree until the tab's noVNC canvas first shows
 *    pixels, p50/p95 over 20 opens (each tab closed again before the next);
 * 2. a 10,000-VM pool (64 hosts): time from the inventory data reaching the page to a rendered tree;
 *    filter-keystroke latency (keydown → first painted frame after the tree changed); event-to-screen
 *    latency (the simulator changes a VM's power state → its tree item shows the new state).
 *
 * Timing is taken inside the page (`performance.now()`, frames by `requestAnimationFrame`) so the
 * figures do not include the test driver's round trips; event-to-screen compares the simulator's and
 * the page's wall clocks (`performance.timeOrigin + now()`, same machine).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import { startSimulator } from '../../electron/sim/index';
import type { Simulator } from '../../electron/sim/types';
import { startHarness, type Harness } from '../../electron/core/harness/server';
import { AppPage } from '../e2e/pages/app';
import { ensureFreshRenderer, launchBrowser, type BrowserSession } from '../e2e/support';

/** Opens measured for the open → first frame figure. */
const OPENS = 20;
/** Size of the big pool. */
const BIG_HOSTS = 64;
const BIG_VMS = 10_000;
/** Power changes measured for event-to-screen. */
const POWER_CHANGES = 10;
/** A keystroke whose tree did not change within this long is reported as "no change", ms. */
const KEY_SETTLE_MS = 2_000;

/** p-th percentile (nearest rank) of a list of numbers. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function line(label: string, values: readonly number[]): void {
  const fmt = (n: number): string => `${n.toFixed(1)} ms`;
  process.stdout.write(`${label.padEnd(44)} n=${String(values.length).padStart(3)}  p50 ${fmt(percentile(values, 50)).padStart(10)}  p95 ${fmt(percentile(values, 95)).padStart(10)}  max ${fmt(Math.max(...values)).padStart(10)}\n`);
}

/** The page-side instruments (plain browser JavaScript), installed before the app loads. */
const PAGE_SCRIPT = join(import.meta.dirname, 'ui-page.js');

/** Evaluates an expression of `window.__bench` in the page and returns its number. */
async function inPage(page: Page, expression: string): Promise<number> {
  const value: unknown = await page.evaluate(expression);
  if (typeof value !== 'number') throw new Error(`${expression} gave ${JSON.stringify(value)}`);
  return value;
}

/** Adds the simulator's pool through the UI and waits for its first host in the tree. */
async function addPool(app: AppPage, sim: Simulator): Promise<number> {
  const master = new URL(sim.masterUrl);
  await app.addPool({ address: master.host, username: sim.user, password: sim.password });
  const t0 = performance.now();
  await app.trustDialog.trust();
  await app.tree.waitForItem(sim.hosts[0]!.name);
  return performance.now() - t0;
}

/** The name of the first running VM the tree shows. */
async function firstRunningVm(app: AppPage): Promise<string> {
  const item = app.tree.vmsIn('Running').first();
  await item.waitFor({ state: 'visible' });
  const name = await item.getAttribute('aria-label');
  if (name === null || name === '') throw new Error('a running VM row has no name');
  return name;
}

async function withSetup<T>(sim: Simulator, body: (app: AppPage, page: Page) => Promise<T>): Promise<T> {
  const configDir = mkdtempSync(join(tmpdir(), 'porthole-bench-ui-'));
  let harness: Harness | undefined;
  let browser: BrowserSession | undefined;
  try {
    harness = await startHarness({ port: 0, configDir, demo: false });
    browser = await launchBrowser();
    await browser.page.addInitScript({ path: PAGE_SCRIPT });
    const app = new AppPage(browser.page);
    await app.open(harness.url);
    return await body(app, browser.page);
  } finally {
    await browser?.close();
    await harness?.close();
    rmSync(configDir, { recursive: true, force: true });
  }
}

/** 1. open → first painted frame. */
async function benchOpens(): Promise<void> {
  const sim = await startSimulator({ hosts: 2, vms: 12, vnc: 'synthetic' });
  try {
    await withSetup(sim, async (app, page) => {
      await addPool(app, sim);
      const vm = await firstRunningVm(app);
      const item = await app.tree.waitForItem(vm);
      const times: number[] = [];
      for (let i = 0; i < OPENS; i++) {
        await item.click();
        await page.evaluate('window.__bench.armKeydown()');
        await item.press('Enter');
        times.push(await inPage(page, 'window.__bench.frameWhen(() => window.__bench.canvasPainted(), 20000)'));
        const tab = app.tab(vm);
        await tab.waitForState('connected');
        await tab.close();
      }
      line('open → first painted frame (synthetic)', times);
    });
  } finally {
    await sim.stop();
  }
}

/** 2. the 10,000-VM pool. */
async function benchBigPool(): Promise<void> {
  const t0 = performance.now();
  const sim = await startSimulator({ hosts: BIG_HOSTS, vms: BIG_VMS, vnc: 'synthetic', powerOpMs: 1 });
  process.stdout.write(`simulator with ${BIG_HOSTS} hosts / ${BIG_VMS} VMs started in ${(performance.now() - t0).toFixed(0)} ms\n`);
  try {
    await withSetup(sim, async (app, page) => {
      const trustToTree = await addPool(app, sim);
      const dataToTree = await inPage(page, 'window.__bench.frameWhen(() => window.__bench.bigMessageAt > 0 && window.__bench.vmRows() >= 20, 60000, 0).then((t) => t - window.__bench.bigMessageAt)');
      const dataBytes = await inPage(page, 'window.__bench.bigMessageBytes');
      process.stdout.write(`10k pool: Trust click → first host row in the tree: ${trustToTree.toFixed(1)} ms\n`);
      process.stdout.write(`10k pool: inventory data (${(dataBytes / 1e6).toFixed(1)} MB message) → rendered tree: ${dataToTree.toFixed(1)} ms\n`);

      // Filter keystrokes: type a VM name one key at a time, then delete it again.
      const target = await firstRunningVm(app);
      const box = app.tree.filterBox();
      await box.click();
      const keyTimes: number[] = [];
      let unchanged = 0;
      const keys = [...target.split(''), ...target.split('').map(() => 'Backspace')];
      for (const key of keys) {
        await page.evaluate('window.__bench.watchTree(); window.__bench.armKeydown()');
        await page.keyboard.press(key);
        try {
          keyTimes.push(await inPage(page, `window.__bench.frameWhen(() => window.__bench.treeChanged, ${KEY_SETTLE_MS})`));
        } catch {
          unchanged++;
        }
      }
      line('10k pool: filter keystroke → painted', keyTimes);
      if (unchanged > 0) process.stdout.write(`  (${unchanged} keystrokes changed nothing in the tree within ${KEY_SETTLE_MS} ms)\n`);

      // Event to screen: with the filter on one VM (so its row is rendered), flip its power state.
      await box.fill(target);
      await app.tree.waitForItem(target);
      const eventTimes: number[] = [];
      for (let i = 0; i < POWER_CHANGES; i++) {
        const running = sim.vm(target).powerState === 'Running';
        const next = running ? 'Halted' : 'Running';
        const waiting = inPage(page, `window.__bench.frameWhen(() => window.__bench.rowState(${JSON.stringify(target)}) === ${JSON.stringify(next)}, 30000, 0).then((t) => performance.timeOrigin + t)`);
        // powerOpMs is 1 ms, so the record changes right after the call starts.
        const changedAt = performance.timeOrigin + performance.now();
        const [shownAt] = await Promise.all([waiting, sim.act(target, running ? 'hard_shutdown' : 'start')]);
        eventTimes.push(shownAt - changedAt);
      }
      line('10k pool: power event → tree row repainted', eventTimes);
    });
  } finally {
    await sim.stop();
  }
}

/** Runs the UI benchmark and prints its figures. */
export async function run(): Promise<void> {
  ensureFreshRenderer();
  process.stdout.write('UI benchmark (headless Chromium, web harness, simulator)\n');
  await benchOpens();
  await benchBigPool();
}
