/**
 * The console wall's DOM bookkeeping, outside Svelte's reactivity on purpose (pixels and observers
 * are not state the UI renders from):
 * - `ThumbnailCanvases`: the canvas of each tile and the last picture per VM, so a tile that is
 *   re-mounted (the grid reflowed) draws its picture again at once;
 * - `ViewTracker`: which tiles are in the scroller's view (IntersectionObserver), reported as a set
 *   of keys whenever it changes; only those are watched.
 */
import type { WallFrame } from '../../../shared/wall-protocol';

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

  /** A tile's canvas appeared; returns its unregister function. */
  register(key: string, canvas: HTMLCanvasElement): () => void {
    this.canvases.set(key, canvas);
    const frame = this.last.get(key);
    if (frame !== undefined) draw(canvas, frame);
    return () => {
      if (this.canvases.get(key) === canvas) this.canvases.delete(key);
    };
  }

  /** Shows a new picture. */
  show(frame: WallFrame): void {
    this.last.set(frame.key, frame);
    const canvas = this.canvases.get(frame.key);
    if (canvas !== undefined) draw(canvas, frame);
  }

  /** Forgets a VM's picture (it stopped running). */
  forget(key: string): void {
    this.last.delete(key);
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
