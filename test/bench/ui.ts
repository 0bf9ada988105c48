/**
 * UI benchmark (`npm run bench -- ui`): prints figures, asserts nothing.
 *
 * In headless Chromium against the web harness and the simulator (synthetic consoles):
 * 1. open → first painted frame: Enter on a VM in the tree until the tab's noVNC canvas first shows
 *    pixels, p50/p95 over 20 opens (each tab closed again before the next), on synthetic consoles and on
 *    real QEMU ones (when installed);
 * 2. a 10,000-VM pool (64 hosts): Trust click → the full tree (every row in the virtualised tree, the
 *    first screen painted), with the simulator's own time for the full event.from beside it (the server's
 *    share); time from the inventory data reaching the page to that frame (both the median of
 *    `BIG_LOADS` loads, each in a fresh harness and page, after a full GC of this process);
 *    filter-keystroke latency (keydown → first painted frame after the tree changed); event-to-screen
 *    latency (another client receives the simulator's event for a VM's new power state → its tree
 *    item shows it), and the same from the power request (which includes the simulated operation).
 *
 * 3. hidden tabs: CPU (Chromium + this process, which is the backend; the simulator runs in its own
 *    process and is left out) over `CPU_WINDOW_MS` with one console tab, with 16 tabs of which one is
 *    visible while hidden tabs never disconnect (the page opened with a huge `hidden-disconnect-ms`),
 *    and with 16 tabs once the hidden ones have disconnected (`hidden-disconnect-ms=1000`); then
 *    Tab click → first painted frame for parked tabs, with where that time goes (ticket reply, console
 *    socket created and open, greeting, first update received, each from the click).
 *
 * Knobs: BENCH_UI_ONLY=big|hidden runs one phase; BENCH_UI_PROFILE_DIR / BENCH_UI_TRACE_DIR write the
 * page's CPU profiles / Chromium performance traces of the 10,000-VM phase (load, filter, power).
 *
 * Timing is taken inside the page (`performance.now()`, frames by `requestAnimationFrame`) so the
 * figures do not include the test driver's round trips; event-to-screen compares the simulator's and
 * the page's wall clocks (`performance.timeOrigin + now()`, same machine).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import { startSimulator } from '../../electron/sim/index';
import { LAUNCHERS } from '../backends';
import { treeUsage } from './proc';
import { startSimProcess, type SimProcess } from './sim-process';
import { startHarness, type Harness } from '../../electron/core/harness/server';
import { AppPage } from '../e2e/pages/app';
import { WATCHED_CLASSES } from '../../electron/core/pools/events';
import { ensureFreshRenderer, launchBrowser, type BrowserSession } from '../e2e/support';
import { needTools } from '../support/tools';
import { fig, target as targetRow } from './summary';

/** Opens measured for the open → first frame figure. */
const OPENS = 20;
/** Console tabs open in the hidden-tabs phase. */
const HIDDEN_TABS = 16;
/** Wait before a CPU window, ms. */
const SETTLE_MS = 2_000;
/** CPU is summed over this long, ms. */
const CPU_WINDOW_MS = 5_000;
/** Opens measured on real QEMU consoles. */
const QEMU_OPENS = 10;
/** Size of the big pool. */
const BIG_HOSTS = 64;
const BIG_VMS = 10_000;
/** Trust click → full tree loads measured (each in a fresh harness and page); the median is the figure. */
const BIG_LOADS = 3;
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
  if (values.length === 0) {
    process.stdout.write(`${label.padEnd(44)} n=  0\n`);
    return;
  }
  const fmt = (n: number): string => `${n.toFixed(1)} ms`;
  process.stdout.write(`${label.padEnd(44)} n=${String(values.length).padStart(3)}  p50 ${fmt(percentile(values, 50)).padStart(10)}  p95 ${fmt(percentile(values, 95)).padStart(10)}  max ${fmt(Math.max(...values)).padStart(10)}\n`);
}

/** The page-side instruments (plain browser JavaScript), installed before the app loads. */
const PAGE_SCRIPT = join(import.meta.dirname, 'ui-page.js');

