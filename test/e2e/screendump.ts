/**
 * The check both browser suites (Chromium through the harness, and the Electron app) use to prove a
 * console shows the real screen: the tab's canvas, at 1:1, equals QEMU's own QMP screendump except
 * for the cursor cell, once QEMU shows more than one colour.
 */
import assert from 'node:assert/strict';
import type { Simulator } from '../../electron/sim/types';
import type { ConsoleTab } from './pages/console-tab';
import { colourCount, diffImages, equalButCursor, parsePpm, waitUntil, type FrameDiff } from './support';

/** How long the canvas may lag behind QEMU's screen before the comparison fails, ms. */
const FRAME_MATCH_TIMEOUT_MS = 15_000;

/** Waits until the tab's canvas equals QEMU's screendump (but for the cursor cell), else fails with the last difference. */
export async function expectCanvasEqualsScreendump(tab: ConsoleTab, sim: Simulator, vmName: string): Promise<void> {
  await tab.oneToOne();
  const backend = sim.vnc(vmName);
  assert.ok(backend?.screendump !== undefined, 'the VM has a QEMU console server');
  let last: FrameDiff | undefined;
  // The canvas trails QEMU by a frame update: wait for the state where both show the same screen.
  await waitUntil('the canvas to equal the screendump', FRAME_MATCH_TIMEOUT_MS, async () => {
    const dump = parsePpm(await backend.screendump!());
    const shown = await tab.pixels();
    last = diffImages(shown, dump);
    // A screen of one colour (QEMU before the guest draws) would match trivially: wait for content.
    return equalButCursor(last) && colourCount(dump, 2) >= 2 ? true : undefined;
  }).catch((error: unknown) => {
    throw new Error(`${String(error)}; last difference: ${JSON.stringify(last)}`);
  });
  assert.ok(last !== undefined && equalButCursor(last));
}
