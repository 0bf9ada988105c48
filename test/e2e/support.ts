/**
 * Shared plumbing of the end-to-end suites: headless Chromium with a fresh profile, a fresh renderer
 * build, canvas read-back and QEMU screendump (PPM) comparison.
 *
 * Waiting is always on a state (`waitUntil` polls a condition until a deadline, for things with no
 * event to wait on, such as a file another process writes); nothing here retries a failed step.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

/** The project root. */
export const ROOT = join(import.meta.dirname, '..', '..');
/** The Chromium the CI image installs. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
/** Flags for a quiet, deterministic headless Chromium in a container. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** Window size: big enough for a 1024×768 console at 1:1 next to the tree, px. */
export const VIEWPORT = { width: 1440, height: 1000 };

/** A browser with one fresh profile and one page. */
export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Options of a browser session. */
export interface BrowserOptions {
  /** Device pixels per CSS pixel (2 for a HiDPI screen); 1 by default. */
  deviceScaleFactor?: number;
}

/** Launches headless Chromium with a fresh user-data-dir (removed on close); `extraArgs` go after ours. */
export async function launchBrowser(extraArgs: readonly string[] = [], options: BrowserOptions = {}): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), 'porthole-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    viewport: VIEWPORT,
    deviceScaleFactor: options.deviceScaleFactor ?? 1,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Newest modification time under a folder, ms. */
function newest(dir: string): number {
  let latest = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = join(dir, name);
    const info = statSync(full);
    latest = Math.max(latest, info.isDirectory() ? newest(full) : info.mtimeMs);
  }
  return latest;
}

/**
 * Builds dist/renderer when it is missing or older than renderer/ or shared/ (so a test run never
 * exercises a stale page). `npm test` builds first, so this is a no-op there.
 */
export function ensureFreshRenderer(): void {
  const index = join(ROOT, 'dist', 'renderer', 'index.html');
  const sources = Math.max(newest(join(ROOT, 'renderer')), newest(join(ROOT, 'shared')), statSync(join(ROOT, 'vite.config.ts')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], timeout: 180_000 });
}

/** Polls `check` until it returns a value other than undefined, or throws `what` after `timeoutMs`. */
export async function waitUntil<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A certificate as a server serves it (read here, not from the app): the facts the dialogs show. */
export interface ServedCertificate {
  fingerprint: string;
  subject: string;
  issuer: string;
  /** ISO 8601. */
  validFrom: string;
  validTo: string;
}

/**
 * Reads the certificate a TLS server serves now with a bare handshake (nothing is written). Chain
 * checks are off because the only use is to read what is presented.
 */
export function servedCertificate(host: string, port: number): Promise<ServedCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.destroy();
      if (cert === undefined) {
        reject(new Error(`${host}:${port} presented no certificate`));
        return;
      }
      resolve({
        fingerprint: cert.fingerprint256,
        subject: cert.subject.replace(/\n/g, ', '),
        issuer: cert.issuer.replace(/\n/g, ', '),
        validFrom: new Date(cert.validFrom).toISOString(),
        validTo: new Date(cert.validTo).toISOString(),
      });
    });
    socket.once('error', reject);
  });
}

/** An image as RGB bytes, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  /** 3 bytes per pixel. */
  rgb: Buffer;
}

/** Parses a binary PPM (P6, maxval 255), as QEMU's screendump writes it. */
export function parsePpm(data: Buffer): RgbImage {
  let offset = 0;
  const token = (): string => {
    for (;;) {
      while (offset < data.length && /\s/.test(String.fromCharCode(data[offset]!))) offset++;
      if (data[offset] === 0x23) {
        while (offset < data.length && data[offset] !== 0x0a) offset++;
        continue;
      }
      break;
    }
    const start = offset;
    while (offset < data.length && !/\s/.test(String.fromCharCode(data[offset]!))) offset++;
    return data.subarray(start, offset).toString('latin1');
  };
  const magic = token();
  const width = Number(token());
  const height = Number(token());
  const maxval = Number(token());
  offset++; // the single whitespace byte before the pixels
  if (magic !== 'P6' || maxval !== 255 || !(width > 0) || !(height > 0)) throw new Error(`not a P6/255 PPM: ${magic} ${width}x${height} max ${maxval}`);
  const rgb = data.subarray(offset, offset + width * height * 3);
  if (rgb.length !== width * height * 3) throw new Error('PPM pixel data is short');
  return { width, height, rgb };
}

/** The bits of a page canvas `readCanvas` uses (the Node-side tsconfig has no DOM types). */
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