/**
 * With BENCH_UI_PROFILE_DIR set, records a Chromium CPU profile of the page (DevTools protocol) from
 * this call until the returned function is called, written as `<dir>/<name>.cpuprofile` (open it in
 * DevTools' Performance panel). Relative figures, so they stay useful on a loaded machine.
 */
async function pageProfile(page: Page, name: string): Promise<() => Promise<void>> {
  if (process.env.BENCH_UI_TRACE_DIR !== undefined && process.env.BENCH_UI_TRACE_DIR !== '') return pageTrace(page, name, process.env.BENCH_UI_TRACE_DIR);
  const dir = process.env.BENCH_UI_PROFILE_DIR;
  if (dir === undefined || dir === '') return () => Promise.resolve();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  return async () => {
    const { profile } = await cdp.send('Profiler.stop');
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    await cdp.detach();
  };
}

/** Like `pageProfile` with BENCH_UI_TRACE_DIR: a Chromium performance trace (`<name>.trace.json`, style, layout, paint and script). */
async function pageTrace(page: Page, name: string, dir: string): Promise<() => Promise<void>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Tracing.start', { transferMode: 'ReturnAsStream', traceConfig: { includedCategories: ['devtools.timeline', 'v8.execute', 'blink', 'disabled-by-default-devtools.timeline'] } });
  return async () => {
    const done = new Promise<string>((resolve) => cdp.once('Tracing.tracingComplete', (e) => resolve(e.stream ?? '')));
    await cdp.send('Tracing.end');
    const stream = await done;
    let text = '';
    for (;;) {
      const chunk = await cdp.send('IO.read', { handle: stream });
      text += chunk.base64Encoded === true ? Buffer.from(chunk.data, 'base64').toString('utf8') : chunk.data;
      if (chunk.eof) break;
    }
    await cdp.send('IO.close', { handle: stream });
    writeFileSync(join(dir, `${name}.trace.json`), text);
    await cdp.detach();
  };
}

/** Evaluates an expression of `window.__bench` in the page and returns its number. */
async function inPage(page: Page, expression: string): Promise<number> {
  const value: unknown = await page.evaluate(expression);
  if (typeof value !== 'number') throw new Error(`${expression} gave ${JSON.stringify(value)}`);
  return value;
}

/** What the UI needs to add a simulated pool. */
interface PoolLogin {
  masterUrl: string;
  user: string;
  password: string;
  firstHost: string;
}

