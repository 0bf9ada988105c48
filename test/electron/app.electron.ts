/**
 * End to end against the real Electron app (playwright-core's `_electron`), launched on the built
 * bundles with a fresh profile, against the XAPI simulator with a real QEMU behind one VM. Run by
 * `npm run test:electron` (test/electron/run.ts), which says plainly that it skipped when there is no
 * Electron binary; `npm test` does not collect this file.
 *
 * One journey, each test building on the one before:
 *  1. the page sees exactly one object from the preload, a frozen `window.porthole` with `invoke`
 *     and `on`, and no Node or Electron global;
 *  2. the CSP is in force: eval, an injected inline script and a fetch to the internet are refused
 *     (three `securitypolicyviolation`s), and app:// answers carry the header with the bridge origin;
 *  3. IPC from a window that is not ours — our own page, or a foreign page, with our preload — is
 *     dropped: the call gets no answer, nothing reaches the pool, the log says "IPC message dropped";
 *  4. add a pool through the dialog → trust its certificate → open the QEMU VM's console: the canvas
 *     equals QEMU's QMP screendump (so the app:// page reaches the loopback bridge: the Local Network
 *     Access grant works);
 *  5. the console's Fullscreen button puts the console panel in fullscreen and takes it out again;
 *  6. Pop out moves the console into its own window, where it connects; closing that window brings it
 *     back into the main window's tab, connected;
 *  7. quitting closes every console tunnel and logs every session out (the simulator counts zero).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { startSimulator } from '../../electron/sim/index';
import type { Simulator } from '../../electron/sim/types';
import { LAUNCHERS, VNC_KIND_TOOLS } from '../backends/index';
import { needTools } from '../support/tools';
import { AppPage } from '../e2e/pages/app';
import { expectCanvasEqualsScreendump } from '../e2e/screendump';
import { waitUntil } from '../e2e/support';
import { ROOT, SKIPPED_MESSAGE, electronBinary } from './binary';

const binary = electronBinary();
const skip = binary === undefined ? SKIPPED_MESSAGE : needTools(...VNC_KIND_TOOLS.qemu);
/** Longest wait for a state the app reaches by itself (pool connected, tunnels closed), ms. */
const SETTLE_TIMEOUT_MS = 30_000;

/** The few page-world things these checks touch (this file is compiled without the DOM library). */
interface PageWorld {
  document: {
    addEventListener(type: 'securitypolicyviolation', listener: (event: { effectiveDirective: string }) => void): void;
    createElement(tag: 'script'): { textContent: string };
    head: { append(node: unknown): void };
    fullscreenElement: unknown;
  };
  fetch(url: string): Promise<unknown>;
}

