/**
 * Shrinks a console picture to thumbnail size with a box filter (each thumbnail pixel is the mean of
 * the screen pixels it covers), so text and thin lines become the grey they average to instead of
 * aliasing away.
 *
 * How it works: the output size keeps the screen's aspect ratio inside `maxWidth`×`maxHeight` (never
 * larger than the screen). Column spans are computed once; each source row is added into a row of
 * per-column sums (Uint32Array), and when an output row's last source row is in, the sums are divided
 * out into RGBA bytes (alpha 255). One pass over the source, no per-pixel allocation.
 */
import type { Frame } from './thumbnail-rfb';

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

/** Box-filters `frame` (bytes R G B x) down to fit `maxWidth`×`maxHeight`. */
export function downscale(frame: Frame, maxWidth: number, maxHeight: number): Thumbnail {
  const { width: sw, height: sh, pixels } = frame;
  const { width: dw, height: dh } = thumbnailSize(sw, sh, maxWidth, maxHeight);
  const out = new Uint8Array(dw * dh * 4);
  // Which output column each source column falls into.
  const colOf = new Uint16Array(sw);
  const colCount = new Uint32Array(dw);
  for (let x = 0; x < sw; x++) {
    const c = Math.min(dw - 1, Math.floor((x * dw) / sw));
    colOf[x] = c;
    colCount[c] = (colCount[c] ?? 0) + 1;
  }
  const sums = new Uint32Array(dw * 3);
  let outRow = 0;
  let rowsIn = 0;
  for (let y = 0; y < sh; y++) {
    let i = y * sw * 4;
    for (let x = 0; x < sw; x++, i += 4) {
      const s = (colOf[x] ?? 0) * 3;
      sums[s] = (sums[s] ?? 0) + (pixels[i] ?? 0);
      sums[s + 1] = (sums[s + 1] ?? 0) + (pixels[i + 1] ?? 0);
      sums[s + 2] = (sums[s + 2] ?? 0) + (pixels[i + 2] ?? 0);
    }
    rowsIn++;
    const nextOutRow = y + 1 < sh ? Math.min(dh - 1, Math.floor(((y + 1) * dh) / sh)) : dh;
    if (nextOutRow !== outRow) {
      let o = outRow * dw * 4;
      for (let c = 0; c < dw; c++, o += 4) {
        const n = (colCount[c] ?? 0) * rowsIn;
        out[o] = Math.round((sums[c * 3] ?? 0) / n);
        out[o + 1] = Math.round((sums[c * 3 + 1] ?? 0) / n);
        out[o + 2] = Math.round((sums[c * 3 + 2] ?? 0) / n);
        out[o + 3] = 255;
      }
      sums.fill(0);
      rowsIn = 0;
      outRow = nextOutRow;
    }
  }
  return { width: dw, height: dh, rgba: out };
}