/** Adds the simulator's pool through the UI and waits for its first host in the tree. */
async function addPool(app: AppPage, sim: PoolLogin): Promise<number> {
  const master = new URL(sim.masterUrl);
  await app.addPool({ address: master.host, username: sim.user, password: sim.password });
  await app.page.evaluate('window.__bench.armClick()');
  const t0 = performance.now();
  await app.trustDialog.trust();
  await app.tree.waitForItem(sim.firstHost);
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

async function withSetup<T>(body: (app: AppPage, page: Page) => Promise<T>, query: Record<string, string> = {}): Promise<T> {
  const configDir = mkdtempSync(join(tmpdir(), 'porthole-bench-ui-'));
  let harness: Harness | undefined;
  let browser: BrowserSession | undefined;
  try {
    harness = await startHarness({ port: 0, configDir, demo: false });
    browser = await launchBrowser();
    await browser.page.addInitScript({ path: PAGE_SCRIPT });
    const app = new AppPage(browser.page);
    const url = new URL(harness.url);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    await app.open(url.toString());
    return await body(app, browser.page);
  } finally {
    await browser?.close();
    await harness?.close();
    rmSync(configDir, { recursive: true, force: true });
  }
}

/** 1. open → first painted frame, on `kind` consoles; returns the times, ms. */
async function benchOpens(kind: 'synthetic' | 'qemu', opens: number): Promise<number[]> {
  const sim = await startSimulator({ hosts: 2, vms: kind === 'qemu' ? 3 : 12, vnc: (_name, dom0) => (dom0 ? 'synthetic' : kind) , launchers: LAUNCHERS });
  try {
    return await withSetup(async (app, page) => {
      await addPool(app, { masterUrl: sim.masterUrl, user: sim.user, password: sim.password, firstHost: sim.hosts[0]!.name });
      const vm = await firstRunningVm(app);
      const item = await app.tree.waitForItem(vm);
      const times: number[] = [];
      for (let i = 0; i < opens; i++) {
        await item.click();
        await page.evaluate('window.__bench.armKeydown()');
        await item.press('Enter');
        times.push(await inPage(page, 'window.__bench.frameWhen(() => window.__bench.canvasPainted(), 20000)'));
        const tab = app.tab(vm);
        await tab.waitForState('connected');
        await tab.close();
      }
      line(`open → first painted frame (${kind})`, times);
      return times;
    });
  } finally {
    await sim.stop();
  }
}

/** One Trust click on the 10,000-VM pool, timed in the page. */
interface BigLoad {
  trustToTree: number;
  trustToFull: number;
  dataToTree: number;
  dataBytes: number;
}

/** Adds the big pool, clicks Trust and times the frames (in the page only: no test-driver polling of the DOM competes with the page while it builds the tree). */
async function loadBigPool(app: AppPage, page: Page, sim: SimProcess): Promise<BigLoad> {
  const stopLoad = await pageProfile(page, 'big-load');
  await app.addPool({ address: new URL(sim.info.master).host, username: sim.info.user, password: sim.info.password });
  await page.evaluate('window.__bench.armClick()');
  await app.trustDialog.trust();
  // The full tree: every pool, host and VM row is in the tree (virtualised: the rows exist, the DOM holds those in view).
  const full = `window.__bench.bigMessageAt > 0 && window.__bench.treeRows() >= ${1 + BIG_HOSTS + BIG_VMS} && window.__bench.vmRows() >= 20`;
  const hostRow = `document.querySelector('[role="tree"] [role="treeitem"][aria-level="2"]') !== null`;
  const [hostFrameAt, fullFrameAt] = await Promise.all([
    inPage(page, `window.__bench.frameWhen(() => ${hostRow}, 60000, 0)`),
    inPage(page, `window.__bench.frameWhen(() => ${full}, 60000, 0)`),
  ]);
  const clickAt = await inPage(page, 'window.__bench.clickAt');
  const load = {
    trustToTree: hostFrameAt - clickAt,
    trustToFull: fullFrameAt - clickAt,
    dataToTree: fullFrameAt - (await inPage(page, 'window.__bench.bigMessageAt')),
    dataBytes: await inPage(page, 'window.__bench.bigMessageBytes'),
  };
  await stopLoad();
  return load;
}

/** 2. the 10,000-VM pool. */
async function benchBigPool(): Promise<void> {
  const t0 = performance.now();
  // In its own process, so its work does not compete with the backend's event loop.
  const sim = await startSimProcess(['--hosts', String(BIG_HOSTS), '--vms', String(BIG_VMS), '--vnc', 'synthetic', '--power-op-ms', '1']);
  process.stdout.write(`simulator (own process) with ${BIG_HOSTS} hosts / ${BIG_VMS} VMs started in ${(performance.now() - t0).toFixed(0)} ms\n`);
  try {
    // The server's share of the Trust click figure: the simulator answering the app's full event.from.
    const serverTimes: number[] = [];
    const loads: BigLoad[] = [];
    const measure = async (app: AppPage, page: Page): Promise<void> => {
      // Each load starts from a clean heap, as a user's first connect does in a fresh backend: the
      // garbage of the previous load's harness (10,000 VMs' inventory and messages) is collected now,
      // not in the middle of this load.
      (globalThis as { gc?: () => void }).gc?.();
      serverTimes.push(await sim.serverMs('event.from', [WATCHED_CLASSES, '', 5]));
      loads.push(await loadBigPool(app, page, sim));
    };
    // Fresh harness and page for each load but the last, which goes on to the filter and power figures.
    for (let i = 1; i < BIG_LOADS; i++) await withSetup(measure);
    await withSetup(async (app, page) => {
      await measure(app, page);
      const serverMs = percentile(serverTimes, 50);
      const trustToFull = percentile(loads.map((l) => l.trustToFull), 50);
      const dataToTree = percentile(loads.map((l) => l.dataToTree), 50);
      const all = (pick: (l: BigLoad) => number): string => loads.map((l) => pick(l).toFixed(0)).join(', ');
      const dataBytes = loads[0]?.dataBytes ?? 0;
      process.stdout.write(`10k pool: the simulator's own time for the full event.from (server side, part of the Trust click figure): ${serverTimes.map((t) => t.toFixed(0)).join(', ')} ms\n`);
      process.stdout.write(`10k pool: Trust click → first host row in the tree: ${all((l) => l.trustToTree)} ms\n`);
      process.stdout.write(`10k pool: inventory data (${(dataBytes / 1e6).toFixed(1)} MB message) → rendered tree: ${all((l) => l.dataToTree)} ms\n`);
      process.stdout.write(`10k pool: Trust click → full tree rendered: ${all((l) => l.trustToFull)} ms\n`);
      targetRow({ target: '10k VMs: Trust click → full tree ≤ 1 s', figure: fig(trustToFull, 'ms', 0), peer: `median of ${loads.length} (${all((l) => l.trustToFull)} ms); simulator's full event.from ${fig(serverMs, 'ms', 0)}`, met: trustToFull <= 1000 });
      targetRow({ target: '10k VMs: inventory data → rendered tree ≤ 150 ms', figure: fig(dataToTree, 'ms', 0), peer: `median of ${loads.length} (${all((l) => l.dataToTree)} ms); ${(dataBytes / 1e6).toFixed(1)} MB message`, met: dataToTree <= 150 });

      // Filter keystrokes: type a VM name one key at a time, then delete it again.
      const target = await firstRunningVm(app);
      const box = app.tree.filterBox();
      await box.click();
      const keyTimes: number[] = [];
      let unchanged = 0;
      const keys = [...target.split(''), ...target.split('').map(() => 'Backspace')];
      const stopFilter = await pageProfile(page, 'big-filter');
      for (const key of keys) {
        // The frame watch starts at the keydown itself (not after the driver's round trip returns).
        await page.evaluate(`window.__bench.watchTree(); window.__bench.armKeyFrame(() => window.__bench.treeChanged, ${KEY_SETTLE_MS})`);
        await page.keyboard.press(key);
        try {
          keyTimes.push(await inPage(page, 'window.__bench.keyFrame'));
        } catch {
          unchanged++;
        }
      }
      await stopFilter();
      line('10k pool: filter keystroke → painted', keyTimes);
      const keyP95 = keyTimes.length === 0 ? undefined : percentile(keyTimes, 95);
      targetRow({ target: '10k VMs: filter keystroke → painted p95 ≤ 16 ms', figure: fig(keyP95, 'ms'), peer: `p50 ${fig(keyTimes.length === 0 ? undefined : percentile(keyTimes, 50), 'ms')}`, met: keyP95 === undefined ? undefined : keyP95 <= 16 });
      if (unchanged > 0) process.stdout.write(`  (${unchanged} keystrokes changed nothing in the tree within ${KEY_SETTLE_MS} ms)\n`);

      // Event to screen: with the filter on one VM (so its row is rendered), flip its power state. The
      // event's time is when another client (this bench's own event.from on that VM, no processing)
      // receives the new power_state from the simulator; the request's time is when VM.start /
      // VM.hard_shutdown was sent (that figure includes the simulated operation's progress steps).
      await box.fill(target);
      await app.tree.waitForItem(target);
      const ref = await sim.rpc('VM.get_by_name_label', [target]).then((refs) => (refs as string[])[0] ?? '');
      let wanted: { state: string; seen: (atMs: number) => void } | undefined;
      const watcher = sim.watch([`vm/${ref}`], (events, atMs) => {
        for (const e of events) if (wanted !== undefined && e.ref === ref && e.snapshot?.power_state === wanted.state) wanted.seen(atMs);
      });
      const eventTimes: number[] = [];
      const requestTimes: number[] = [];
      const stopPower = await pageProfile(page, 'big-power');
      try {
        for (let i = 0; i < POWER_CHANGES; i++) {
          const running = (await sim.rpc('VM.get_power_state', [ref])) === 'Running';
          const next = running ? 'Halted' : 'Running';
          const seenAt = new Promise<number>((resolve) => (wanted = { state: next, seen: resolve }));
          const waiting = inPage(page, `window.__bench.frameWhen(() => window.__bench.rowState(${JSON.stringify(target)}) === ${JSON.stringify(next)}, 30000, 0).then((t) => performance.timeOrigin + t)`);
          // powerOpMs is 1 ms, so the record changes as soon as the simulated operation's steps are done.
          const requestedAt = performance.timeOrigin + performance.now();
          const [shownAt, eventAt] = await Promise.all([waiting, seenAt, sim.rpc(running ? 'VM.hard_shutdown' : 'VM.start', running ? [ref] : [ref, false, false])]);
          eventTimes.push(shownAt - eventAt);
          requestTimes.push(shownAt - requestedAt);
        }
      } finally {
        watcher.stop();
      }
      await stopPower();
      line('10k pool: power event → tree row repainted', eventTimes);
      line('10k pool: power request → tree row repainted', requestTimes);
      const eventP95 = percentile(eventTimes, 95);
      targetRow({
        target: '10k VMs: power event → row repainted p95 ≤ 50 ms',
        figure: fig(eventP95, 'ms'),
        peer: `p50 ${fig(percentile(eventTimes, 50), 'ms')}; from the request (incl. the simulated operation) p50 ${fig(percentile(requestTimes, 50), 'ms')}`,
        met: eventP95 <= 50,
      });
    });
  } finally {
    await sim.stop();
  }
}

/** CPU seconds used by Chromium and the backend (this process tree without the simulator) over the window. */
async function cpuOver(sim: SimProcess): Promise<number> {
  const ours = (): number => treeUsage(process.pid).cpu - (sim.pid === undefined ? 0 : treeUsage(sim.pid).cpu);
  // Let the last opened console's first frames settle first.
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const start = ours();
  await new Promise((r) => setTimeout(r, CPU_WINDOW_MS));
  return ours() - start;
}

/** Opens `count` consoles (the last one stays in front) and returns their VM names. */
async function openTabs(app: AppPage, count: number): Promise<string[]> {
  const names: string[] = [];
  const running = app.tree.vmsIn('Running');
  for (let i = 0; i < count; i++) {
    const item = running.nth(i);
    await item.waitFor({ state: 'visible' });
    const name = await item.getAttribute('aria-label');
    if (name === null) throw new Error('a running VM row has no name');
    await app.tree.open(name);
    await app.tab(name).waitForState('connected');
    names.push(name);
  }
  return names;
}

/** Waits until `n` console panels are parked (hidden and disconnected). */
async function waitParked(page: Page, n: number): Promise<void> {
  await inPage(page, `window.__bench.frameWhen(() => document.querySelectorAll('[role="tabpanel"][data-parked="true"]').length >= ${n}, 60000, 0)`);
}

/** 3. hidden tabs. */
async function benchHiddenTabs(): Promise<void> {
  const sim = await startSimProcess(['--hosts', '2', '--vms', '40', '--vnc', 'synthetic']);
  const login = { masterUrl: sim.info.master, user: sim.info.user, password: sim.info.password, firstHost: sim.info.hosts[0]!.name };
  try {
    const oneTab = await withSetup(async (app) => {
      await addPool(app, login);
      await openTabs(app, 1);
      return cpuOver(sim);
    });
    const neverParked = await withSetup(
      async (app) => {
        await addPool(app, login);
        await openTabs(app, HIDDEN_TABS);
        return cpuOver(sim);
      },
      { 'hidden-disconnect-ms': '999999999' },
    );
    const { parkedCpu, backTimes } = await withSetup(
      async (app, page) => {
        await addPool(app, login);
        const names = await openTabs(app, HIDDEN_TABS);
        await waitParked(page, HIDDEN_TABS - 1);
        const cpu = await cpuOver(sim);
        // Tab click → first painted frame, for parked tabs (each shown tab parks the one it hides).
        const times: number[] = [];
        const steps: number[][] = [];
        for (const name of names.slice(0, 5)) {
          await page.evaluate('window.__bench.armClick()');
          await app.tab(name).tab.click();
          times.push(await inPage(page, 'window.__bench.frameWhen(() => window.__bench.canvasPainted(), 20000, window.__bench.clickAt)'));
          steps.push(await page.evaluate<number[]>('window.__bench.consoleSteps()'));
          await app.tab(name).waitForState('connected');
        }
        const step = (i: number): string => percentile(steps.map((s) => s[i] ?? NaN), 50).toFixed(1);
        process.stdout.write(`hidden tab: where the time goes (p50 ms after the click): ticket ${step(0)}, socket created ${step(1)}, open ${step(2)}, greeting ${step(3)}, first update in ${step(4)}\n`);
        return { parkedCpu: cpu, backTimes: times };
      },
      { 'hidden-disconnect-ms': '1000' },
    );
    const s = (cpu: number): string => `${cpu.toFixed(2)} s CPU`;
    process.stdout.write(`hidden tabs: CPU over ${CPU_WINDOW_MS / 1000} s (Chromium + backend): 1 tab ${s(oneTab)}; ${HIDDEN_TABS} tabs, hidden ones kept: ${s(neverParked)}; ${HIDDEN_TABS} tabs, hidden ones parked: ${s(parkedCpu)}\n`);
    line('hidden tab: Tab click → first painted frame', backTimes);
    targetRow({
      target: `${HIDDEN_TABS} tabs, one visible ≤ 1.3× CPU of one tab`,
      figure: `${s(parkedCpu)} (${(parkedCpu / oneTab).toFixed(2)}×)`,
      peer: `1 tab ${s(oneTab)}; hidden kept ${s(neverParked)} (${(neverParked / oneTab).toFixed(2)}×)`,
      met: parkedCpu <= 1.3 * oneTab,
    });
    const back = percentile(backTimes, 50);
    targetRow({ target: 'hidden console back ≤ 100 ms after shown (p50)', figure: fig(back, 'ms'), peer: `max ${fig(Math.max(...backTimes), 'ms')}`, met: back <= 100 });
  } finally {
    await sim.stop();
  }
}

/** Runs the UI benchmark and prints its figures. */
export async function run(): Promise<void> {
  ensureFreshRenderer();
  process.stdout.write('UI benchmark (headless Chromium, web harness, simulator)\n');
  // BENCH_UI_ONLY=hidden or =big runs the hidden-tabs or the 10,000-VM phase alone (quick A/B runs).
  if (process.env.BENCH_UI_ONLY === 'hidden') return benchHiddenTabs();
  if (process.env.BENCH_UI_ONLY === 'big') return benchBigPool();
  const synthetic = await benchOpens('synthetic', OPENS);
  const noQemu = needTools('qemu-system-x86_64');
  const qemu = noQemu === false ? await benchOpens('qemu', QEMU_OPENS) : [];
  const qemuP50 = qemu.length === 0 ? undefined : percentile(qemu, 50);
  targetRow({
    target: 'first frame p50 ≤ 100 ms, Enter → painted (browser, QEMU)',
    figure: noQemu === false ? fig(qemuP50, 'ms') : `— (${noQemu})`,
    peer: `synthetic ${fig(percentile(synthetic, 50), 'ms')}`,
    met: qemuP50 === undefined ? undefined : qemuP50 <= 100,
  });
  await benchBigPool();
  await benchHiddenTabs();
}