describe('the Electron app against the simulator', { skip }, () => {
  let sim: Simulator;
  let app: ElectronApplication;
  let page: Page;
  let ui: AppPage;
  let userData: string;
  let qemuVm: string | undefined;
  const logFile = (): string => join(userData, 'logs', 'porthole.log');
  const logText = (): string => (existsSync(logFile()) ? readFileSync(logFile(), 'utf8') : '');

  before(async () => {
    // The first running guest gets a real QEMU, every other console the synthetic server.
    sim = await startSimulator({
      hosts: 2,
      vms: 4,
      powerOpMs: 100,
      launchers: LAUNCHERS,
      vnc: (name, isControlDomain) => {
        if (!isControlDomain && (qemuVm === undefined || qemuVm === name)) {
          qemuVm = name;
          return 'qemu';
        }
        return 'synthetic';
      },
    });
    userData = mkdtempSync(join(tmpdir(), 'porthole-electron-'));
    app = await _electron.launch({
      executablePath: binary,
      // basic: no OS keyring on a test machine; the profile is thrown away.
      args: ['--password-store=basic', ROOT],
      env: { ...process.env, PORTHOLE_USER_DATA: userData, PORTHOLE_LOG: 'debug' },
    });
    page = await app.firstWindow();
    ui = new AppPage(page);
    await page.locator('#app > *').first().waitFor({ state: 'attached' });
  });

  after(async () => {
    await app?.close().catch(() => undefined);
    await sim?.stop();
    if (userData !== undefined) rmSync(userData, { recursive: true, force: true });
  });

  test('only window.porthole is exposed: frozen, invoke and on, no Node or Electron globals', async () => {
    const seen = await page.evaluate(() => {
      const w = globalThis as unknown as Record<string, unknown>;
      const api = w.porthole as Record<string, unknown> | undefined;
      return {
        apiKeys: api === undefined ? [] : Object.keys(api).sort(),
        frozen: api !== undefined && Object.isFrozen(api),
        nodeGlobals: ['require', 'process', 'module', 'exports', 'Buffer', 'global', '__dirname', 'ipcRenderer', 'electron'].filter((n) => n in w),
        bridgeLike: Object.getOwnPropertyNames(w).filter((n) => /ipc|electron|porthole|node/i.test(n)),
      };
    });
    assert.deepEqual(seen.apiKeys, ['invoke', 'on']);
    assert.equal(seen.frozen, true);
    assert.deepEqual(seen.nodeGlobals, []);
    assert.deepEqual(seen.bridgeLike, ['porthole']);
  });

  test('the CSP is in force: eval, inline script and internet fetches are refused', async () => {
    const outcome = await page.evaluate(async () => {
      const world = globalThis as unknown as PageWorld;
      const document = world.document;
      const violations: string[] = [];
      const three = new Promise<void>((resolve) => {
        document.addEventListener('securitypolicyviolation', (e) => {
          violations.push(e.effectiveDirective);
          if (violations.length >= 3) resolve();
        });
      });
      let evalResult = 'ran';
      try {
        (0, eval)('1');
      } catch (error) {
        evalResult = (error as Error).name;
      }
      const script = document.createElement('script');
      script.textContent = 'window.__portholeInline = true';
      document.head.append(script);
      const fetched = await world.fetch('https://example.com/').then(
        () => 'fetched',
        () => 'refused',
      );
      await three;
      return { evalResult, inline: (globalThis as unknown as Record<string, unknown>).__portholeInline === true, fetched, violations: violations.sort() };
    });
    assert.equal(outcome.evalResult, 'EvalError');
    assert.equal(outcome.inline, false);
    assert.equal(outcome.fetched, 'refused');
    assert.deepEqual(outcome.violations, ['connect-src', 'script-src', 'script-src-elem']);
    const header = await app.evaluate(async ({ net }) => (await net.fetch('app://porthole/index.html')).headers.get('content-security-policy'));
    assert.match(header ?? '', /^default-src 'none'; script-src 'self';/);
    assert.match(header ?? '', /connect-src ws:\/\/127\.0\.0\.1:\d+;/);
  });

  test('IPC from a window that is not ours is dropped, whatever page it shows', async () => {
    const master = new URL(sim.masterUrl);
    const attemptsBefore = sim.stats().loginAttempts;
    const request = { name: 'foreign', address: master.host, username: sim.user, password: sim.password, remember: false };
    const answers = await app.evaluate(
      async ({ BrowserWindow }, { preload, request: arg }) => {
        const out: string[] = [];
        for (const url of ['app://porthole/index.html', 'data:text/html,<p>foreign</p>']) {
          const win = new BrowserWindow({ show: false, webPreferences: { preload, sandbox: true, contextIsolation: true } });
          await win.loadURL(url);
          const call = `window.porthole === undefined ? 'no api' : window.porthole.invoke('pool:add', ${JSON.stringify(arg)}).then(() => 'answered', (e) => 'refused ' + e.code)`;
          out.push(String(await win.webContents.executeJavaScript(call)));
          win.destroy();
        }
        return out;
      },
      { preload: join(ROOT, 'dist', 'electron', 'preload.cjs'), request },
    );
    assert.deepEqual(answers, ['refused INTERNAL', 'refused INTERNAL'], 'no answer reaches a foreign window');
    assert.equal(sim.stats().loginAttempts, attemptsBefore, 'nothing reached the pool');
    await waitUntil('the log to record both drops', SETTLE_TIMEOUT_MS, () => ((logText().match(/IPC message dropped/g) ?? []).length >= 2 ? true : undefined));
    assert.match(logText(), /not one of our windows/);
  });

  test("add pool → trust → the QEMU console's canvas equals QMP's screendump", async () => {
    assert.ok(qemuVm !== undefined, 'a running guest got QEMU');
    const master = new URL(sim.masterUrl);
    const trustText = await ui.addPool({ address: master.host, username: sim.user, password: sim.password });
    const masterInfo = sim.hosts.find((h) => h.address === master.hostname && String(h.port) === master.port);
    assert.ok(masterInfo !== undefined && trustText.includes(masterInfo.fingerprint), 'the trust dialog shows the master fingerprint');
    await ui.trustDialog.trust();
    await ui.tree.open(qemuVm);
    const tab = ui.tab(qemuVm);
    await tab.waitForState('connected');
    assert.equal(sim.stats().consoleTunnels, 1);
    await expectCanvasEqualsScreendump(tab, sim, qemuVm);
  });

  test('Fullscreen puts the console in fullscreen and takes it out again', async () => {
    assert.ok(qemuVm !== undefined);
    const panel = ui.tab(qemuVm).panel;
    const button = panel.getByRole('button', { name: 'Fullscreen', exact: true });
    await button.click();
    await page.waitForFunction(() => (globalThis as unknown as PageWorld).document.fullscreenElement !== null);
    await panel.getByRole('button', { name: 'Fullscreen', exact: true, pressed: true }).waitFor();
    assert.equal(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().some((w) => w.isFullScreen())), true);
    await button.click();
    await page.waitForFunction(() => (globalThis as unknown as PageWorld).document.fullscreenElement === null);
    await panel.getByRole('button', { name: 'Fullscreen', exact: true, pressed: false }).waitFor();
  });

  test('Pop out opens the console in its own window; closing it brings the tab back', async () => {
    assert.ok(qemuVm !== undefined);
    const [popout] = await Promise.all([app.waitForEvent('window'), ui.tab(qemuVm).panel.getByRole('button', { name: 'Pop out', exact: true }).click()]);
    assert.match(popout.url(), /^app:\/\/porthole\/index\.html#popout=/);
    await popout.locator('[data-state="connected"]').first().waitFor({ state: 'attached', timeout: SETTLE_TIMEOUT_MS });
    await popout.close();
    await ui.tab(qemuVm).waitForState('connected', SETTLE_TIMEOUT_MS);
  });

  test('quit closes every console tunnel and logs every session out', async () => {
    assert.ok(sim.stats().consoleTunnels >= 1, 'a console is open before quitting');
    assert.ok(sim.stats().sessions >= 1, 'a session is open before quitting');
    await app.close();
    await waitUntil('tunnels and sessions to close', SETTLE_TIMEOUT_MS, () => {
      const s = sim.stats();
      return s.consoleTunnels === 0 && s.sessions === 0 ? true : undefined;
    });
  });
});
