/**
 * Serves the built renderer (dist/renderer) for `app://porthole/…` requests.
 *
 * The URL path is decoded once and resolved below the root; anything that would escape it (`..`,
 * encoded slashes or backslashes, NUL bytes), any other host, or any method but GET/HEAD is refused.
 * Only known file types are served, each with an explicit Content-Type, `nosniff` and the CSP, so
 * the page's policy comes from the same place as the page. Uses the global fetch `Response`, so the
 * Electron `protocol.handle` callback simply returns what this returns.
 */
import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { APP_HOST, APP_SCHEME } from './app-url';

/** Content types of the files Vite emits. */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

/** Where a request URL points, or why it is refused. */
export type AppPathResult = { kind: 'file'; path: string; contentType: string } | { kind: 'refused'; status: 400 | 403 | 404 };

/** Maps an app:// URL to a file below `rootDir` (absolute), refusing anything outside it. */
export function resolveAppPath(rootDir: string, requestUrl: string): AppPathResult {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { kind: 'refused', status: 400 };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return { kind: 'refused', status: 403 };
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return { kind: 'refused', status: 400 };
  }
  // Why: an encoded "\" or NUL could be read as a separator or truncate the path on some platforms.
  if (path.includes('\\') || path.includes('\0')) return { kind: 'refused', status: 400 };
  if (path === '/' || path === '') path = '/index.html';
  const root = resolve(rootDir);
  const full = resolve(root, '.' + path);
  if (!full.startsWith(root + sep)) return { kind: 'refused', status: 403 };
  const contentType = MIME_TYPES[extname(full).toLowerCase()];
  if (contentType === undefined) return { kind: 'refused', status: 404 };
  return { kind: 'file', path: full, contentType };
}

/** Answers one protocol request: the file with its headers, or a bare error status. */
export async function serveAppRequest(rootDir: string, request: { url: string; method: string }, csp: string): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405 });
  const target = resolveAppPath(rootDir, request.url);
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
