/**
 * The one static-file resolver: maps a URL path to a file of the built renderer (`dist/renderer/`),
 * for the shell's `app://` protocol and the web harness alike.
 *
 * How it works, in this order (each step sees only what the previous one let through):
 * 1. decode: the URL path is percent-decoded once (a bad escape → 400), so every later check sees
 *    what the file system will see (`/index%2ehtml` is `/index.html`, a page);
 * 2. normalise: a NUL or a backslash → 400 (a separator or a truncation on some platforms), a `.`
 *    or `..` segment → 403; `/` is `/index.html`;
 * 3. realpath: the root's and the file's real paths (symlinks resolved); missing → 404;
 * 4. check: the real file must lie inside the real root (403) and be a regular file of a known type
 *    (404). The type comes from the real file, so a link named `x.js` to a page is still a page.
 * `page` says whether the file is an HTML page (the callers send the CSP and, in the harness, want
 * the token). Nothing here lists directories or says what exists outside the root.
 */
import { realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';

/** MIME types of the files a Vite build emits; nothing else is served. */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
};

/** The MIME type of a file name, or undefined when it is not a type we serve. */
export function mimeType(path: string): string | undefined {
  return MIME_TYPES[extname(path).toLowerCase()];
}

/** What a URL path names: a file to serve, or the status to refuse it with. */
export type StaticTarget = { kind: 'file'; path: string; contentType: string; page: boolean } | { kind: 'refused'; status: 400 | 403 | 404 };

/** Resolves URL path `urlPath` (still percent-encoded, as `URL.pathname`) below `root`; see the header. */
export async function resolveStatic(root: string, urlPath: string): Promise<StaticTarget> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { kind: 'refused', status: 400 };
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return { kind: 'refused', status: 400 };
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.')) return { kind: 'refused', status: 403 };
  if (segments.length === 0) segments.push('index.html');
  let real: string;
  let realRoot: string;
  try {
    realRoot = await realpath(root);
    real = await realpath(join(realRoot, ...segments));
  } catch {
    return { kind: 'refused', status: 404 };
  }
  // Why: a symlink inside the build output must not lead out of it.
  if (!real.startsWith(realRoot + sep)) return { kind: 'refused', status: 403 };
  const contentType = mimeType(real);
  if (contentType === undefined) return { kind: 'refused', status: 404 };
  try {
    if (!(await stat(real)).isFile()) return { kind: 'refused', status: 404 };
  } catch {
    return { kind: 'refused', status: 404 };
  }
  return { kind: 'file', path: real, contentType, page: contentType.startsWith('text/html') };
}
