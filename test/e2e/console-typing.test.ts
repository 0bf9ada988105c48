/**
 * End to end, in real headless Chromium against the simulator's real console servers: the parts of
 * Type text that take long texts (the confirmation above 1,000 characters, progress, Cancel) on QEMU,
 * and typing on a server without QEMU extended key events (x11vnc greeting RFB 3.3, as vncterm
 * does), which gets keysyms instead of key positions.
 *
 * Checked at the server: QEMU's input trace (`-trace input_event_key*`: each key down and up as a
 * qcode), and for x11vnc the xterm's file and x11vnc's own keyboard log (each keysym it received).
 * "Nothing more arrived" is shown with a marker key pressed on the console afterwards: the keys go
 * down one ordered stream, so once the marker is at the server everything sent before it is too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { Simulator } from '../../electron/sim/types';
import { needTools } from '../support/tools';
import type { AppPage } from './pages/app';
import type { ConsoleTab } from './pages/console-tab';
import { startConsoleRig, type ConsoleRig } from './rig';
import { ARRIVAL_TIMEOUT_MS, heldKeys, readText, traceSince, waitForDowns, waitForTyped, x11vncDownsSince, x11vncKeymapReads } from './server-input';
import { expectedKeysyms, producible, SAMPLE } from './typing-expectations';
import { waitUntil, type BrowserSession } from './support';

const skip = needTools('chromium', 'qemu-system-x86_64', 'Xvfb', 'x11vnc', 'xterm', 'setxkbmap');

/** A sentence of letters, capitals, spaces and "!" (no "q": that is the marker key). */
const SENTENCE = 'Type Text into the Guest! ';
/** The marker key pressed on the console after an action (its DOM code and QEMU qcode). */
const MARKER = { code: 'KeyQ', qcode: 'q' };

/** `length` characters of SENTENCE repeated. */
function longText(length: number): string {
  return SENTENCE.repeat(Math.ceil(length / SENTENCE.length)).slice(0, length);
}

/** The qcodes pressed to type SENTENCE-like text on a US keyboard (Shift for capitals and "!"). */
function usQcodes(text: string): string[] {
  return Array.from(text).flatMap((c) => {
    if (c === ' ') return ['spc'];
    if (c === '!') return ['shift', '1'];
    if (c >= 'A' && c <= 'Z') return ['shift', c.toLowerCase()];
    return [c];
  });
}

