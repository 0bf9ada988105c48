/**
 * The app's own origin. The renderer is served from `app://porthole/` (a privileged, standard, secure
 * custom scheme registered by the shell), never from a dev server or `file://`, so that every other
 * check (IPC sender, CSP 'self', the bridge's allowed WebSocket origins) can compare against this one
 * origin string.
 */

/** Custom scheme serving dist/renderer. */
export const APP_SCHEME = 'app';
/** Host part of every app URL. */
export const APP_HOST = 'porthole';
/** The page's origin as Chromium serialises it (also what the bridge sees in the Origin header). */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** The main window's entry page. */
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** True when `raw` is a URL on our own origin (scheme and host compared exactly, no port, no credentials). */
export function isAppUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  // Node's URL gives origin "null" for non-special schemes, so compare the parts instead.
  return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST && url.username === '' && url.password === '';
}

/** The URL a pop-out console window loads; the renderer reads `#popout=<poolId>/<vmUuid>`. */
export function popoutUrl(poolId: string, vmUuid: string): string {
  return `${APP_INDEX_URL}#popout=${encodeURIComponent(poolId)}/${encodeURIComponent(vmUuid)}`;
}
