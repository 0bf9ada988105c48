/**
 * Electron main process entry: wires the backend (electron/core) to Porthole's windows.
 *
 * Order matters: the app:// scheme is registered as privileged before `ready`; a second instance
 * only focuses the first; logs go to <userData>/logs/porthole.log (rotated); every webContents is
 * locked down (no navigation, no redirects, no window.open; permissions per policy/permissions.ts:
 * fullscreen and Local Network Access for our own page only, once the bridge listens); the renderer is served
 * from the packaged dist/renderer through app:// with the CSP; one IPC handler fronts the backend.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, safeStorage, session, shell, webContents } from 'electron';
import type { MenuItemConstructorOptions } from 'electron';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configureLog, getLogger, parseLogLevel } from '../../shared/log';
import { startServices } from '../core/services';
import { APP_ORIGIN, APP_SCHEME } from './policy/app-url';
import { serveAppRequest } from './policy/app-protocol';
import { buildCsp } from '../core/csp';
import { createInvokeHandler, INVOKE_CHANNEL } from './policy/ipc';
import { createRotatingLog } from './policy/log-file';
import { buildMenuTemplate, isShellAction } from './policy/menu-template';
import type { MenuEntry, MenuItemAction } from './policy/menu-template';
import { decideNavigation, decideRedirect, decideWindowOpen } from './policy/navigation';
import { decidePermission } from './policy/permissions';
import type { NavigationDecision } from './policy/navigation';
import { broadcast, createMainWindow, isOurWindow, mainWindow, openPopout, sendTo, setCapture, targetWindow } from './windows';
import type { WindowEnv } from './windows';
import { checkArg } from '../../shared/validate';

/** Longest wait for the services to stop when quitting, in ms. */
const QUIT_TIMEOUT_MS = 3000;
const here = import.meta.dirname;
// A separate profile (config, secrets, logs, window state) for the end-to-end suite and portable runs.
const userDataOverride = process.env.PORTHOLE_USER_DATA;
if (userDataOverride !== undefined && userDataOverride !== '') app.setPath('userData', userDataOverride);
const rendererDir = join(here, '..', 'renderer');
const logs = createRotatingLog({ dir: join(app.getPath('userData'), 'logs') });
configureLog((level, line) => {
  logs.sink(level, line);
  if (!app.isPackaged) process.stderr.write(line + '\n');
}, parseLogLevel(process.env.PORTHOLE_LOG, 'info'));
const log = getLogger('shell');

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

const env: WindowEnv = {
  preload: join(here, 'preload.cjs'),
  devTools: !app.isPackaged,
  stateFile: join(app.getPath('userData'), 'window-state.json'),
};

function follow(decision: NavigationDecision): void {
  if (decision.openExternal !== undefined) void shell.openExternal(decision.openExternal).catch(() => undefined);
}

// Why for every webContents, not just ours: nothing in this app may navigate or open windows.
app.on('web-contents-created', (_event, contents) => {
  contents.on('will-frame-navigate', (event) => {
    event.preventDefault();
    follow(decideNavigation(event.url));
  });
  contents.on('will-redirect', (event) => {
    event.preventDefault();
    follow(decideRedirect(event.url));
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    follow(decideWindowOpen(url));
    return { action: 'deny' };
  });
});

function runMenuAction(action: MenuItemAction, focused: unknown): void {
  const win = targetWindow(focused);
  if (!isShellAction(action)) {
    if (win !== undefined) sendTo(win.webContents, 'menu:action', { action });
  } else if (action === 'view:fullscreen') {
    win?.setFullScreen(!win.isFullScreen());
  } else {
    shell.showItemInFolder(logs.path);
  }
}

function menuItem(entry: MenuEntry): MenuItemConstructorOptions {
  if (entry.kind === 'separator') return { type: 'separator' };
  if (entry.kind === 'role') return { role: entry.role };
  const item: MenuItemConstructorOptions = { label: entry.label, click: (_item, focused) => runMenuAction(entry.action, focused) };
  if (entry.accelerator !== undefined) item.accelerator = entry.accelerator;
  return item;
}

