// The simulator's pixel conversion against the RFB spec's definition, pixel by pixel: each channel
// scaled to its max, shifted into place, written in the client's byte order — for the 16 bpp
// little-endian fast path (RGB565 as thumbnails ask, and BGR555) and the general path (big-endian 16).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRect, type PixelFormat } from './pixel-format';

const W = 37;
const H = 11;
const rgba = new Uint8Array(W * H * 4);
for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 131 + 17) & 0xff;

/** The pixel value RFB defines for an 8-bit-per-channel colour. */
function reference(pf: PixelFormat, r: number, g: number, b: number): number {
  const scale = (v: number, max: number): number => Math.round((v * max) / 255);
  return (scale(r, pf.redMax) << pf.redShift) | (scale(g, pf.greenMax) << pf.greenShift) | (scale(b, pf.blueMax) << pf.blueShift);
}

const format = (bigEndian: boolean, maxes: [number, number, number], shifts: [number, number, number]): PixelFormat => ({
  bitsPerPixel: 16,
  depth: 16,
  bigEndian,
  trueColour: true,
  redMax: maxes[0],
  greenMax: maxes[1],
  blueMax: maxes[2],
  redShift: shifts[0],
  greenShift: shifts[1],
  blueShift: shifts[2],
});

for (const [name, pf] of [
  ['RGB565 little-endian', format(false, [31, 63, 31], [11, 5, 0])],
  ['BGR555 little-endian', format(false, [31, 31, 31], [0, 5, 10])],
  ['RGB565 big-endian', format(true, [31, 63, 31], [11, 5, 0])],
] as const) {
  test(`16 bpp ${name}: every pixel of a sub-rectangle is the value RFB defines`, () => {
    const [x, y, w, h] = [3, 2, 30, 7];
    const out = Buffer.alloc(5 + w * h * 2);
    assert.equal(encodeRect(rgba, W, x, y, w, h, pf, out, 5), 5 + w * h * 2);
    for (let row = 0; row < h; row++) {
      for (let col = 0; col < w; col++) {
        const i = ((y + row) * W + x + col) * 4;
        const at = 5 + (row * w + col) * 2;
        const got = pf.bigEndian ? out.readUInt16BE(at) : out.readUInt16LE(at);
        assert.equal(got, reference(pf, rgba[i]!, rgba[i + 1]!, rgba[i + 2]!), `pixel ${col},${row}`);
      }
    }
  });
}
