/**
 * Preload (sandboxed, bundled as CommonJS): gives the page exactly one object, `window.porthole`,
 * implementing the contract's `PortholeApi`. No ipcRenderer, no sync IPC reaches the page.
 *
 * `executeInMainWorld` builds the object inside the page's world so rejected calls are real Errors
 * with `.code` (see policy/page-api.ts). If that API is unavailable, `exposeInMainWorld` is the
 * fallback; there, errors cross the bridge with their message only.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './policy/ipc';
import { installPortholeApi, makeRawBridge } from './policy/page-api';
const raw = makeRawBridge(ipcRenderer, INVOKE_CHANNEL, EVENT_CHANNEL);

try {
  contextBridge.executeInMainWorld({ func: installPortholeApi, args: [raw] });
} catch {
  const fallback: Record<string, unknown> = {};
  installPortholeApi(raw, fallback);
  contextBridge.exposeInMainWorld('porthole', fallback.porthole);
}