function installMenu(): void {
  const template = buildMenuTemplate(process.platform, env.devTools).map((section): MenuItemConstructorOptions =>
    section.role === undefined ? { label: section.label, submenu: section.items.map(menuItem) } : { role: section.role },
  );
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

async function start(): Promise<void> {
  await app.whenReady();
  const services = await startServices({ configDir: app.getPath('userData'), cipher: safeStorage, allowedOrigins: [APP_ORIGIN], version: app.getVersion(), harness: false });
  const { backend } = services;
  // Installed before any window exists; the LNA grant needs the bridge's origin, known only now.
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((contents, permission, callback, details) =>
    callback(decidePermission({ kind: 'request', permission, fromOurWindow: isOurWindow(contents.id), isMainFrame: details.isMainFrame, requestingUrl: details.requestingUrl }, services.bridgeOrigin)),
  );
  ses.setPermissionCheckHandler((contents, permission, requestingOrigin, details) =>
    decidePermission(
      { kind: 'check', permission, fromOurWindow: contents !== null && isOurWindow(contents.id), isMainFrame: details.isMainFrame, requestingUrl: details.requestingUrl, requestingOrigin, embeddingOrigin: details.embeddingOrigin },
      services.bridgeOrigin,
    ),
  );
  ses.setDevicePermissionHandler(() => false);
  const csp = buildCsp([services.bridgeOrigin]);
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(rendererDir, request, csp));
  backend.on((channel, payload) => broadcast(channel, payload));

  ipcMain.handle(
    INVOKE_CHANNEL,
    createInvokeHandler({
      isOurWindow,
      backend: (channel, arg) => backend.handle(channel, arg),
      local: {
        'console:capture': (arg, sender) => setCapture(sender.webContentsId, checkArg('console:capture', arg).active),
        'console:popout': (arg) => {
          const { poolId, vmUuid } = checkArg('console:popout', arg);
          openPopout(env, poolId, vmUuid);
        },
        'console:save-screenshot': async (arg, sender) => {
          const { name, pngBase64 } = checkArg('console:save-screenshot', arg);
          const contents = webContents.fromId(sender.webContentsId);
          const owner = contents === undefined ? mainWindow() : (BrowserWindow.fromWebContents(contents) ?? mainWindow());
          const options = { defaultPath: join(app.getPath('pictures'), name), filters: [{ name: 'PNG image', extensions: ['png'] }] };
          const choice = owner === undefined ? await dialog.showSaveDialog(options) : await dialog.showSaveDialog(owner, options);
          if (choice.canceled || choice.filePath === undefined || choice.filePath === '') return { saved: false };
          await writeFile(choice.filePath, Buffer.from(pngBase64, 'base64'));
          return { saved: true };
        },
      },
      report: (kind, detail) => (kind === 'dropped' ? log.warn('IPC message dropped', detail) : log.error('request failed', detail)),
    }),
  );

  installMenu();
  createMainWindow(env);
  app.on('second-instance', () => {
    const win = mainWindow();
    if (win === undefined) return void createMainWindow(env);
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('activate', () => {
    if (mainWindow() === undefined) createMainWindow(env);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  let stopped = false;
  app.on('will-quit', (event) => {
    if (stopped) return;
    // Why wait: open console tunnels and XAPI sessions are closed cleanly (bounded by QUIT_TIMEOUT_MS).
    event.preventDefault();
    const timeout = new Promise((resolve) => setTimeout(resolve, QUIT_TIMEOUT_MS));
    void Promise.race([services.close(), timeout]).finally(() => {
      stopped = true;
      app.quit();
    });
  });
  log.info('started', { version: app.getVersion(), packaged: app.isPackaged });
}

if (app.requestSingleInstanceLock()) {
  start().catch((error: unknown) => {
    log.error('startup failed', { error });
    app.exit(1);
  });
} else {
  app.quit();
}
