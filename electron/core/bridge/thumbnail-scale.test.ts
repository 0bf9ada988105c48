// The box filter: sizes keep the aspect ratio, a flat screen stays that colour, and each half of a
// two-colour screen keeps its colour (the RGB565 channels scaled back to 0–255).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downscale, thumbnailSize } from './thumbnail-scale';

function rgb565(r: number, g: number, b: number): number {
  return ((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3);
}

function screen(width: number, height: number, colour: (x: number, y: number) => number): Uint8Array {
  const pixels = new Uint8Array(width * height * 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = colour(x, y);
      pixels[(y * width + x) * 2] = p & 0xff;
      pixels[(y * width + x) * 2 + 1] = p >> 8;
    }
  }
  return pixels;
}

test('thumbnail sizes keep the aspect ratio inside the bounds and never enlarge', () => {
  assert.deepEqual(thumbnailSize(800, 600, 240, 180), { width: 240, height: 180 });
  assert.deepEqual(thumbnailSize(720, 400, 240, 180), { width: 240, height: 133 });
  assert.deepEqual(thumbnailSize(1920, 1080, 240, 180), { width: 240, height: 135 });
  assert.deepEqual(thumbnailSize(100, 80, 240, 180), { width: 100, height: 80 });
});

test('a flat screen gives a flat thumbnail of the same colour', () => {
  const t = downscale({ width: 800, height: 600, pixels: screen(800, 600, () => rgb565(255, 0, 255)) }, 240, 180);
  for (let i = 0; i < t.rgba.length; i += 4) assert.deepEqual([...t.rgba.subarray(i, i + 4)], [255, 0, 255, 255]);
});

test('each half of a two-colour screen keeps its colour; white text on black averages to grey', () => {
  const t = downscale({ width: 720, height: 400, pixels: screen(720, 400, (x) => (x < 360 ? rgb565(255, 255, 255) : 0)) }, 240, 180);
  const at = (x: number, y: number): number[] => [...t.rgba.subarray((y * t.width + x) * 4, (y * t.width + x) * 4 + 3)];
  assert.deepEqual(at(10, 10), [255, 255, 255]);
  assert.deepEqual(at(230, 100), [0, 0, 0]);
  const stripes = downscale({ width: 720, height: 400, pixels: screen(720, 400, (x) => (x % 3 === 0 ? rgb565(255, 255, 255) : 0)) }, 240, 180);
  // One lit column in three: a third of full brightness.
  assert.deepEqual([...stripes.rgba.subarray(0, 3)], [85, 85, 85]);
});

test('each thumbnail pixel is the exact mean of its span, for narrow (packed sums) and wide spans', () => {
  // Random along x, constant along y: the mean of a span does not depend on which rows are read.
  for (const width of [800, 4000]) {
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) & 0xffff;
    const columns = Array.from({ length: width }, random);
    const height = 300;
    const thumb = downscale({ width, height, pixels: screen(width, height, (x) => columns[x]!) }, 240, 180);
    const dw = thumb.width;
    for (let c = 0; c < dw; c++) {
      const from = Math.min(width, Math.ceil((c * width) / dw));
      const to = Math.min(width, Math.ceil(((c + 1) * width) / dw));
      const span = columns.slice(from, to);
      const mean = (field: (p: number) => number, max: number): number => Math.round((span.reduce((a, p) => a + field(p), 0) * 255) / (max * span.length));
      const want = [mean((p) => p >> 11, 31), mean((p) => (p >> 5) & 63, 63), mean((p) => p & 31, 31), 255];
      assert.deepEqual([...thumb.rgba.subarray(c * 4, c * 4 + 4)], want, `width ${width}, column ${c}`);
    }
  }
});
