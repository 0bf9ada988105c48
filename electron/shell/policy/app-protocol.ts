/**
 * Serves the built renderer (dist/renderer) for `app://porthole/…` requests.
 *
 * Any other scheme or host, and any method but GET/HEAD, is refused here; the path goes to the one
 * static-file resolver (`core/static-files.ts`: decode, normalise, realpath, then check), shared with
 * the web harness. Every file goes out with its Content-Type, `nosniff` and the CSP, so the page's
 * policy comes from the same place as the page. Uses the global fetch `Response`, so the
 * Electron `protocol.handle` callback simply returns what this returns.
 */
import { readFile } from 'node:fs/promises';
import { resolveStatic, type StaticTarget } from '../../core/static-files';
import { APP_HOST, APP_SCHEME } from './app-url';

/** Maps an app:// URL to a file below `rootDir`: other schemes and hosts are refused, the path goes to the one resolver. */
export async function resolveAppPath(rootDir: string, requestUrl: string): Promise<StaticTarget> {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { kind: 'refused', status: 400 };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return { kind: 'refused', status: 403 };
  return resolveStatic(rootDir, url.pathname);
}

/** Answers one protocol request: the file with its headers, or a bare error status. */
export async function serveAppRequest(rootDir: string, request: { url: string; method: string }, csp: string): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405 });
  const target = await resolveAppPath(rootDir, request.url);
  if (target.kind === 'refused') return new Response(null, { status: target.status });
  let body: Buffer;
  try {
    body = await readFile(target.path);
  } catch {
    return new Response(null, { status: 404 });
  }
  const headers = {
    'content-type': target.contentType,
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  };
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
}
