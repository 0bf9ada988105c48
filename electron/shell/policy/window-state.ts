/**
 * Remembers the main window's size and position in a small JSON file in userData and sanitises it
 * against the displays present at the next start (a monitor may have been unplugged, or the file
 * edited by hand): sizes are clamped to the largest work area, and a position is kept only when a
 * usable strip of the title bar would land on some display; otherwise the window is centred.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** A rectangle in screen pixels. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Bounds to open the window with; no x/y means "let the OS centre it". */
export interface WindowBounds {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

/** Size when nothing is remembered, in px. */
export const DEFAULT_BOUNDS: WindowBounds = { width: 1280, height: 800, maximized: false };
/** Width of title bar that must be on screen for a remembered position to be kept, in px. */
export const MIN_VISIBLE_WIDTH_PX = 120;
/** Height of title bar that must be on screen, in px. */
export const MIN_VISIBLE_HEIGHT_PX = 32;
/** Smallest size we restore, in px (below this the saved size is ignored). */
export const MIN_RESTORED_PX = 200;

function finiteInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : undefined;
}

function overlap(a: Rect, b: Rect): { w: number; h: number } {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return { w: Math.max(0, w), h: Math.max(0, h) };
}

/** Turns whatever was saved (`unknown`) into bounds that fit the given display work areas. */
export function sanitizeBounds(saved: unknown, workAreas: readonly Rect[], fallback: WindowBounds = DEFAULT_BOUNDS): WindowBounds {
  if (typeof saved !== 'object' || saved === null || workAreas.length === 0) return { ...fallback };
  const s = saved as Record<string, unknown>;
  const maxW = Math.max(...workAreas.map((a) => a.width));
  const maxH = Math.max(...workAreas.map((a) => a.height));
  let width = finiteInt(s.width) ?? fallback.width;
  let height = finiteInt(s.height) ?? fallback.height;
  if (width < MIN_RESTORED_PX || height < MIN_RESTORED_PX) ({ width, height } = fallback);
  width = Math.min(width, maxW);
  height = Math.min(height, maxH);
  const maximized = s.maximized === true;
  const x = finiteInt(s.x);
  const y = finiteInt(s.y);
  if (x === undefined || y === undefined) return { width, height, maximized };
  const titleBar: Rect = { x, y, width, height: MIN_VISIBLE_HEIGHT_PX };
  const visible = workAreas.some((area) => {
    const o = overlap(titleBar, area);
    return o.w >= Math.min(MIN_VISIBLE_WIDTH_PX, width) && o.h >= MIN_VISIBLE_HEIGHT_PX;
  });
  return visible ? { x, y, width, height, maximized } : { width, height, maximized };
}

/** Reads the state file; any problem (missing, unreadable, bad JSON) gives `undefined`. */
export function readWindowState(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Writes the state file atomically (temp file + rename), so a crash never leaves half a file. */
export function writeWindowState(file: string, bounds: Rect, maximized: boolean): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify({ x: bounds.x, y: bounds.y, width: bounds.width, height: bounds.height, maximized }), { mode: 0o600 });
  renameSync(tmp, file);
}
