/**
 * End to end, in real headless Chromium against the simulator's real console servers: the console
 * toolbar's power features, each checked on screen and at the server.
 *
 * - QEMU runs with `-trace input_event_key*` / `input_event_btn`: its trace lists every key (as a
 *   qcode) and button that reached the guest, which the test compares with what xkb-data says.
 * - Xvnc's xterm writes what it receives to a file; for German its X server is switched to `de` with
 *   setxkbmap, as a guest admin would.
 *
 * Covered: Type text (us and de; AltGr, Shift, dead keys, skipped characters, Ctrl+Shift+V), the
 * Keys menu (Ctrl+Alt+F2, Win) and sticky modifiers, View only, Screenshot == canvas == QMP
 * screendump, clipboard both ways with Xvnc, remote resize of Xvnc, Tab to the console, typing after
 * a tab switch; the host's text console (find, copy, paste).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Simulator } from '../../electron/sim/types';
import { resolveLayout } from '../../shared/keyboard/xkb-symbols';
import { decodePngRgb } from '../support/png';
import { needTools } from '../support/tools';
import type { AppPage } from './pages/app';
import type { ConsoleTab } from './pages/console-tab';
import { startConsoleRig, type ConsoleRig } from './rig';
import { expectedQcodes, producible, SAMPLE, XKB_SAYS } from './typing-expectations';
import { ARRIVAL_TIMEOUT_MS, readText, traceSince, waitForDowns, waitForTyped } from './server-input';
import { diffImages, equalButCursor, parsePpm, readClipboardText, waitUntil, writeClipboardText, type BrowserSession } from './support';

const skip = needTools('chromium', 'qemu-system-x86_64', 'Xvnc', 'setxkbmap', 'xdpyinfo');

/** The xkb-data symbols folder. */
const XKB_SYMBOLS = '/usr/share/X11/xkb/symbols';