/** Reads the pixels of a canvas element (the backing store, i.e. framebuffer pixels) as RGB. */
export async function readCanvas(canvas: Locator): Promise<RgbImage> {
  const { width, height, base64 } = await canvas.evaluate((element) => {
    const c = element as unknown as PageCanvas;
    const ctx = c.getContext('2d');
    if (ctx === null) throw new Error('canvas has no 2d context');
    const rgba = ctx.getImageData(0, 0, c.width, c.height).data;
    const rgb = new Uint8Array((rgba.length / 4) * 3);
    for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
      rgb[j] = rgba[i]!;
      rgb[j + 1] = rgba[i + 1]!;
      rgb[j + 2] = rgba[i + 2]!;
    }
    let binary = '';
    for (let i = 0; i < rgb.length; i += 0x8000) binary += String.fromCharCode(...rgb.subarray(i, i + 0x8000));
    return { width: c.width, height: c.height, base64: btoa(binary) };
  });
  return { width, height, rgb: Buffer.from(base64, 'base64') };
}

/** The result of comparing two images pixel for pixel. */
export interface FrameDiff {
  sameSize: boolean;
  mismatched: number;
  /** Bounding box of the differing pixels, when any. */
  box?: { x: number; y: number; width: number; height: number };
}

/** Compares two RGB images exactly. */
export function diffImages(a: RgbImage, b: RgbImage): FrameDiff {
  if (a.width !== b.width || a.height !== b.height) return { sameSize: false, mismatched: Math.max(a.width * a.height, b.width * b.height) };
  let mismatched = 0;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  for (let p = 0, i = 0; p < a.width * a.height; p++, i += 3) {
    if (a.rgb[i] === b.rgb[i] && a.rgb[i + 1] === b.rgb[i + 1] && a.rgb[i + 2] === b.rgb[i + 2]) continue;
    mismatched++;
    const x = p % a.width;
    const y = Math.floor(p / a.width);
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return mismatched === 0 ? { sameSize: true, mismatched } : { sameSize: true, mismatched, box: { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 } };
}

/** Largest text cell of QEMU's VGA text and graphics fonts (9×16 in text mode), px. */
export const CURSOR_CELL = { width: 9, height: 16 };

/** True when two frames are equal except, at most, inside one character cell (the blinking cursor). */
export function equalButCursor(diff: FrameDiff): boolean {
  if (!diff.sameSize) return false;
  if (diff.box === undefined) return true;
  return diff.box.width <= CURSOR_CELL.width && diff.box.height <= CURSOR_CELL.height;
}

/** Number of distinct colours in an image, counting up to `limit`. */
export function colourCount(image: RgbImage, limit: number): number {
  const seen = new Set<number>();
  for (let i = 0; i < image.rgb.length && seen.size < limit; i += 3) seen.add((image.rgb[i]! << 16) | (image.rgb[i + 1]! << 8) | image.rgb[i + 2]!);
  return seen.size;
}

/** Box-filters an image down to `width`×`height` (each output pixel the mean of the area it covers). */
export function shrinkImage(image: RgbImage, width: number, height: number): RgbImage {
  const sums = new Float64Array(width * height * 3);
  const weights = new Float64Array(width * height);
  for (let y = 0; y < image.height; y++) {
    const oy = Math.min(height - 1, Math.floor((y * height) / image.height));
    for (let x = 0; x < image.width; x++) {
      const ox = Math.min(width - 1, Math.floor((x * width) / image.width));
      const o = oy * width + ox;
      const i = (y * image.width + x) * 3;
      sums[o * 3] = sums[o * 3]! + image.rgb[i]!;
      sums[o * 3 + 1] = sums[o * 3 + 1]! + image.rgb[i + 1]!;
      sums[o * 3 + 2] = sums[o * 3 + 2]! + image.rgb[i + 2]!;
      weights[o] = weights[o]! + 1;
    }
  }
  const rgb = Buffer.alloc(width * height * 3);
  for (let o = 0; o < width * height; o++) {
    const w = weights[o] || 1;
    for (let c = 0; c < 3; c++) rgb[o * 3 + c] = Math.round(sums[o * 3 + c]! / w);
  }
  return { width, height, rgb };
}

/** Mean absolute difference per channel of two same-size images (0–255); Infinity when sizes differ. */
export function meanDifference(a: RgbImage, b: RgbImage): number {
  if (a.width !== b.width || a.height !== b.height) return Infinity;
  let total = 0;
  for (let i = 0; i < a.rgb.length; i++) total += Math.abs(a.rgb[i]! - b.rgb[i]!);
  return total / a.rgb.length;
}

/** The page's clipboard text (the page needs the clipboard-read permission). */
export function readClipboardText(page: Page): Promise<string> {
  return page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText());
}

/** Puts text on the page's clipboard (the page needs the clipboard-write permission). */
export function writeClipboardText(page: Page, text: string): Promise<void> {
  return page.evaluate((t) => (globalThis as unknown as { navigator: { clipboard: { writeText(t: string): Promise<void> } } }).navigator.clipboard.writeText(t), text);
}
