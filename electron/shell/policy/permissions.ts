/**
 * The answer to every Chromium permission request and permission check: the two the app needs,
 * only where it needs them, and nothing else.
 *
 * - **Fullscreen.** The console's Fullscreen button calls `requestFullscreen()`. Electron routes it
 *   through the permission handlers (`fullscreen`; the check handler is also asked
 *   `automatic-fullscreen`), and a refused request never settles (electron/electron#37719), so a
 *   deny-all makes the button do nothing. Allowed for the main frame of our own windows showing our
 *   own page; `automatic-fullscreen` (fullscreen without a user gesture) only answers checks.
 * - **Local Network Access.** Since Chromium 147 a page Chromium does not count as local (our
 *   `app://` page is one) is refused before it opens a WebSocket to 127.0.0.1 unless it holds the
 *   Local Network Access permission — named `local-network-access`, or split into `local-network` and
 *   `loopback-network` in newer Chromium. Without it no console opens. Granted under every name to the
 *   main frame of our own windows showing `app://porthole`, and only while the bridge listens on a
 *   loopback origin.
 *
 * What the handlers can check: the asking `webContents` (ours or not), `details.isMainFrame`,
 * `details.requestingUrl`, and for checks the `requestingOrigin` and `details.embeddingOrigin` (set
 * for cross-origin subframes). What they cannot: *which* address the page is about to reach —
 * Chromium passes no target. That part is the CSP's job: its `connect-src` names only the bridge's
 * origin (`csp.ts`), so the page's only local destination is the bridge. The two go together: a
 * wider `connect-src` would widen what this grant allows.
 */
import { assertBridgeOrigin } from '../../core/csp';
import { isAppUrl } from './app-url';

/** Chromium's names for the Local Network Access permission, old and new. */
export const LOCAL_NETWORK_PERMISSIONS: readonly string[] = ['local-network-access', 'local-network', 'loopback-network'];
/** Fullscreen permissions a request may be granted. */
export const FULLSCREEN_REQUESTS: readonly string[] = ['fullscreen'];
/** Fullscreen permissions a check may be granted. */
export const FULLSCREEN_CHECKS: readonly string[] = ['fullscreen', 'automatic-fullscreen'];

/** One permission question, reduced to the facts Electron gives the handler. */
export interface PermissionAsk {
  /** `request`: setPermissionRequestHandler; `check`: setPermissionCheckHandler. */
  kind: 'request' | 'check';
  permission: string;
  /** The asking webContents is one of Porthole's windows (false when Electron passes none). */
  fromOurWindow: boolean;
  /** `details.isMainFrame`. */
  isMainFrame: boolean;
  /** `details.requestingUrl` (the last URL the asking frame loaded), when given. */
  requestingUrl: string | undefined;
  /** Checks only: the `requestingOrigin` argument. */
  requestingOrigin?: string;
  /** Checks only: `details.embeddingOrigin`, set when a cross-origin subframe asks. */
  embeddingOrigin?: string;
}

function isLoopbackBridge(origin: string | undefined): boolean {
  if (origin === undefined) return false;
  try {
    assertBridgeOrigin(origin);
    return true;
  } catch {
    return false;
  }
}

/** Our own page, in the top frame of one of our windows. */
function fromOurPage(ask: PermissionAsk): boolean {
  if (!ask.fromOurWindow || !ask.isMainFrame) return false;
  // Why both URL and origin: a check may come without requestingUrl; neither may name another page.
  if (ask.requestingUrl === undefined && ask.requestingOrigin === undefined) return false;
  if (ask.requestingUrl !== undefined && !isAppUrl(ask.requestingUrl)) return false;
  if (ask.requestingOrigin !== undefined && !isAppUrl(ask.requestingOrigin)) return false;
  return ask.embeddingOrigin === undefined || ask.embeddingOrigin === '';
}

/** True to grant. `bridgeOrigin` is the console bridge's `ws://127.0.0.1:PORT` (undefined before it listens). */
export function decidePermission(ask: PermissionAsk, bridgeOrigin: string | undefined): boolean {
  const fullscreen = ask.kind === 'request' ? FULLSCREEN_REQUESTS : FULLSCREEN_CHECKS;
  if (fullscreen.includes(ask.permission)) return fromOurPage(ask);
  // Why the bridge condition: the grant exists only so the page reaches the loopback bridge.
  if (LOCAL_NETWORK_PERMISSIONS.includes(ask.permission)) return fromOurPage(ask) && isLoopbackBridge(bridgeOrigin);
  return false;
}
