/**
 * End to end, in real headless Chromium at 2 device pixels per CSS pixel (a HiDPI screen) against
 * QEMU: a console at 1:1 is sharp. The canvas's backing store is the framebuffer (one canvas pixel per
 * guest pixel), its CSS size is the framebuffer's (2×2 device pixels per guest pixel), it is drawn
 * without smoothing, and the screen as Chromium composites it — a page screenshot in device pixels —
 * holds QEMU's own screendump with every pixel doubled into a uniform 2×2 block, at a whole device
 * pixel, but for the blinking cursor cell. (Smoothing makes thousands of blocks mixed: the check fails.)
 *
 * Where the canvas is painted is found in the screenshot, not taken from getBoundingClientRect:
 * Chromium snaps it to a device pixel (a layout position of 353.08 CSS px is painted at 706 device px).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Simulator } from '../../electron/sim/types';
import { decodePngRgb } from '../support/png';
import { needTools } from '../support/tools';
import type { AppPage } from './pages/app';
import { startConsoleRig, type ConsoleRig } from './rig';
import { colourCount, diffImages, equalButCursor, parsePpm, waitUntil, type BrowserSession, type FrameDiff, type RgbImage } from './support';

const skip = needTools('chromium', 'qemu-system-x86_64');

/** Device pixels per CSS pixel. */
const SCALE = 2;

/** Where the canvas is and how it is drawn, in CSS px. */
interface CanvasFacts {
  left: number;
  top: number;
  width: number;
  height: number;
  backingWidth: number;
  backingHeight: number;
  devicePixelRatio: number;
  imageRendering: string;
}

/** The `width`×`height` part of an image at (`x`, `y`). */
function crop(image: RgbImage, x: number, y: number, width: number, height: number): RgbImage {
  const rgb = Buffer.alloc(width * height * 3);
  for (let row = 0; row < height; row++) image.rgb.copy(rgb, row * width * 3, ((y + row) * image.width + x) * 3, ((y + row) * image.width + x + width) * 3);
  return { width, height, rgb };
}

/**
 * Undoes a whole-number upscale: the image of `scale`×`scale` blocks back to one pixel each, and the
 * number of blocks whose pixels differ (a blurred edge has such blocks; a sharp one has none).
 */
function unscale(image: RgbImage, scale: number): { image: RgbImage; mixedBlocks: number; mixedAt: { x: number; y: number }[] } {
  const width = Math.floor(image.width / scale);
  const height = Math.floor(image.height / scale);
  const rgb = Buffer.alloc(width * height * 3);
  let mixedBlocks = 0;
  const mixedAt: { x: number; y: number }[] = [];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const first = ((y * scale) * image.width + x * scale) * 3;
      let mixed = false;
      for (let dy = 0; dy < scale; dy++)
        for (let dx = 0; dx < scale; dx++) {
          const i = ((y * scale + dy) * image.width + x * scale + dx) * 3;
          if (image.rgb[i] !== image.rgb[first] || image.rgb[i + 1] !== image.rgb[first + 1] || image.rgb[i + 2] !== image.rgb[first + 2]) mixed = true;
        }
      if (mixed) {
        mixedBlocks++;
        if (mixedAt.length < 5) mixedAt.push({ x, y });
      }
      image.rgb.copy(rgb, (y * width + x) * 3, first, first + 3);
    }
  return { image: { width, height, rgb }, mixedBlocks, mixedAt };
}

