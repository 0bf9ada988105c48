/**
 * Tight encoding (RFB encoding 7, as TightVNC/TigerVNC define it) for the simulator's RFB server, so
 * the synthetic consoles send compressed frames like real servers do instead of megabytes of Raw.
 *
 * How it works: a requested rectangle is cut into tiles no wider than 2048 px (Tight's limit for basic
 * compression) holding at most `TILE_MAX_PIXELS`. Each tile's colours are counted (stopping at 257):
 * - one colour → a *fill* tile (control 0x80 + one TPIXEL);
 * - two colours → the palette filter at 1 bit per pixel (rows padded to a byte, MSB first);
 * - up to 256 colours → the palette filter at 8 bits per pixel;
 * - more → the copy filter: TPIXELs as they are.
 * TPIXEL is 3 bytes (R, G, B) because only 32bpp formats with 8-bit channels use Tight here (the caller
 * falls back to Raw otherwise — `tightUsable`). Filtered data of 12 bytes or more is zlib-compressed and
 * preceded by its compact length (1–3 bytes, 7 bits each). Every compressed tile is one complete zlib
 * stream and its control byte tells the client to reset that stream first, so no zlib state lives
 * across tiles (Node has no synchronous streaming deflate) and any client stays in step.
 */
import { deflateSync } from 'node:zlib';
import type { Rect } from './framebuffer';
import type { PixelFormat } from './pixel-format';

/** Tight encoding number (RFC 6143 §7.7.6 registry). */
export const ENCODING_TIGHT = 7;
/** CompressLevel pseudo-encodings are -256 (level 0) … -247 (level 9). */
export const ENCODING_COMPRESS_LEVEL_0 = -256;
/** zlib level used when the client named none. */
export const DEFAULT_TIGHT_ZLIB_LEVEL = 2;

/** Widest tile basic compression allows, px. */
const TILE_MAX_WIDTH_PX = 2048;
/** Most pixels in one tile (TightVNC's default maximum rectangle size), px. */
const TILE_MAX_PIXELS = 65_536;
/** Filtered data shorter than this is sent as is, bytes (the Tight rule). */
const MIN_COMPRESS_BYTES = 12;
/** Largest length the 3-byte compact form can carry, bytes. */
const MAX_COMPACT_LENGTH = 0x3f_ffff;

const CTL_FILL = 0x80;
const CTL_EXPLICIT_FILTER = 0x40;
const FILTER_PALETTE = 1;
/** zlib stream numbers, as TightVNC assigns them: full colour, mono, indexed. */
const STREAM_COPY = 0;
const STREAM_MONO = 1;
const STREAM_INDEXED = 2;

/** One encoded tile: where it is and the bytes that follow its 12-byte rectangle header. */
export interface TightTile {
  rect: Rect;
  body: Buffer;
}

/** True when `pf` has a 3-byte TPIXEL (32bpp, 8-bit channels), the only form this encoder writes. */
export function tightUsable(pf: PixelFormat): boolean {
  const byteShifts = [pf.redShift, pf.greenShift, pf.blueShift].every((s) => s % 8 === 0 && s <= 24);
  return pf.trueColour && pf.bitsPerPixel === 32 && pf.redMax === 255 && pf.greenMax === 255 && pf.blueMax === 255 && byteShifts;
}

/** Splits `r` into tiles of at most 2048 px width and `TILE_MAX_PIXELS` pixels. */
export function tightTiles(r: Rect): Rect[] {
  const out: Rect[] = [];
  for (let x = r.x; x < r.x + r.w; x += TILE_MAX_WIDTH_PX) {
    const w = Math.min(TILE_MAX_WIDTH_PX, r.x + r.w - x);
    const rows = Math.max(1, Math.floor(TILE_MAX_PIXELS / w));
    for (let y = r.y; y < r.y + r.h; y += rows) out.push({ x, y, w, h: Math.min(rows, r.y + r.h - y) });
  }
  return out;
}

/** Encodes a rectangle of an RGBA surface (`stride` pixels a row) as Tight tiles. */
export function encodeTight(rgba: Uint8Array, stride: number, r: Rect, zlibLevel = DEFAULT_TIGHT_ZLIB_LEVEL): TightTile[] {
  return tightTiles(r).map((t) => ({ rect: t, body: encodeTile(rgba, stride, t, zlibLevel) }));
}

/** 0xRRGGBB of the pixel at byte index `i`. */
function rgbAt(rgba: Uint8Array, i: number): number {
  return ((rgba[i] ?? 0) << 16) | ((rgba[i + 1] ?? 0) << 8) | (rgba[i + 2] ?? 0);
}

