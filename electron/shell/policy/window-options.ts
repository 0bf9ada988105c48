/**
 * The BrowserWindow options for the main window and pop-out console windows, as plain data.
 *
 * Every window gets the same locked-down webPreferences: context isolation, the Chromium sandbox, no
 * Node in the page, web security on, no <webview>, no spellchecker (it would send typed text to a
 * dictionary service and is useless in a console). The preload is the only bridge to the main process.
 */
import type { WindowBounds } from './window-state';

/** Smallest usable window, in px. */
export const MIN_WIDTH_PX = 640;
/** Smallest usable window height, in px. */
export const MIN_HEIGHT_PX = 420;
/** Background painted before the page loads (matches the renderer's dark theme), to avoid a white flash. */
export const BACKGROUND_COLOR = '#1e1f24';

/** The security-relevant webPreferences, identical for every window. */
export interface SecureWebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  webviewTag: false;
  spellcheck: false;
  navigateOnDragDrop: false;
  safeDialogs: true;
  devTools: boolean;
}

/** Options for one window (a structural subset of Electron's BrowserWindowConstructorOptions). */
export interface WindowOptions {
  title: string;
  width: number;
  height: number;
  x?: number;
  y?: number;
  minWidth: number;
  minHeight: number;
  show: false;
  backgroundColor: string;
  autoHideMenuBar: boolean;
  webPreferences: SecureWebPreferences;
}

/** webPreferences for any Porthole window; `devTools` only in unpackaged builds. */
export function secureWebPreferences(preloadPath: string, devTools: boolean): SecureWebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    devTools,
  };
}

/** Options for the main window at the (already sanitised) remembered bounds. */
export function mainWindowOptions(bounds: WindowBounds, preloadPath: string, devTools: boolean): WindowOptions {
  return {
    title: 'Porthole',
    width: bounds.width,
    height: bounds.height,
    ...(bounds.x === undefined || bounds.y === undefined ? {} : { x: bounds.x, y: bounds.y }),
    minWidth: MIN_WIDTH_PX,
    minHeight: MIN_HEIGHT_PX,
    // Shown on 'ready-to-show' so the user never sees an empty frame.
    show: false,
    backgroundColor: BACKGROUND_COLOR,
    autoHideMenuBar: false,
    webPreferences: secureWebPreferences(preloadPath, devTools),
  };
}

/** Pop-out console windows: default size, same security, titled after the VM later by the page. */
export function popoutWindowOptions(preloadPath: string, devTools: boolean): WindowOptions {
  return {
    title: 'Porthole console',
    width: 1024,
    height: 800,
    minWidth: MIN_WIDTH_PX,
    minHeight: MIN_HEIGHT_PX,
    show: false,
    backgroundColor: BACKGROUND_COLOR,
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(preloadPath, devTools),
  };
}