describe('HiDPI: a console at 1:1 is sharp at 2 device pixels per CSS pixel', { skip }, () => {
  let rig: ConsoleRig;
  let browser: BrowserSession;
  let app: AppPage;
  let sim: Simulator;
  let qemuVm: string;

  before(async () => {
    rig = await startConsoleRig({ kinds: ['qemu'], deviceScaleFactor: SCALE });
    ({ browser, app, sim } = rig);
    qemuVm = rig.vmWith('qemu');
    await rig.connect(qemuVm);
  });

  after(async () => {
    await rig?.stop();
  });

  test('each framebuffer pixel is a whole 2×2 block of device pixels, and the screen shown is the screendump doubled', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    await tab.oneToOne();
    const backend = sim.vnc(qemuVm);
    assert.ok(backend?.screendump !== undefined);
    const facts = (): Promise<CanvasFacts> =>
      tab.canvas().evaluate((element) => {
        const c = element as unknown as { width: number; height: number; getBoundingClientRect(): { left: number; top: number; width: number; height: number }; style: { imageRendering: string } };
        const g = globalThis as unknown as { devicePixelRatio: number; getComputedStyle(e: unknown): { imageRendering: string } };
        const r = c.getBoundingClientRect();
        return { left: r.left, top: r.top, width: r.width, height: r.height, backingWidth: c.width, backingHeight: c.height, devicePixelRatio: g.devicePixelRatio, imageRendering: g.getComputedStyle(c).imageRendering };
      });
    let last: { facts: CanvasFacts; at?: { x: number; y: number }; diff?: FrameDiff; mixedBlocks?: number; mixedAt?: unknown } | undefined;
    // The canvas trails QEMU by a frame update, and QEMU starts with a blank screen: wait for the
    // state where the screenshot and the screendump show the same, non-blank screen.
    await waitUntil('a sharp canvas showing the screendump', 20_000, async () => {
      const f = await facts();
      last = { facts: f };
      const dump = parsePpm(await backend.screendump!());
      if (colourCount(dump, 2) < 2 || f.backingWidth !== dump.width || f.backingHeight !== dump.height) return undefined;
      // A screenshot of a box one CSS pixel larger than the canvas all round (Chromium clips at whole
      // CSS pixels); the canvas is somewhere in it, at a whole device pixel when sharp: look at
      // every device-pixel offset for the screendump doubled.
      const x0 = Math.floor(f.left) - 1;
      const y0 = Math.floor(f.top) - 1;
      const around = decodePngRgb(await browser.page.screenshot({ clip: { x: x0, y: y0, width: Math.ceil(f.left + f.width) + 1 - x0, height: Math.ceil(f.top + f.height) + 1 - y0 }, scale: 'device' }));
      let best: { at: { x: number; y: number }; diff: FrameDiff; mixedBlocks: number; mixedAt: unknown } | undefined;
      for (let y = 0; y + f.backingHeight * SCALE <= around.height; y++)
        for (let x = 0; x + f.backingWidth * SCALE <= around.width; x++) {
          const { image, mixedBlocks, mixedAt } = unscale(crop(around, x, y, f.backingWidth * SCALE, f.backingHeight * SCALE), SCALE);
          const diff = diffImages(image, dump);
          if (best === undefined || diff.mismatched < best.diff.mismatched) best = { at: { x: x0 * SCALE + x, y: y0 * SCALE + y }, diff, mixedBlocks, mixedAt };
        }
      if (best === undefined) return undefined;
      const { diff, mixedBlocks } = best;
      last = { facts: f, ...best };
      return equalButCursor(diff) && mixedBlocks <= 9 * 16 ? true : undefined;
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}; last: ${JSON.stringify(last)}`);
    });
    const f = last!.facts;
    assert.equal(f.devicePixelRatio, SCALE);
    assert.equal((f.width * SCALE) / f.backingWidth, SCALE, 'a framebuffer pixel is 2 device pixels wide');
    assert.equal((f.height * SCALE) / f.backingHeight, SCALE, 'and 2 device pixels high');
    assert.equal(f.imageRendering, 'pixelated', 'drawn without smoothing');
    process.stdout.write(`# HiDPI: canvas ${f.backingWidth}x${f.backingHeight} framebuffer px shown as ${f.width}x${f.height} CSS px at (${f.left}, ${f.top}); painted at device px (${last!.at!.x}, ${last!.at!.y}); ${last!.diff!.mismatched} px differ from the screendump (the cursor cell may), ${last!.mixedBlocks} mixed 2x2 blocks\n`);
  });
});