describe('console power features against QEMU and Xvnc', { skip }, () => {
  let rig: ConsoleRig;
  let browser: BrowserSession;
  let app: AppPage;
  let sim: Simulator;
  let qemuVm: string;
  let xvncVm: string;
  let qemuTrace: string;
  let typedFile: string;
  let display: number;

  before(async () => {
    rig = await startConsoleRig();
    ({ browser, app, sim } = rig);
    qemuVm = rig.vmWith('qemu');
    xvncVm = rig.vmWith('xvnc');
    await rig.connect(qemuVm, xvncVm);
    // The console servers exist once their VMs' consoles are connected.
    qemuTrace = sim.vnc(qemuVm)?.inputTrace ?? '';
    typedFile = sim.vnc(xvncVm)?.typedFile ?? '';
    display = sim.vnc(xvncVm)?.display ?? -1;
    assert.ok(qemuTrace !== '' && typedFile !== '' && display >= 0, 'both console servers are up');
  });

  after(async () => {
    await rig?.stop();
  });

  /** Waits until the xterm file has grown by a line, returns the new part. */
  const nextTyped = (offset: number): Promise<string> => waitForTyped(typedFile, offset);
  /** Waits until QEMU's trace shows `count` key downs after `offset`. */
  const nextDowns = (offset: number, count: number): Promise<string[]> => waitForDowns(qemuTrace, offset, count);

  test('the expected key strokes are what xkb-data says', () => {
    const read = (f: string): string | undefined => readText(join(XKB_SYMBOLS, f)) || undefined;
    for (const [layout, chars] of Object.entries(XKB_SAYS)) {
      const keys = resolveLayout(read, layout).keys;
      for (const [char, strokes] of Object.entries(chars))
        for (const [key, level, keysym] of strokes) assert.equal(keys[key]?.levels[level - 1], keysym, `${layout} ${char}: ${key} level ${level}`);
    }
  });

  test('Xvnc: clipboard from here reaches the guest, and the guest selection comes back', async () => {
    const tab = app.tab(xvncVm);
    await tab.select();
    await tab.oneToOne();
    await tab.button('Clipboard…').click();
    const dialog = browser.page.getByRole('dialog', { name: `Clipboard of ${xvncVm}` });
    await dialog.getByRole('textbox', { name: 'Send to the guest' }).fill('porthole-clip-äé');
    assert.equal(await dialog.getByText('does not share a clipboard').count(), 0, 'Xvnc offers the extended clipboard');
    await dialog.getByRole('button', { name: 'Send to guest' }).click();
    await dialog.getByRole('status').filter({ hasText: 'Sent' }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    // At the server: paste the X selection into the xterm (Shift+Insert) and end the line.
    const offset = readText(typedFile).length;
    await tab.canvas().focus();
    const blank = await tab.pixels();
    await browser.page.keyboard.press('Shift+Insert');
    // The paste is asynchronous (xterm asks the X server for the selection): Enter only once the
    // pasted text is on the screen, else the newline could overtake it.
    await waitUntil('the pasted text on the xterm screen', ARRIVAL_TIMEOUT_MS, async () => (diffImages(blank, await tab.pixels()).mismatched > 20 ? true : undefined));
    await browser.page.keyboard.press('Enter');
    assert.equal(await nextTyped(offset), 'porthole-clip-äé\n');
    // The other way: select the echoed line in the xterm (triple click); Xvnc sends the selection.
    const box = await tab.canvas().boundingBox();
    assert.ok(box !== null);
    await browser.page.mouse.click(box.x + 20, box.y + 6, { clickCount: 3 });
    await tab.button('Clipboard…').click();
    const guest = dialog.getByRole('textbox', { name: 'Guest clipboard' });
    await waitUntil('the guest clipboard in the dialog', ARRIVAL_TIMEOUT_MS, async () => ((await guest.inputValue()).includes('porthole-clip-äé') ? true : undefined));
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  for (const layout of ['us', 'de']) {
    test(`Xvnc: Type text on ${layout} reaches the xterm as the same characters`, async () => {
      const tab = app.tab(xvncVm);
      await tab.select();
      execFileSync('setxkbmap', ['-display', `:${display}`, '-layout', layout]);
      const offset = readText(typedFile).length;
      const skipped = await tab.typeText(SAMPLE, layout);
      assert.deepEqual(skipped, layout === 'us' ? ['€', 'ä', 'ß', 'é', 'ñ'] : ['ñ']);
      assert.equal(await nextTyped(offset), producible(SAMPLE, layout));
    });

    test(`QEMU: Type text on ${layout} presses the qcodes xkb-data says`, async () => {
      const tab = app.tab(qemuVm);
      await tab.select();
      let offset = 0;
      const skipped = await tab.typeText(SAMPLE, layout, () => {
        offset = readText(qemuTrace).length;
      });
      assert.deepEqual(skipped, layout === 'us' ? ['€', 'ä', 'ß', 'é', 'ñ'] : ['ñ']);
      const expected = expectedQcodes(SAMPLE, layout);
      assert.deepEqual((await nextDowns(offset, expected.length)).slice(0, expected.length), expected);
    });
  }

  test('Ctrl+Shift+V on the console opens Type text', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    await tab.canvas().focus();
    // Counted from before the shortcut: the guest gets the modifiers as they are pressed (nobody can
    // know a V will follow), never the V, then the typed text. (Counting from when the dialog had
    // opened raced QEMU's trace: its lines for the modifiers could land after that point.)
    const offset = readText(qemuTrace).length;
    await browser.page.keyboard.press('Control+Shift+V');
    await tab.typeInDialog('ab', 'us');
    assert.deepEqual(await nextDowns(offset, 4), ['ctrl', 'shift', 'a', 'b']);
  });

  test('Keys menu: Ctrl+Alt+F2 and Win reach QEMU as their qcodes', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    let offset = readText(qemuTrace).length;
    await tab.menu('Keys ▾', 'Ctrl+Alt+F2');
    assert.deepEqual(await nextDowns(offset, 3), ['ctrl', 'alt', 'f2']);
    offset = readText(qemuTrace).length;
    await tab.menu('Keys ▾', 'Win');
    assert.deepEqual(await nextDowns(offset, 1), ['meta_l']);
  });

  test('sticky modifiers show as pressed, combine with the next key, then let go', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    const group = tab.visiblePanel().getByRole('group', { name: 'Sticky modifiers' });
    let offset = readText(qemuTrace).length;
    await group.getByRole('button', { name: 'Ctrl', exact: true }).click();
    await group.getByRole('button', { name: 'Shift', exact: true }).click();
    assert.equal(await group.getByRole('button', { pressed: true }).count(), 2);
    await tab.menu('Keys ▾', 'Alt+Tab');
    assert.deepEqual(await nextDowns(offset, 4), ['ctrl', 'shift', 'alt', 'tab']);
    assert.equal(await group.getByRole('button', { pressed: true }).count(), 0, 'used up');
    // With a key typed on the console itself.
    offset = readText(qemuTrace).length;
    await group.getByRole('button', { name: 'Alt', exact: true }).click();
    await tab.canvas().focus();
    await browser.page.keyboard.press('KeyX');
    assert.deepEqual(await nextDowns(offset, 2), ['alt', 'x']);
    await group.getByRole('button', { pressed: true }).waitFor({ state: 'detached' });
  });

  test('View only sends nothing and says so; turning it off sends again', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    await tab.button('View only').click();
    await tab.visiblePanel().getByRole('status').filter({ hasText: 'View only' }).waitFor();
    assert.equal(await tab.button('Type text…').isDisabled(), true);
    const offset = readText(qemuTrace).length;
    await tab.canvas().click();
    await browser.page.keyboard.type('nothing');
    await tab.button('View only').click();
    // A marker key after View only ends: once it arrives, everything before it has arrived too.
    await tab.canvas().focus();
    await browser.page.keyboard.press('KeyM');
    await nextDowns(offset, 1);
    const { lines, downs } = traceSince(qemuTrace, offset);
    assert.deepEqual(downs, ['m'], `only the marker reached QEMU: ${JSON.stringify(lines)}`);
    assert.ok(!lines.some((l) => l.startsWith('input_event_btn')), 'no mouse button reached QEMU');
  });

  test('Screenshot: the PNG equals the canvas and QMP screendump pixel for pixel', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    await tab.oneToOne();
    const backend = sim.vnc(qemuVm);
    assert.ok(backend?.screendump !== undefined);
    await waitUntil('a screenshot equal to the canvas and the screendump', 20_000, async () => {
      const [download] = await Promise.all([browser.page.waitForEvent('download'), tab.menu('Screenshot ▾', 'Save as PNG…')]);
      assert.match(download.suggestedFilename(), /\.png$/);
      const shot = decodePngRgb(readFileSync(await download.path()));
      const canvas = await tab.pixels();
      const dump = parsePpm(await backend.screendump!());
      // The blinking cursor may differ between the three reads; everything else must not.
      return equalButCursor(diffImages(shot, canvas)) && equalButCursor(diffImages(shot, dump)) && diffImages(shot, dump).sameSize ? true : undefined;
    });
  });

  test('Ctrl+Alt+Del asks first when the user wants it to, then reaches QEMU', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    await tab.menu('Keys ▾', 'Ask before Ctrl+Alt+Del: off');
    const offset = readText(qemuTrace).length;
    await tab.button('Ctrl+Alt+Del').click();
    const dialog = browser.page.getByRole('dialog', { name: `Send Ctrl+Alt+Del to ${qemuVm}?` });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await tab.button('Ctrl+Alt+Del').click();
    await dialog.getByRole('button', { name: 'Send' }).click();
    assert.deepEqual(await nextDowns(offset, 3), ['ctrl', 'alt', 'delete'], 'only the confirmed one was sent');
    await tab.menu('Keys ▾', 'Ask before Ctrl+Alt+Del: on');
  });

  test('QEMU: the clipboard dialog says it is not shared and offers Type text', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    await tab.button('Clipboard…').click();
    const dialog = browser.page.getByRole('dialog', { name: `Clipboard of ${qemuVm}` });
    await dialog.getByText('does not share a clipboard').waitFor();
    await dialog.getByRole('button', { name: 'Type text…' }).click();
    const typeDialog = browser.page.getByRole('dialog', { name: `Type text into ${qemuVm}` });
    await typeDialog.getByRole('button', { name: 'Close' }).click();
    await typeDialog.waitFor({ state: 'detached' });
  });

  test('Scaling: fit never enlarges a small screen unless asked; 1:1 shows it as is', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    const frame = await tab.pixels();
    const shownWidth = async (): Promise<number> => (await tab.canvas().boundingBox())?.width ?? 0;
    await tab.scaling('fit');
    await waitUntil('the canvas at its own size', 5_000, async () => (Math.round(await shownWidth()) === frame.width ? true : undefined));
    await tab.scaling('fit-up');
    await waitUntil('the canvas enlarged', 5_000, async () => ((await shownWidth()) > frame.width + 1 ? true : undefined));
    await tab.scaling('one-to-one');
    await waitUntil('the canvas at 1:1', 5_000, async () => (Math.round(await shownWidth()) === frame.width ? true : undefined));
    assert.equal(await tab.canvas().evaluate((c) => (c as unknown as { style: { imageRendering: string } }).style.imageRendering), 'pixelated', 'sharp at 1:1');
  });

  test('Screenshot to the clipboard: the PNG there equals the canvas', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    await tab.oneToOne();
    await waitUntil('a clipboard screenshot equal to the canvas', 20_000, async () => {
      await tab.menu('Screenshot ▾', 'Copy to clipboard');
      const base64 = await browser.page.evaluate(async () => {
        const nav = (globalThis as unknown as { navigator: { clipboard: { read(): Promise<{ types: string[]; getType(t: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> }> }[]> } } }).navigator;
        const items = await nav.clipboard.read();
        const item = items.find((i) => i.types.includes('image/png'));
        if (item === undefined) return '';
        // The copy is written asynchronously: a write landing between read() and getType() makes
        // Chromium answer "Clipboard data has changed" — read again on the next round.
        const blob = await item.getType('image/png').catch((e: unknown) => {
          if ((e as { name?: unknown }).name === 'InvalidStateError') return undefined;
          throw e;
        });
        if (blob === undefined) return '';
        const bytes = new Uint8Array(await blob.arrayBuffer());
        let binary = '';
        for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return btoa(binary);
      });
      if (base64 === '') return undefined;
      return equalButCursor(diffImages(decodePngRgb(Buffer.from(base64, 'base64')), await tab.pixels())) ? true : undefined;
    });
  });

  test('leaving fullscreen in the middle of a click leaves no capture layer behind', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    await tab.button('Fullscreen').click();
    await tab.visiblePanel().getByRole('button', { name: 'Fullscreen', pressed: true }).waitFor();
    const box = await tab.canvas().boundingBox();
    assert.ok(box !== null);
    await browser.page.mouse.move(box.x + 10, box.y + 10);
    await browser.page.mouse.down();
    const layerShown = (): Promise<boolean> =>
      browser.page.evaluate(() => {
        const el = (globalThis as unknown as { document: { getElementById(id: string): { style: { display: string } } | null } }).document.getElementById('noVNC_mouse_capture_elem');
        return el !== null && el.style.display !== 'none';
      });
    assert.equal(await layerShown(), true, 'noVNC captures the mouse while the button is down');
    await browser.page.evaluate(() => (globalThis as unknown as { document: { exitFullscreen(): Promise<void> } }).document.exitFullscreen());
    await tab.visiblePanel().getByRole('button', { name: 'Fullscreen', pressed: false }).waitFor();
    assert.equal(await layerShown(), false, 'the capture layer is gone once fullscreen ends');
    await browser.page.mouse.up();
    // The next click reaches the page.
    await tab.button('View only').click();
    await tab.visiblePanel().getByRole('button', { name: 'View only', pressed: true }).waitFor();
    await tab.button('View only').click();
  });

  test('Xvnc: "Resize the guest" sets the X screen to the tab size', async () => {
    const tab = app.tab(xvncVm);
    await tab.select();
    const before = execFileSync('xdpyinfo', ['-display', `:${display}`], { encoding: 'utf8' });
    assert.match(before, /dimensions:\s+1024x768 pixels/);
    await tab.scaling('remote');
    const box = await tab.visiblePanel().locator('.console-screen').boundingBox();
    assert.ok(box !== null);
    const stage = `${Math.floor(box.width)}x${Math.floor(box.height)}`;
    assert.notEqual(stage, '1024x768');
    await waitUntil(`Xvnc's screen to become ${stage}`, ARRIVAL_TIMEOUT_MS, () =>
      execFileSync('xdpyinfo', ['-display', `:${display}`], { encoding: 'utf8' }).includes(`dimensions:    ${stage} pixels`) ? true : undefined,
    );
    // The canvas follows the new framebuffer size.
    await waitUntil('the canvas to follow', ARRIVAL_TIMEOUT_MS, async () => {
      const shown = await tab.pixels();
      return `${shown.width}x${shown.height}` === stage ? true : undefined;
    });
  });

  test("the host's text console: opened from the host in the tree; find, copy and paste in the terminal", async () => {
    const tab = await app.openHostTextConsole(sim.hosts[0]!.name);
    const panel = tab.visiblePanel();
    await panel.locator('.xterm').click();
    await browser.page.keyboard.type('echo porthole-find-me');
    await browser.page.keyboard.press('Enter');
    const findBox = panel.getByRole('searchbox', { name: 'Find in scrollback' });
    // Find: a match selects it (so Copy takes it); a miss says so.
    await findBox.fill('porthole-find-me');
    await waitUntil('the echoed line in the scrollback', ARRIVAL_TIMEOUT_MS, async () => {
      await panel.getByRole('button', { name: 'Find', exact: true }).click();
      return (await panel.getByRole('status').count()) === 0 ? true : undefined;
    });
    await panel.getByRole('button', { name: 'Copy', exact: true }).click();
    const readClipboard = (): Promise<string> => readClipboardText(browser.page);
    await waitUntil('the selection on the clipboard', 5_000, async () => ((await readClipboard()) === 'porthole-find-me' ? true : undefined));
    await findBox.fill('absent-xyzzy');
    await findBox.press('Enter');
    await panel.getByRole('status').filter({ hasText: 'No “absent-xyzzy” in the scrollback.' }).waitFor();
    // The first line was the login name; a password (not echoed) gets to the shell.
    await panel.locator('.xterm').click();
    await browser.page.keyboard.type('secret');
    await browser.page.keyboard.press('Enter');
    // Paste: the clipboard goes to the guest as typed; its echo is then found.
    await writeClipboardText(browser.page, 'echo pasted-line\r');
    await panel.getByRole('button', { name: 'Paste', exact: true }).click();
    await findBox.fill('pasted-line');
    await waitUntil('the pasted line echoed', ARRIVAL_TIMEOUT_MS, async () => {
      await findBox.press('Enter');
      return (await panel.getByRole('status').count()) === 0 ? true : undefined;
    });
    await tab.close();
  });

  test('Tab reaches the console; after a tab switch the keys go to the new console', async () => {
    const qemu = app.tab(qemuVm);
    await qemu.select();
    // From the last toolbar control, Tab lands on the console screen.
    await qemu.button('Fullscreen').focus();
    await browser.page.keyboard.press('Tab');
    assert.equal(await qemu.canvas().evaluate((c) => c === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement), true, 'the console has the focus');
    const xvnc: ConsoleTab = app.tab(xvncVm);
    await xvnc.select();
    await waitUntil('the Xvnc console to take the focus', 5_000, async () => ((await xvnc.canvas().evaluate((c) => c === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement)) ? true : undefined));
    const offset = readText(typedFile).length;
    await browser.page.keyboard.type('switched');
    await browser.page.keyboard.press('Enter');
    assert.equal(await nextTyped(offset), 'switched\n');
    assert.equal(await browser.page.getByText('Release keyboard').count(), 0, 'no keyboard-release hint in a browser');
  });
});
