/**
 * Shrinks a console picture to thumbnail size with a box filter (each thumbnail pixel is the mean of
 * the screen pixels it covers), so text and thin lines become the grey they average to instead of
 * aliasing away.
 *
 * How it works: the output size keeps the screen's aspect ratio inside `maxWidth`×`maxHeight` (never
 * larger than the screen). Column spans are computed once; each source row's RGB565 pixels are split
 * into their 5/6/5-bit channels, summed per span and added into per-column sums (Uint32Array), and when an output row's
 * last source row is in, the sums are scaled out to 0–255 RGBA bytes (alpha 255). One pass over the
 * source, no per-pixel allocation. The hot loops read typed arrays with `as number` (indices are in
 * range by construction): `?? 0` there made the downscale ten times slower (npm run bench -- wall).
 * Where a column span is at most 16 pixels, its three channel sums ride in one integer (10 bits each),
 * one add per pixel; wider spans sum the channels apart.
 */
import type { Frame } from './thumbnail-rfb';

/** Widest column span summed in one packed integer (see `downscale`). */
const PACKED_MAX_SPAN = 16;

/** True on little-endian hosts. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A thumbnail: RGBA, 4 bytes per pixel, row-major. */
export interface Thumbnail {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** The thumbnail size for a screen, inside the bounds, aspect kept, at least 1×1. */
export function thumbnailSize(width: number, height: number, maxWidth: number, maxHeight: number): { width: number; height: number } {
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The pixels as host-order 16-bit words (a copy: for big-endian hosts or unaligned buffers). */
function swapped(pixels: Uint8Array): Uint16Array {
  const words = new Uint16Array(pixels.length >> 1);
  for (let i = 0; i < words.length; i++) words[i] = (pixels[2 * i] as number) | ((pixels[2 * i + 1] as number) << 8);
  return words;
}

/**
 * Writes output row `row` from the column sums of `rows` source rows, then clears the sums. A module
 * function, not a closure made per call: a fresh closure each picture made V8 drop the optimised
 * downscale on every call ("wrong call target"), four times slower than in a loop of its own.
 */
function emitRow(out: Uint8Array, row: number, dw: number, colStart: Uint32Array, red: Uint32Array, green: Uint32Array, blue: Uint32Array, rows: number): void {
  let o = row * dw * 4;
  for (let c = 0; c < dw; c++, o += 4) {
    const n = Math.max(1, ((colStart[c + 1] as number) - (colStart[c] as number)) * rows);
    out[o] = Math.round(((red[c] as number) * 255) / (31 * n));
    out[o + 1] = Math.round(((green[c] as number) * 255) / (63 * n));
    out[o + 2] = Math.round(((blue[c] as number) * 255) / (31 * n));
    out[o + 3] = 255;
  }
  red.fill(0);
  green.fill(0);
  blue.fill(0);
}

/** Box-filters `frame` (RGB565 little-endian) down to fit `maxWidth`×`maxHeight`. */
export function downscale(frame: Frame, maxWidth: number, maxHeight: number): Thumbnail {
  const { width: sw, height: sh, pixels } = frame;
  const { width: dw, height: dh } = thumbnailSize(sw, sh, maxWidth, maxHeight);
  const out = new Uint8Array(dw * dh * 4);
  // Output column c covers source columns colStart[c] .. colStart[c + 1] - 1.
  const colStart = new Uint32Array(dw + 1);
  for (let c = 0; c <= dw; c++) colStart[c] = Math.min(sw, Math.ceil((c * sw) / dw));
  const red = new Uint32Array(dw);
  const green = new Uint32Array(dw);
  const blue = new Uint32Array(dw);
  let outRow = 0;
  let rowsIn = 0;
  // One 16-bit read per pixel: a view where the host is little-endian like the wire format (all
  // platforms we ship on) and the buffer is aligned, else a converted copy.
  const words = LITTLE_ENDIAN && pixels.byteOffset % 2 === 0 ? new Uint16Array(pixels.buffer, pixels.byteOffset, sw * sh) : swapped(pixels);
  // Where an output row covers two or more source rows, every other one is read: half the work, and
  // the mean of a 3×3 block or more barely moves (the e2e test compares with a full box filter).
  const rowStep = sh >= 2 * dh ? 2 : 1;
  // One add per pixel instead of three while a span's sums fit their fields: green (6 bits a pixel)
  // has 10 bits, so at most 16 pixels a span (a screen up to 16 times the thumbnail's width).
  const packed = Math.ceil(sw / dw) <= PACKED_MAX_SPAN;
  for (let y = 0; y < sh; y++) {
    const nextOutRow = y + 1 < sh ? Math.min(dh - 1, Math.floor(((y + 1) * dh) / sh)) : dh;
    const lastOfRow = nextOutRow !== outRow;
    if (rowStep === 2 && y % 2 === 1 && !(lastOfRow && rowsIn === 0)) {
      if (lastOfRow) {
        emitRow(out, outRow++, dw, colStart, red, green, blue, rowsIn);
        rowsIn = 0;
      }
      continue;
    }
    const base = y * sw;
    // Each output column's span is summed in locals, then added once: no array update per pixel.
    if (packed) {
      // The three channels summed in one integer: red from bit 20, green from bit 10, blue from 0.
      for (let c = 0; c < dw; c++) {
        let sum = 0;
        const end = base + (colStart[c + 1] as number);
        for (let i = base + (colStart[c] as number); i < end; i++) {
          const p = words[i] as number;
          sum += ((p & 0xf800) << 9) | ((p & 0x07e0) << 5) | (p & 0x1f);
        }
        red[c] = (red[c] as number) + (sum >>> 20);
        green[c] = (green[c] as number) + ((sum >>> 10) & 0x3ff);
        blue[c] = (blue[c] as number) + (sum & 0x3ff);
      }
    } else {
      for (let c = 0; c < dw; c++) {
        let r = 0;
        let g = 0;
        let b = 0;
        const end = colStart[c + 1] as number;
        for (let x = colStart[c] as number; x < end; x++) {
          const p = words[base + x] as number;
          r += p >> 11;
          g += (p >> 5) & 63;
          b += p & 31;
        }
        red[c] = (red[c] as number) + r;
        green[c] = (green[c] as number) + g;
        blue[c] = (blue[c] as number) + b;
      }
    }
    rowsIn++;
    if (lastOfRow) {
      emitRow(out, outRow++, dw, colStart, red, green, blue, rowsIn);
      rowsIn = 0;
    }
  }
  return { width: dw, height: dh, rgba: out };
}
