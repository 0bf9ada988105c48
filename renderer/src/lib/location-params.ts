/**
 * Reads what the page needs from its own URL: the harness token (`?token=` or `#token=`), the
 * pop-out target (`#popout=<poolId>/<vmUuid>`) and the hidden-console timeout (`?hidden-disconnect-ms=`). Pure functions over `{ search, hash }` so they are
 * testable without a browser.
 */

/** The parts of `window.location` these functions read. */
export interface LocationLike {
  search: string;
  hash: string;
}

/** Which console a pop-out window shows. */
export interface PopoutTarget {
  poolId: string;
  vmUuid: string;
}

function hashParams(hash: string): URLSearchParams {
  return new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
}

/** The harness token from the query string, else from the hash; undefined when absent or empty. */
export function readToken(location: LocationLike): string | undefined {
  const fromQuery = new URLSearchParams(location.search).get('token');
  if (fromQuery !== null && fromQuery !== '') return fromQuery;
  const fromHash = hashParams(location.hash).get('token');
  return fromHash !== null && fromHash !== '' ? fromHash : undefined;
}

/** The pop-out target when the hash starts with `#popout=<poolId>/<vmUuid>`, else undefined. */
export function readPopout(location: LocationLike): PopoutTarget | undefined {
  if (!location.hash.startsWith('#popout=')) return undefined;
  const value = hashParams(location.hash).get('popout');
  if (value === null) return undefined;
  // VM uuids never contain '/', so the last slash separates the pool id from the VM.
  const slash = value.lastIndexOf('/');
  if (slash <= 0 || slash === value.length - 1) return undefined;
  return { poolId: value.slice(0, slash), vmUuid: value.slice(slash + 1) };
}

/** The API socket URL for the harness page at `host` (e.g. `127.0.0.1:5173`). */
export function harnessSocketUrl(host: string, token: string): string {
  return `ws://${host}/api?token=${encodeURIComponent(token)}`;
}

/** `?hidden-disconnect-ms=N` (a whole number of ms, 0 allowed) when present and valid, else undefined. */
export function readHiddenDisconnectMs(location: LocationLike): number | undefined {
  const value = new URLSearchParams(location.search).get('hidden-disconnect-ms');
  if (value === null || !/^\d{1,9}$/.test(value)) return undefined;
  return Number(value);
}
