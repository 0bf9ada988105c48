/**
 * An RGBA framebuffer with simple drawing (filled rectangles, 5x7 text) and damage reporting.
 *
 * How it works: pixels live in one `Uint8Array`, 4 bytes per pixel (R, G, B, A=255), row-major.
 * Every drawing call clips to the surface and reports the rectangle it touched to the damage
 * listeners; the RFB server keeps a per-client list of those rectangles and sends only them on an
 * incremental update request. `resize` reallocates and reports the whole new surface as damaged.
 */
import { GLYPH_HEIGHT_PX, GLYPH_WIDTH_PX, glyphRows } from './font';

/** An axis-aligned rectangle in pixels. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A colour as [r, g, b], each 0..255. */
export type Rgb = readonly [number, number, number];

/** Intersection of two rectangles, or undefined when they do not overlap. */
export function intersect(a: Rect, b: Rect): Rect | undefined {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const r = Math.min(a.x + a.w, b.x + b.w);
  const bottom = Math.min(a.y + a.h, b.y + b.h);
  return r > x && bottom > y ? { x, y, w: r - x, h: bottom - y } : undefined;
}

/** Smallest rectangle holding both. */
export function union(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}

/** True when `inner` lies wholly inside `outer`. */
export function contains(outer: Rect, inner: Rect): boolean {
  return inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.w <= outer.x + outer.w && inner.y + inner.h <= outer.y + outer.h;
}

/** A drawable RGBA surface that reports what it changed. */
export class Framebuffer {
  width: number;
  height: number;
  /** RGBA bytes, row-major, `width * height * 4` long. */
  rgba: Uint8Array;
  private readonly listeners = new Set<(rect: Rect) => void>();

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.rgba = new Uint8Array(width * height * 4).fill(255);
  }

  /** Subscribes to damage; returns the unsubscribe function. */
  onDamage(listener: (rect: Rect) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reallocates the surface (content cleared to black) and damages all of it. */
  resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.rgba = new Uint8Array(width * height * 4);
    for (let i = 3; i < this.rgba.length; i += 4) this.rgba[i] = 255;
    this.damage({ x: 0, y: 0, w: width, h: height });
  }

  /** Fills a rectangle with one colour. */
  fillRect(x: number, y: number, w: number, h: number, [r, g, b]: Rgb): void {
    const clip = intersect({ x, y, w, h }, { x: 0, y: 0, w: this.width, h: this.height });
    if (clip === undefined) return;
    const data = this.rgba;
    for (let row = clip.y; row < clip.y + clip.h; row++) {
      let i = (row * this.width + clip.x) * 4;
      for (let col = 0; col < clip.w; col++, i += 4) {
        data[i] = r;
        data[i + 1] = g;
        data[i + 2] = b;
        data[i + 3] = 255;
      }
    }
    this.damage(clip);
  }

  /** Sets one pixel without reporting damage (callers report the area they drew). */
  private plot(x: number, y: number, [r, g, b]: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    this.rgba[i] = r;
    this.rgba[i + 1] = g;
    this.rgba[i + 2] = b;
    this.rgba[i + 3] = 255;
  }

  /**
   * Draws text with the 5x7 font at `scale`, each character cell `(5+1)*scale` wide and
   * `(7+1)*scale` tall, on a filled background. Returns the width drawn, px.
   */
  drawText(x: number, y: number, text: string, scale: number, fg: Rgb, bg: Rgb): number {
    const cellW = (GLYPH_WIDTH_PX + 1) * scale;
    const cellH = (GLYPH_HEIGHT_PX + 1) * scale;
    // Code points are enough: the font has ASCII only and draws anything else as '?'.
    const chars = Array.from(text);
    const width = chars.length * cellW;
    if (width === 0) return 0;
    this.fillRect(x, y, width, cellH, bg);
    chars.forEach((ch, n) => {
      const rows = glyphRows(ch);
      rows.forEach((bits, gy) => {
        for (let gx = 0; gx < GLYPH_WIDTH_PX; gx++) {
          if ((bits & (1 << (GLYPH_WIDTH_PX - 1 - gx))) === 0) continue;
          for (let sy = 0; sy < scale; sy++) {
            for (let sx = 0; sx < scale; sx++) this.plot(x + n * cellW + gx * scale + sx, y + gy * scale + sy, fg);
          }
        }
      });
    });
    // fillRect above already reported this area as damaged.
    return width;
  }

  /** A copy of the current pixels. */
  snapshot(): { width: number; height: number; rgba: Uint8Array } {
    return { width: this.width, height: this.height, rgba: this.rgba.slice() };
  }

  private damage(rect: Rect): void {
    for (const listener of this.listeners) listener(rect);
  }
}
