/**
 * Draws Porthole's icon — a brass porthole ring with eight rivets around blue glass — and writes
 * build/icon.png (512×512), build/icon.ico (16…256, PNG-compressed entries) and build/icon.icns
 * (16…1024, PNG entries), with no image tools: shapes are rendered per pixel with analytic
 * anti-aliasing (coverage from signed distance), PNG is encoded with node:zlib and a CRC-32 table,
 * and ICO/ICNS are simple containers around those PNGs. Deterministic: same bytes on every run.
 *
 * Run: `npx tsx build/make-icons.ts` (the packaging test checks the committed files match).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateSync } from 'node:zlib';

type Rgba = [number, number, number, number];

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (IEEE) as PNG chunks use it. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encodes straight RGBA pixels (row-major, 4 bytes each) as an 8-bit RGBA PNG. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit, RGBA, deflate, no filter method, no interlace
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))]);
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
const mix = (a: number, b: number, t: number): number => a + (b - a) * t;

/** Source-over compositing of `color` with coverage `alpha` onto pixel `i` (straight, not premultiplied). */
function blend(px: Float64Array, i: number, color: Rgba, alpha: number): void {
  const a = clamp01(alpha * color[3]);
  if (a === 0) return;
  const below = px[i + 3] ?? 0;
  const outA = a + below * (1 - a);
  for (let c = 0; c < 3; c++) px[i + c] = ((color[c] ?? 0) * a + (px[i + c] ?? 0) * below * (1 - a)) / outA;
  px[i + 3] = outA;
}

/** Renders the icon at `size`×`size` as straight RGBA bytes. */
export function renderIcon(size: number): Uint8Array {
  const px = new Float64Array(size * size * 4);
  const c = size / 2;
  const outer = 0.47 * size;
  const glass = 0.345 * size;
  const rimWidth = 0.018 * size;
  const rivetOrbit = (outer + glass) / 2;
  const rivetR = 0.026 * size;
  const rivets = Array.from({ length: 8 }, (_, k) => [c + rivetOrbit * Math.cos((k * Math.PI) / 4 + Math.PI / 8), c + rivetOrbit * Math.sin((k * Math.PI) / 4 + Math.PI / 8)] as const);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      const fx = x + 0.5;
      const fy = y + 0.5;
      const d = Math.hypot(fx - c, fy - c);
      const shade = (fy - (c - outer)) / (2 * outer); // 0 at top, 1 at bottom
      // Brass ring, lighter at the top.
      blend(px, i, [mix(232, 150, shade), mix(190, 112, shade), mix(80, 30, shade), 1], clamp01(outer - d + 0.5));
      // Dark rim where ring meets glass.
      blend(px, i, [70, 52, 16, 1], clamp01(glass + rimWidth - d + 0.5));
      // Glass, deep blue with a lighter top.
      blend(px, i, [mix(70, 10, shade), mix(150, 46, shade), mix(225, 96, shade), 1], clamp01(glass - d + 0.5));
      // Reflection: a soft ellipse in the upper left of the glass.
      const hx = (fx - (c - 0.12 * size)) / (0.2 * size);
      const hy = (fy - (c - 0.15 * size)) / (0.1 * size);
      blend(px, i, [255, 255, 255, 0.35], clamp01((1 - Math.hypot(hx, hy)) * 0.1 * size) * clamp01(glass - d + 0.5));
      // Rivets with a small highlight.
      for (const [rx, ry] of rivets) {
        const rd = Math.hypot(fx - rx, fy - ry);
        if (rd > rivetR + 1) continue;
        blend(px, i, [110, 82, 22, 1], clamp01(rivetR - rd + 0.5));
        blend(px, i, [255, 236, 170, 0.8], clamp01(rivetR * 0.45 - Math.hypot(fx - (rx - rivetR * 0.3), fy - (ry - rivetR * 0.3)) + 0.5));
      }
    }
  }
  const out = new Uint8Array(size * size * 4);
  for (let i = 0; i < out.length; i++) {
    const v = px[i] ?? 0;
    out[i] = Math.round(clamp01(i % 4 === 3 ? v : v / 255) * 255);
  }
  return out;
}

/** A PNG of the icon at `size`. */
export function iconPng(size: number): Buffer {
  return encodePng(size, size, renderIcon(size));
}

/** Sizes inside icon.ico, in px. */
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];

/** A Windows .ico with PNG-compressed entries. */
export function encodeIco(pngs: readonly { size: number; png: Buffer }[]): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(pngs.length, 4);
  let offset = 6 + 16 * pngs.length;
  const entries = pngs.map(({ size, png }) => {
    const e = Buffer.alloc(16);
    e.writeUInt8(size >= 256 ? 0 : size, 0);
    e.writeUInt8(size >= 256 ? 0 : size, 1);
    e.writeUInt16LE(1, 4); // planes
    e.writeUInt16LE(32, 6); // bits per pixel
    e.writeUInt32LE(png.length, 8);
    e.writeUInt32LE(offset, 12);
    offset += png.length;
    return e;
  });
  return Buffer.concat([header, ...entries, ...pngs.map((p) => p.png)]);
}

/** ICNS element types holding PNG data, with their pixel size. */
export const ICNS_TYPES: readonly [string, number][] = [
  ['icp4', 16],
  ['icp5', 32],
  ['ic11', 32],
  ['icp6', 64],
  ['ic12', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic13', 256],
  ['ic09', 512],
  ['ic14', 512],
  ['ic10', 1024],
];

/** A macOS .icns made of PNG elements. */
export function encodeIcns(pngBySize: ReadonlyMap<number, Buffer>): Buffer {
  const elements = ICNS_TYPES.map(([type, size]) => {
    const png = pngBySize.get(size);
    if (png === undefined) throw new Error(`missing ${size}px PNG for ${type}`);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(8 + png.length, 4);
    return Buffer.concat([head, png]);
  });
  const header = Buffer.alloc(8);
  header.write('icns', 0, 'ascii');
  header.writeUInt32BE(8 + elements.reduce((n, e) => n + e.length, 0), 4);
  return Buffer.concat([header, ...elements]);
}

/** All three icon files, by file name. */
export function makeIcons(): Map<string, Buffer> {
  const sizes = new Set([512, ...ICO_SIZES, ...ICNS_TYPES.map(([, s]) => s)]);
  const pngs = new Map([...sizes].map((s) => [s, iconPng(s)] as const));
  const at = (size: number): Buffer => pngs.get(size) ?? iconPng(size);
  return new Map([
    ['icon.png', at(512)],
    ['icon.ico', encodeIco(ICO_SIZES.map((size) => ({ size, png: at(size) })))],
    ['icon.icns', encodeIcns(pngs)],
  ]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [name, data] of makeIcons()) {
    writeFileSync(join(import.meta.dirname, name), data);
    process.stdout.write(`wrote build/${name} (${data.length} bytes)\n`);
  }
}