/** The tile's distinct colours in first-seen order, or undefined once there are more than 256. */
function palette(rgba: Uint8Array, stride: number, t: Rect): Map<number, number> | undefined {
  const seen = new Map<number, number>();
  let last = -1;
  for (let row = t.y; row < t.y + t.h; row++) {
    let i = (row * stride + t.x) * 4;
    for (let col = 0; col < t.w; col++, i += 4) {
      const c = rgbAt(rgba, i);
      // Runs of one colour are the common case: skip the map lookup for them.
      if (c === last) continue;
      last = c;
      if (!seen.has(c)) {
        if (seen.size === 256) return undefined;
        seen.set(c, seen.size);
      }
    }
  }
  return seen;
}

function tpixel(c: number): number[] {
  return [(c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff];
}

function encodeTile(rgba: Uint8Array, stride: number, t: Rect, zlibLevel: number): Buffer {
  const colours = palette(rgba, stride, t);
  if (colours !== undefined && colours.size === 1) {
    const [only] = colours.keys();
    return Buffer.from([CTL_FILL, ...tpixel(only ?? 0)]);
  }
  if (colours !== undefined) {
    const mono = colours.size === 2;
    const data = mono ? monoIndexes(rgba, stride, t, colours) : byteIndexes(rgba, stride, t, colours);
    const stream = mono ? STREAM_MONO : STREAM_INDEXED;
    const head = [(1 << stream) | (stream << 4) | CTL_EXPLICIT_FILTER, FILTER_PALETTE, colours.size - 1];
    for (const c of colours.keys()) head.push(...tpixel(c));
    return Buffer.concat([Buffer.from(head), compressed(data, zlibLevel)]);
  }
  const data = Buffer.alloc(t.w * t.h * 3);
  let o = 0;
  for (let row = t.y; row < t.y + t.h; row++) {
    let i = (row * stride + t.x) * 4;
    for (let col = 0; col < t.w; col++, i += 4) {
      data[o++] = rgba[i] ?? 0;
      data[o++] = rgba[i + 1] ?? 0;
      data[o++] = rgba[i + 2] ?? 0;
    }
  }
  // Copy filter, implicit (no filter byte), stream 0 reset first.
  return Buffer.concat([Buffer.from([(1 << STREAM_COPY) | (STREAM_COPY << 4)]), compressed(data, zlibLevel)]);
}

/** 1 bit per pixel, MSB first, each row padded to a whole byte. */
function monoIndexes(rgba: Uint8Array, stride: number, t: Rect, colours: Map<number, number>): Buffer {
  const rowBytes = Math.ceil(t.w / 8);
  const out = Buffer.alloc(rowBytes * t.h);
  for (let row = 0; row < t.h; row++) {
    let i = ((t.y + row) * stride + t.x) * 4;
    for (let col = 0; col < t.w; col++, i += 4) {
      const at = row * rowBytes + (col >> 3);
      if (colours.get(rgbAt(rgba, i)) === 1) out[at] = (out[at] ?? 0) | (0x80 >> (col & 7));
    }
  }
  return out;
}

/** 1 byte per pixel: the colour's index in the palette. */
function byteIndexes(rgba: Uint8Array, stride: number, t: Rect, colours: Map<number, number>): Buffer {
  const out = Buffer.alloc(t.w * t.h);
  let o = 0;
  for (let row = t.y; row < t.y + t.h; row++) {
    let i = (row * stride + t.x) * 4;
    for (let col = 0; col < t.w; col++, i += 4) out[o++] = colours.get(rgbAt(rgba, i)) ?? 0;
  }
  return out;
}

/** Data under 12 bytes as is; otherwise compact length + one complete zlib stream. */
function compressed(data: Buffer, zlibLevel: number): Buffer {
  if (data.length < MIN_COMPRESS_BYTES) return data;
  const z = deflateSync(data, { level: zlibLevel });
  // A 65,536-pixel tile of 3-byte pixels is 192 KiB raw; zlib's worst case stays far below 4 MiB.
  if (z.length > MAX_COMPACT_LENGTH) throw new Error(`tight tile of ${z.length} bytes exceeds the compact length`);
  return Buffer.concat([compactLength(z.length), z]);
}

/** Tight's compact length: 7 bits a byte, low bits first, high bit = more follows (3 bytes at most). */
export function compactLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x4000) return Buffer.from([(n & 0x7f) | 0x80, n >> 7]);
  return Buffer.from([(n & 0x7f) | 0x80, ((n >> 7) & 0x7f) | 0x80, n >> 14]);
}
