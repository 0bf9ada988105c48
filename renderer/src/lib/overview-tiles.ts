/**
 * The console wall's DOM bookkeeping, outside Svelte's reactivity on purpose (pixels and observers
 * are not state the UI renders from):
 * - `ThumbnailCanvases`: the canvas of each tile and the last picture per VM, so a tile that is
 *   re-mounted (the grid reflowed) draws its picture again at once. A message with some rows of a
 *   picture (shared/wall-protocol.ts) patches the last picture; only the rows that changed since the
 *   last draw are drawn again. New pictures are drawn in batches, at most one batch per
 *   `DRAW_BATCH_MS` and inside an animation frame: each batch costs the browser one repaint, however
 *   many thumbnails it holds (the biggest browser cost of a wall);
 * - `ViewTracker`: which tiles are in the scroller's view (IntersectionObserver), reported as a set
 *   of keys whenever it changes; only those are watched.
 */
import { isWholeFrame, type WallFrame } from '../../../shared/wall-protocol';

/** Least time between two batches of thumbnail drawing, ms (pictures refresh every few seconds). */
export const DRAW_BATCH_MS = 500;

/** Rows of a picture still to be drawn: `top` … `end - 1`. */
interface Dirty {
  top: number;
  end: number;
}

/** Draws rows of a whole RGBA thumbnail into a canvas (all of them by default), sizing the canvas to it. */
function draw(canvas: HTMLCanvasElement, frame: WallFrame, rows: Dirty = { top: 0, end: frame.height }): void {
  let all = rows;
  if (canvas.width !== frame.width || canvas.height !== frame.height) {
    // Resizing clears the canvas: every row is drawn again.
    canvas.width = frame.width;
    canvas.height = frame.height;
    all = { top: 0, end: frame.height };
  }
  const pixels = new Uint8ClampedArray(frame.rgba.buffer as ArrayBuffer, frame.rgba.byteOffset, frame.rgba.length);
  canvas.getContext('2d')?.putImageData(new ImageData(pixels, frame.width, frame.height), 0, 0, 0, all.top, frame.width, all.end - all.top);
}

/** Tile canvases and their last pictures. */
export class ThumbnailCanvases {
  private readonly canvases = new Map<string, HTMLCanvasElement>();
  private readonly last = new Map<string, WallFrame>();
  private readonly pending = new Map<string, Dirty>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private frame: number | undefined;

  /** A tile's canvas appeared; returns its unregister function. */
  register(key: string, canvas: HTMLCanvasElement): () => void {
    this.canvases.set(key, canvas);
    const frame = this.last.get(key);
    if (frame !== undefined) draw(canvas, frame);
    return () => {
      if (this.canvases.get(key) === canvas) this.canvases.delete(key);
    };
  }

  /**
   * Shows a new picture or patches the last one with the rows sent (with the next batch). False, and
   * nothing shown, for rows that fit no picture here (the VM's picture was forgotten meanwhile).
   */
  show(frame: WallFrame): boolean {
    const rows = { top: frame.top, end: frame.top + frame.rgba.length / (frame.width * 4) };
    if (isWholeFrame(frame)) {
      this.last.set(frame.key, frame);
    } else {
      const base = this.last.get(frame.key);
      const fits =
        base !== undefined && base.width === frame.width && base.height === frame.height && base.screenWidth === frame.screenWidth && base.screenHeight === frame.screenHeight;
      if (!fits) return false;
      base.rgba.set(frame.rgba, frame.top * frame.width * 4);
    }
    const dirty = this.pending.get(frame.key);
    this.pending.set(frame.key, dirty === undefined ? rows : { top: Math.min(dirty.top, rows.top), end: Math.max(dirty.end, rows.end) });
    this.timer ??= setTimeout(() => {
      this.frame = requestAnimationFrame(() => this.flush());
    }, DRAW_BATCH_MS);
    return true;
  }

  private flush(): void {
    this.timer = undefined;
    this.frame = undefined;
    for (const [key, rows] of this.pending) {
      const canvas = this.canvases.get(key);
      const frame = this.last.get(key);
      if (canvas !== undefined && frame !== undefined) draw(canvas, frame, rows);
    }
    this.pending.clear();
  }

  /** Forgets a VM's picture (it stopped running). */
  forget(key: string): void {
    this.last.delete(key);
    this.pending.delete(key);
  }

  /** Stops drawing (the wall is going away). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.timer = undefined;
    this.frame = undefined;
    this.pending.clear();
  }
}

/** Reports which tile elements are in view. */
export class ViewTracker {
  private observer: IntersectionObserver | undefined;
  private readonly keys = new Map<Element, string>();
  private readonly inView = new Set<string>();

  constructor(private readonly onChange: (keys: ReadonlySet<string>) => void) {}

  /** Starts observing inside `root` (the scroller). */
  start(root: Element | null): void {
    this.observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const key = this.keys.get(entry.target);
        if (key === undefined) continue;
        if (entry.isIntersecting) this.inView.add(key);
        else this.inView.delete(key);
      }
      this.onChange(new Set(this.inView));
    }, { root });
    for (const element of this.keys.keys()) this.observer.observe(element);
  }

  /** A tile element appeared; returns its remove function. */
  add(element: Element, key: string): () => void {
    this.keys.set(element, key);
    this.observer?.observe(element);
    return () => {
      this.observer?.unobserve(element);
      this.keys.delete(element);
      if (this.inView.delete(key)) this.onChange(new Set(this.inView));
    };
  }

  /** Stops observing. */
  stop(): void {
    this.observer?.disconnect();
    this.observer = undefined;
  }
}