describe('Type text: long texts on QEMU, keysyms on a server without key positions', { skip }, () => {
  let rig: ConsoleRig;
  let browser: BrowserSession;
  let app: AppPage;
  let sim: Simulator;
  let qemuVm: string;
  let rfbVm: string;
  let qemuTrace: string;

  before(async () => {
    rig = await startConsoleRig({ kinds: ['qemu', 'rfb33'] });
    ({ browser, app, sim } = rig);
    qemuVm = rig.vmWith('qemu');
    rfbVm = rig.vmWith('rfb33');
    await rig.connect(qemuVm);
    qemuTrace = sim.vnc(qemuVm)?.inputTrace ?? '';
    assert.ok(qemuTrace !== '', 'QEMU traces its input');
  });

  after(async () => {
    await rig?.stop();
  });

  /** Presses the marker key on the console and waits until QEMU has it; returns the key events from `offset` up to it. */
  async function upToMarker(tab: ConsoleTab, offset: number): Promise<ReturnType<typeof traceSince>['keys']> {
    await tab.canvas().focus();
    await browser.page.keyboard.press(MARKER.code);
    await waitUntil('the marker key at QEMU', 20_000, () => (traceSince(qemuTrace, offset).downs.includes(MARKER.qcode) ? true : undefined));
    const keys = traceSince(qemuTrace, offset).keys;
    return keys.slice(0, keys.findIndex((k) => k.down && k.qcode === MARKER.qcode));
  }

  test('above 1,000 characters Type asks first: Go back types nothing and keeps the text; Type all types it all', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    const text = longText(1_001).toLowerCase();
    const dialog = tab.typeTextDialog();
    // Go back.
    let offset = readText(qemuTrace).length;
    await tab.button('Type text…').click();
    await dialog.fill(text, 'us');
    await dialog.button('Type').click();
    assert.match((await dialog.confirmation().textContent()) ?? '', /1,001 characters/);
    assert.equal(await dialog.text().isDisabled(), true, 'the text is locked while asking');
    await dialog.button('Go back').click();
    await dialog.confirmation().waitFor({ state: 'detached' });
    assert.equal(await dialog.text().inputValue(), text, 'the text is kept');
    assert.equal(await dialog.text().isDisabled(), false);
    await dialog.button('Close').click();
    await dialog.waitClosed();
    assert.deepEqual(await upToMarker(tab, offset), [], 'nothing was typed before confirming');
    // Confirm.
    offset = readText(qemuTrace).length;
    await tab.button('Type text…').click();
    await dialog.fill(text, 'us');
    await dialog.button('Type').click();
    await dialog.confirmation().waitFor();
    assert.deepEqual(traceSince(qemuTrace, offset).downs, [], 'nothing is typed while asking');
    await dialog.button('Type all').click();
    await dialog.waitClosed();
    const keys = await upToMarker(tab, offset);
    assert.deepEqual(
      keys.filter((k) => k.down).map((k) => k.qcode),
      usQcodes(text),
      'every character arrived, once, in order',
    );
    assert.deepEqual(heldKeys(keys), [], 'every key was let go');
  });

  test('progress advances while typing; Cancel stops the keys at the server and leaves no key held', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    const text = longText(2_000);
    const expected = usQcodes(text);
    const dialog = tab.typeTextDialog();
    const offset = readText(qemuTrace).length;
    await tab.button('Type text…').click();
    await dialog.fill(text, 'us');
    await dialog.button('Type').click();
    await dialog.button('Type all').click();
    // Progress on screen: it counts up, in characters of the whole text.
    const seen: number[] = [];
    await waitUntil('the progress to advance three times', 30_000, async () => {
      const shown = await dialog.progress();
      assert.ok(shown !== undefined, 'progress is shown while typing');
      assert.equal(shown.total, 2_000);
      if (shown.done > (seen[seen.length - 1] ?? 0)) seen.push(shown.done);
      return seen.length >= 3 ? true : undefined;
    }, 20);
    assert.ok(seen.every((d, i) => i === 0 || d > seen[i - 1]!), `progress only goes up: ${seen.join(', ')}`);
    // Keys are arriving; then Cancel.
    await waitForDowns(qemuTrace, offset, 20);
    await dialog.button('Cancel typing').click();
    await dialog.waitClosed();
    const keys = await upToMarker(tab, offset);
    const downs = keys.filter((k) => k.down).map((k) => k.qcode);
    assert.ok(downs.length >= 20 && downs.length < expected.length, `typing stopped part way: ${downs.length} of ${expected.length} key downs`);
    assert.deepEqual(downs, expected.slice(0, downs.length), 'what arrived is the start of the text');
    assert.deepEqual(heldKeys(keys), [], 'no key (Shift included) is left held down');
    // And it stays stopped: a second marker finds nothing new between the two.
    const between = readText(qemuTrace).length;
    const after = (await upToMarker(tab, between)).filter((k) => k.qcode !== MARKER.qcode);
    assert.deepEqual(after, [], 'no key between the two markers');
  });

  test('Esc while typing closes the dialog and stops the keys at the server, none held', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    const text = longText(200);
    const dialog = tab.typeTextDialog();
    const offset = readText(qemuTrace).length;
    await tab.button('Type text…').click();
    await dialog.fill(text, 'us');
    await dialog.button('Type').click();
    await waitForDowns(qemuTrace, offset, 10);
    await browser.page.keyboard.press('Escape');
    await dialog.waitClosed();
    const keys = await upToMarker(tab, offset);
    const downs = keys.filter((k) => k.down).map((k) => k.qcode);
    assert.ok(downs.length >= 10 && downs.length < usQcodes(text).length, `typing stopped part way: ${downs.length} key downs`);
    assert.deepEqual(heldKeys(keys), [], 'no key is left held down');
  });

  // The X server starts on us; x11vnc re-reads the keyboard map some time after it changes, and
  // types by the map it has: switch, then wait until it has re-read. x11vnc puts keysyms the map
  // lacks on spare keys but does not notice when a new map wipes them, so only the first layout
  // (de) types characters it has no key for (é, ñ: sent as bare keysyms); us then types what it has.
  let xLayout = 'us';
  for (const [layout, text] of [['de', SAMPLE], ['us', producible(SAMPLE, 'us')]] as const) {
    test(`keysyms only (x11vnc, RFB 3.3): Type text on ${layout} sends the keysyms the layout says, and the xterm gets the text`, async () => {
      if ((await app.tab(rfbVm).tab.count()) === 0) {
        await app.tree.open(rfbVm);
        await app.tab(rfbVm).waitForState('connected');
      }
      const backend = sim.vnc(rfbVm);
      const { typedFile, keyLog, display } = backend ?? {};
      assert.ok(typedFile !== undefined && keyLog !== undefined && display !== undefined, 'the rfb33 server keeps its files');
      const tab = app.tab(rfbVm);
      await tab.select();
      if (layout !== xLayout) {
        const reads = x11vncKeymapReads(keyLog);
        execFileSync('setxkbmap', ['-display', `:${display}`, '-layout', layout]);
        await waitUntil('x11vnc to re-read the keyboard map', ARRIVAL_TIMEOUT_MS, () => (x11vncKeymapReads(keyLog) > reads ? true : undefined));
        xLayout = layout;
      }
      const typedAt = readText(typedFile).length;
      const loggedAt = readText(keyLog).length;
      await tab.button('Type text…').click();
      const dialog = tab.typeTextDialog();
      const skipped = await dialog.fill(text, layout);
      assert.match(await dialog.serverNote(), /maps characters itself/, 'the server takes no key positions');
      assert.deepEqual(skipped, [], 'a keysym server takes every character');
      await dialog.button('Type').click();
      await dialog.waitClosed();
      assert.equal(await waitForTyped(typedFile, typedAt), text);
      assert.deepEqual(x11vncDownsSince(keyLog, loggedAt), expectedKeysyms(text, layout), 'the keysyms x11vnc received');
    });
  }
});
