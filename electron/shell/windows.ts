/**
 * Porthole's windows (the main window and pop-out consoles) and the per-window Electron wiring:
 * secure options, remembered bounds, keyboard capture in `before-input-event`, and the pop-out/pop-in
 * round trip. Decisions live in policy/*; this file only connects them to BrowserWindow.
 */
import { BrowserWindow, screen } from 'electron';
import type { WebContents } from 'electron';
import type { EventChannel, Events } from '../../shared/contract';
import { APP_INDEX_URL, popoutUrl } from './policy/app-url';
import { EVENT_CHANNEL } from './policy/ipc';
import { closeGuardFor, decideKey } from './policy/keyboard';
import { mainWindowOptions, popoutWindowOptions } from './policy/window-options';
import { readWindowState, sanitizeBounds, writeWindowState } from './policy/window-state';

/** Fixed facts every window needs. */
export interface WindowEnv {
  preload: string;
  devTools: boolean;
  stateFile: string;
}

interface Tracked {
  win: BrowserWindow;
  popout?: { poolId: string; vmUuid: string };
  capture: boolean;
  closeGuardUntilMs: number;
}

const tracked = new Map<number, Tracked>();
let mainId: number | undefined;

/** True when `webContentsId` is one of our windows (the IPC wrapper's sender check). */
export function isOurWindow(webContentsId: number): boolean {
  return tracked.has(webContentsId);
}

function post(contents: WebContents, channel: EventChannel, payload: unknown): void {
  if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, channel, payload);
}

/** Sends a push event to one window's page. */
export function sendTo<E extends EventChannel>(contents: WebContents, channel: E, payload: Events[E]): void {
  post(contents, channel, payload);
}

/** Sends a backend push event to every Porthole window. */
export function broadcast<E extends EventChannel>(channel: E, payload: Events[E]): void {
  for (const t of tracked.values()) post(t.win.webContents, channel, payload);
}

/** The main window, if open. */
export function mainWindow(): BrowserWindow | undefined {
  return mainId === undefined ? undefined : tracked.get(mainId)?.win;
}

/** The focused Porthole window, else the main window. */
export function targetWindow(focused: unknown): BrowserWindow | undefined {
  for (const t of tracked.values()) if (t.win === focused) return t.win;
  return mainWindow();
}

/** console:capture from a window's page. */
export function setCapture(webContentsId: number, active: boolean): void {
  const t = tracked.get(webContentsId);
  if (t !== undefined) t.capture = active;
}

function track(win: BrowserWindow, popout?: Tracked['popout']): Tracked {
  const id = win.webContents.id;
  const t: Tracked = { win, capture: false, closeGuardUntilMs: 0, ...(popout === undefined ? {} : { popout }) };
  tracked.set(id, t);
  const contents = win.webContents;
  contents.on('before-input-event', (event, input) => {
    const decision = decideKey(input, t.capture, process.platform);
    // Why: while a console holds the keyboard, app accelerators must not eat the guest's keys.
    contents.setIgnoreMenuShortcuts(decision === 'guest');
    t.closeGuardUntilMs = closeGuardFor(input, decision, process.platform, Date.now()) ?? t.closeGuardUntilMs;
    if (decision === 'release') {
      event.preventDefault();
      t.capture = false;
      sendTo(contents, 'menu:action', { action: 'console:release-keyboard' });
    }
  });
  // Why: a reloaded or crashed page no longer holds the keyboard; menus must work again.
  contents.on('did-start-loading', () => (t.capture = false));
  contents.on('render-process-gone', () => (t.capture = false));
  win.on('close', (event) => {
    if (Date.now() < t.closeGuardUntilMs) event.preventDefault();
  });
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => tracked.delete(id));
  return t;
}

/** Opens the main window at its remembered bounds. */
export function createMainWindow(env: WindowEnv): BrowserWindow {
  const workAreas = screen.getAllDisplays().map((d) => d.workArea);
  const bounds = sanitizeBounds(readWindowState(env.stateFile), workAreas);
  const win = new BrowserWindow(mainWindowOptions(bounds, env.preload, env.devTools));
  if (bounds.maximized) win.maximize();
  track(win);
  mainId = win.webContents.id;
  win.on('close', () => {
    try {
      writeWindowState(env.stateFile, win.getNormalBounds(), win.isMaximized());
    } catch {
      // Why: failing to remember the size is not worth an error dialog.
    }
  });
  win.on('closed', () => {
    mainId = undefined;
    for (const t of tracked.values()) t.win.close();
  });
  void win.loadURL(APP_INDEX_URL);
  return win;
}

/** Moves a console into its own window (or focuses the one it already has); closing it pops it back in. */
export function openPopout(env: WindowEnv, poolId: string, vmUuid: string): void {
  for (const t of tracked.values()) {
    if (t.popout?.poolId === poolId && t.popout.vmUuid === vmUuid) {
      t.win.focus();
      return;
    }
  }
  const win = new BrowserWindow(popoutWindowOptions(env.preload, env.devTools));
  track(win, { poolId, vmUuid });
  win.on('closed', () => {
    const main = mainWindow();
    if (main !== undefined) sendTo(main.webContents, 'console:popin', { poolId, vmUuid });
  });
  void win.loadURL(popoutUrl(poolId, vmUuid));
}
