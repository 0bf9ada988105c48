/**
 * The console wall's DOM bookkeeping, outside Svelte's reactivity on purpose (pixels and observers
 * are not state the UI renders from):
 * - `ThumbnailCanvases`: the canvas of each tile and the last picture per VM, so a tile that is
 *   re-mounted (the grid reflowed) draws its picture again at once. New pictures are drawn in
 *   batches, at most one batch per `DRAW_BATCH_MS` and inside an animation frame: each batch costs
 *   the browser one repaint, however many thumbnails it holds (the biggest browser cost of a wall);
 * - `ViewTracker`: which tiles are in the scroller's view (IntersectionObserver), reported as a set
 *   of keys whenever it changes; only those are watched.
 */
import type { WallFrame } from '../../../shared/wall-protocol';

/** Least time between two batches of thumbnail drawing, ms (pictures refresh every few seconds). */
export const DRAW_BATCH_MS = 500;

/** Draws an RGBA thumbnail into a canvas, sizing the canvas to it. */
function draw(canvas: HTMLCanvasElement, frame: WallFrame): void {
  if (canvas.width !== frame.width) canvas.width = frame.width;
  if (canvas.height !== frame.height) canvas.height = frame.height;
  const pixels = new Uint8ClampedArray(frame.rgba.buffer as ArrayBuffer, frame.rgba.byteOffset, frame.rgba.length);
  canvas.getContext('2d')?.putImageData(new ImageData(pixels, frame.width, frame.height), 0, 0);
}

/** Tile canvases and their last pictures. */
export class ThumbnailCanvases {
  private readonly canvases = new Map<string, HTMLCanvasElement>();
  private readonly last = new Map<string, WallFrame>();
  private readonly pending = new Set<string>();
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

  /** Shows a new picture (with the next batch). */
  show(frame: WallFrame): void {
    this.last.set(frame.key, frame);
    this.pending.add(frame.key);
    this.timer ??= setTimeout(() => {
      this.frame = requestAnimationFrame(() => this.flush());
    }, DRAW_BATCH_MS);
  }

  private flush(): void {
    this.timer = undefined;
    this.frame = undefined;
    for (const key of this.pending) {
      const canvas = this.canvases.get(key);
      const frame = this.last.get(key);
      if (canvas !== undefined && frame !== undefined) draw(canvas, frame);
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
