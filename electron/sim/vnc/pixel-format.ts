/**
 * RFB pixel formats (RFC 6143 §7.4): parsing, serialising, and converting RGBA pixels to what a
 * client asked for with SetPixelFormat.
 *
 * How it works: only true-colour formats are supported (8, 16 or 32 bits per pixel, either byte
 * order, any max/shift); colour-map formats are refused by the caller. Each channel is scaled from
 * 0..255 to 0..max with rounding, shifted into place, and the pixel is written in the client's byte
 * order. 32bpp formats with byte-aligned 8-bit channels (what QEMU and noVNC use) are copied byte by
 * byte instead.
 */

/** The 16-byte PIXEL_FORMAT structure. */
export interface PixelFormat {
  bitsPerPixel: number;
  depth: number;
  bigEndian: boolean;
  trueColour: boolean;
  redMax: number;
  greenMax: number;
  blueMax: number;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

/** Size of the PIXEL_FORMAT structure on the wire, bytes. */
export const PIXEL_FORMAT_BYTES = 16;

/** The server's native format: 32bpp, depth 24, little-endian, 0x00RRGGBB (what QEMU and Xvnc offer). */
export const DEFAULT_PIXEL_FORMAT: PixelFormat = {
  bitsPerPixel: 32,
  depth: 24,
  bigEndian: false,
  trueColour: true,
  redMax: 255,
  greenMax: 255,
  blueMax: 255,
  redShift: 16,
  greenShift: 8,
  blueShift: 0,
};

/** Reads a PIXEL_FORMAT at `offset`. */
export function readPixelFormat(buf: Buffer, offset: number): PixelFormat {
  return {
    bitsPerPixel: buf.readUInt8(offset),
    depth: buf.readUInt8(offset + 1),
    bigEndian: buf.readUInt8(offset + 2) !== 0,
    trueColour: buf.readUInt8(offset + 3) !== 0,
    redMax: buf.readUInt16BE(offset + 4),
    greenMax: buf.readUInt16BE(offset + 6),
    blueMax: buf.readUInt16BE(offset + 8),
    redShift: buf.readUInt8(offset + 10),
    greenShift: buf.readUInt8(offset + 11),
    blueShift: buf.readUInt8(offset + 12),
  };
}

/** Serialises a PIXEL_FORMAT (16 bytes, 3 of them padding). */
export function writePixelFormat(pf: PixelFormat): Buffer {
  const buf = Buffer.alloc(PIXEL_FORMAT_BYTES);
  buf.writeUInt8(pf.bitsPerPixel, 0);
  buf.writeUInt8(pf.depth, 1);
  buf.writeUInt8(pf.bigEndian ? 1 : 0, 2);
  buf.writeUInt8(pf.trueColour ? 1 : 0, 3);
  buf.writeUInt16BE(pf.redMax, 4);
  buf.writeUInt16BE(pf.greenMax, 6);
  buf.writeUInt16BE(pf.blueMax, 8);
  buf.writeUInt8(pf.redShift, 10);
  buf.writeUInt8(pf.greenShift, 11);
  buf.writeUInt8(pf.blueShift, 12);
  return buf;
}

/** Why a format cannot be served, or undefined when it can. */
export function unsupportedReason(pf: PixelFormat): string | undefined {
  if (![8, 16, 32].includes(pf.bitsPerPixel)) return `bits-per-pixel ${pf.bitsPerPixel}`;
  if (!pf.trueColour) return 'colour-map formats';
  const maxes = [pf.redMax, pf.greenMax, pf.blueMax];
  if (maxes.some((m) => m === 0 || m > 0xffff)) return 'a zero channel maximum';
  const shifts = [pf.redShift, pf.greenShift, pf.blueShift];
  if (shifts.some((s) => s >= pf.bitsPerPixel)) return 'a shift beyond the pixel';
  return undefined;
}

/**
 * For 32bpp formats with 8-bit channels on byte boundaries (QEMU's BGRX, noVNC's RGBX, either byte
 * order), the byte offsets of red, green and blue inside each pixel; otherwise undefined.
 */
function byteLayout32(pf: PixelFormat): [number, number, number] | undefined {
  if (pf.bitsPerPixel !== 32 || pf.redMax !== 255 || pf.greenMax !== 255 || pf.blueMax !== 255) return undefined;
  const shifts = [pf.redShift, pf.greenShift, pf.blueShift];
  if (shifts.some((sh) => sh % 8 !== 0 || sh > 24)) return undefined;
  const offset = (shift: number): number => (pf.bigEndian ? 3 - shift / 8 : shift / 8);
  return [offset(pf.redShift), offset(pf.greenShift), offset(pf.blueShift)];
}

/** 0..255 → the channel scaled to `max` and shifted, as a 16-bit table. */
function table16(max: number, shift: number): Uint16Array {
  const t = new Uint16Array(256);
  for (let v = 0; v < 256; v++) t[v] = (Math.round((v * max) / 255) << shift) & 0xffff;
  return t;
}

/**
 * The 16 bpp little-endian case (what thumbnails and many viewers ask for), on its own: table lookups
 * read with `as number` (indices are bytes, always in range) and no per-pixel branch. It is the
 * simulator's hottest loop when a console wall asks 64 screens at once.
 */
function encode16le(rgba: Uint8Array, stride: number, x: number, y: number, w: number, h: number, pf: PixelFormat, out: Buffer, offset: number): number {
  const redOf = table16(pf.redMax, pf.redShift);
  const greenOf = table16(pf.greenMax, pf.greenShift);
  const blueOf = table16(pf.blueMax, pf.blueShift);
  let o = offset;
  for (let row = y; row < y + h; row++) {
    let i = (row * stride + x) * 4;
    for (let col = 0; col < w; col++, i += 4, o += 2) {
      const value = (redOf[rgba[i] as number] as number) | (greenOf[rgba[i + 1] as number] as number) | (blueOf[rgba[i + 2] as number] as number);
      out[o] = value & 0xff;
      out[o + 1] = value >> 8;
    }
  }
  return o;
}

/**
 * Converts a rectangle of an RGBA surface (`stride` pixels per row) into the client's pixel format,
 * writing into `out` at `offset`. Returns the offset after the last byte written.
 */
export function encodeRect(
  rgba: Uint8Array,
  stride: number,
  x: number,
  y: number,
  w: number,
  h: number,
  pf: PixelFormat,
  out: Buffer,
  offset: number,
): number {
  let o = offset;
  const layout = byteLayout32(pf);
  if (layout !== undefined) {
    const [ro, go, bo] = layout;
    out.fill(0, o, o + w * h * 4);
    for (let row = y; row < y + h; row++) {
      let i = (row * stride + x) * 4;
      for (let col = 0; col < w; col++, i += 4, o += 4) {
        out[o + ro] = rgba[i] ?? 0;
        out[o + go] = rgba[i + 1] ?? 0;
        out[o + bo] = rgba[i + 2] ?? 0;
      }
    }
    return o;
  }
  const bytes = pf.bitsPerPixel / 8;
  if (bytes === 2 && !pf.bigEndian) return encode16le(rgba, stride, x, y, w, h, pf, out, o);
  // Each channel's 0..255 → scaled and shifted value, once per call (not three roundings per pixel).
  const table = (max: number, shift: number): Float64Array => {
    const t = new Float64Array(256);
    // Multiplication instead of `<<` keeps 32-bit values unsigned.
    for (let v = 0; v < 256; v++) t[v] = Math.round((v * max) / 255) * 2 ** shift;
    return t;
  };
  const redOf = table(pf.redMax, pf.redShift);
  const greenOf = table(pf.greenMax, pf.greenShift);
  const blueOf = table(pf.blueMax, pf.blueShift);
  for (let row = y; row < y + h; row++) {
    let i = (row * stride + x) * 4;
    for (let col = 0; col < w; col++, i += 4) {
      const value = (redOf[rgba[i] ?? 0] ?? 0) + (greenOf[rgba[i + 1] ?? 0] ?? 0) + (blueOf[rgba[i + 2] ?? 0] ?? 0);
      if (bytes === 2 && !pf.bigEndian) {
        out[o] = value & 0xff;
        out[o + 1] = (value >> 8) & 0xff;
      } else if (bytes === 4) {
        if (pf.bigEndian) out.writeUInt32BE(value >>> 0, o);
        else out.writeUInt32LE(value >>> 0, o);
      } else if (bytes === 2) {
        if (pf.bigEndian) out.writeUInt16BE(value & 0xffff, o);
        else out.writeUInt16LE(value & 0xffff, o);
      } else {
        out[o] = value & 0xff;
      }
      o += bytes;
    }
  }
  return o;
}
