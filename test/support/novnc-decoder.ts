/**
 * noVNC's own rectangle decoders (from node_modules/@novnc/novnc, the code the app runs) driven by the
 * test RFB client, so the simulator's compressed encodings are checked by the decoder real users have.
 *
 * How it works: noVNC's decoders pull bytes from a `Websock`-like receive queue (`rQwait` says "not
 * enough yet", the `rQshift*` calls consume) and paint through a `Display` (`fillRect`, `blitImage`).
 * The adapter maps the queue onto the client's buffered input and the display onto the client's RGBA
 * screen; `decodeRect` is called again each time more bytes arrive until it reports the rectangle done.
 * noVNC's logger reads `window.console` when loaded, so `window` is set to the global object first.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ByteSource, RectDecoder, RfbClient, UpdateRect } from './rfb-client';

interface NovncSock {
  rQwait(what: string, n: number, goback?: number): boolean;
  rQshift8(): number;
  rQpeek8(): number;
  rQskipBytes(n: number): void;
  rQshiftBytes(n: number, copy?: boolean): Uint8Array;
  rQshiftTo(target: Uint8Array, n: number): void;
}

interface NovncDisplay {
  fillRect(x: number, y: number, w: number, h: number, colour: ArrayLike<number>, fromQueue?: boolean): void;
  blitImage(x: number, y: number, w: number, h: number, rgbx: Uint8Array, offset: number, fromQueue?: boolean): void;
  imageRect(): void;
}

interface NovncDecoder {
  decodeRect(x: number, y: number, w: number, h: number, sock: NovncSock, display: NovncDisplay, depth: number): boolean;
}

const decodersDir = join(import.meta.dirname, '..', '..', 'node_modules', '@novnc', 'novnc', 'core', 'decoders');

/** Which of noVNC's decoders to load, by its file name. */
export type NovncEncoding = 'tight';

/** Loads noVNC's decoder for `encoding` (one instance: it keeps zlib state across rectangles, as in noVNC). */
export async function novncDecoder(encoding: NovncEncoding): Promise<RectDecoder> {
  (globalThis as { window?: unknown }).window ??= globalThis;
  const mod = (await import(pathToFileURL(join(decodersDir, `${encoding}.js`)).href)) as { default: new () => NovncDecoder };
  const decoder = new mod.default();
  return async (rect: UpdateRect, io: ByteSource, client: RfbClient): Promise<void> => {
    const display = screenOf(client);
    for (;;) {
      const sock = queueOf(io);
      if (decoder.decodeRect(rect.x, rect.y, rect.w, rect.h, sock, display, 24)) return;
      await io.more();
    }
  };
}

/** A receive queue over the bytes buffered now; consumption is committed as it happens. */
function queueOf(io: ByteSource): NovncSock {
  const take = (n: number): Buffer => {
    const buf = io.buffered();
    if (buf.length < n) throw new Error(`noVNC decoder read ${n} bytes with ${buf.length} buffered`);
    const out = Buffer.from(buf.subarray(0, n));
    io.consume(n);
    return out;
  };
  return {
    rQwait: (_what, n) => io.buffered().length < n,
    rQshift8: () => take(1)[0] ?? 0,
    rQpeek8: () => io.buffered()[0] ?? 0,
    rQskipBytes: (n) => void take(n),
    rQshiftBytes: (n) => new Uint8Array(take(n)),
    rQshiftTo: (target, n) => target.set(take(n)),
  };
}

/** noVNC's Display calls, painting the client's RGBA screen. */
function screenOf(client: RfbClient): NovncDisplay {
  const put = (x: number, y: number, r: number, g: number, b: number): void => {
    if (x < 0 || y < 0 || x >= client.width || y >= client.height) return;
    const i = (y * client.width + x) * 4;
    client.rgba[i] = r;
    client.rgba[i + 1] = g;
    client.rgba[i + 2] = b;
    client.rgba[i + 3] = 255;
  };
  return {
    fillRect: (x, y, w, h, c) => {
      for (let row = y; row < y + h; row++) for (let col = x; col < x + w; col++) put(col, row, c[0] ?? 0, c[1] ?? 0, c[2] ?? 0);
    },
    blitImage: (x, y, w, h, rgbx, offset) => {
      for (let row = 0; row < h; row++) {
        for (let col = 0; col < w; col++) {
          const i = offset + (row * w + col) * 4;
          put(x + col, y + row, rgbx[i] ?? 0, rgbx[i + 1] ?? 0, rgbx[i + 2] ?? 0);
        }
      }
    },
    imageRect: () => {
      throw new Error('the simulator sent a JPEG rectangle, which it never should');
    },
  };
}
