/**
 * End to end, in real headless Chromium against QEMU and Xvnc: the console actions console-tools
 * does not cover, each checked at the server. Every Keys menu entry (the list itself is checked, so
 * a new entry without an expectation fails), Ctrl+Alt+Del without the question (button and menu),
 * sticky AltGr and Win, Fullscreen on and off with the button, the Type text layout remembered per
 * VM, the Clipboard dialog's "Copy to this computer" (Xvnc), and the text console's Ctrl+Shift+V /
 * Ctrl+Shift+C.
 *
 * QEMU's input trace (`-trace input_event_key*`) gives each key down and up as a qcode; Xvnc's xterm
 * writes what it receives to a file; the host's text console echoes what it gets.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Simulator } from '../../electron/sim/types';
import { needTools } from '../support/tools';
import type { AppPage } from './pages/app';
import { startConsoleRig, type ConsoleRig } from './rig';
import { heldKeys, readText, waitForKeyEvents, waitForTyped, type TracedKey } from './server-input';
import { readClipboardText, waitUntil, writeClipboardText, type BrowserSession } from './support';

const skip = needTools('chromium', 'qemu-system-x86_64', 'Xvnc', 'xterm');

/** Function keys F1–F12 as QEMU's qcodes. */
const F = Array.from({ length: 12 }, (_, i) => `f${i + 1}`);

/**
 * Every Keys menu entry and the qcodes it must press at QEMU, in order (QEMU's names: the Menu key is
 * `compose`, PrintScreen — also the SysRq key, which is Alt+PrintScreen — is `print`).
 */
const KEYS_MENU: Record<string, string[]> = {
  'Ctrl+Alt+Del': ['ctrl', 'alt', 'delete'],
  'Ctrl+Alt+Backspace': ['ctrl', 'alt', 'backspace'],
  ...Object.fromEntries(F.map((f, i) => [`Ctrl+Alt+F${i + 1}`, ['ctrl', 'alt', f]])),
  'Alt+Tab': ['alt', 'tab'],
  'Alt+F4': ['alt', 'f4'],
  Win: ['meta_l'],
  Menu: ['compose'],
  PrintScreen: ['print'],
  'Alt+SysRq+H (help)': ['alt', 'print', 'h'],
  'Alt+SysRq+S (sync)': ['alt', 'print', 's'],
  'Alt+SysRq+U (remount read-only)': ['alt', 'print', 'u'],
  'Alt+SysRq+E (terminate all)': ['alt', 'print', 'e'],
  'Alt+SysRq+I (kill all)': ['alt', 'print', 'i'],
  'Alt+SysRq+B (reboot)': ['alt', 'print', 'b'],
};

/** A combination as key events: each key down in order, then up in reverse. */
function pressed(qcodes: readonly string[]): TracedKey[] {
  return [...qcodes.map((qcode) => ({ qcode, down: true })), ...[...qcodes].reverse().map((qcode) => ({ qcode, down: false }))];
}

describe('console actions, each checked at QEMU, Xvnc or the text console', { skip }, () => {
  let rig: ConsoleRig;
  let browser: BrowserSession;
  let app: AppPage;
  let sim: Simulator;
  let qemuVm: string;
  let xvncVm: string;
  let qemuTrace: string;

  before(async () => {
    rig = await startConsoleRig();
    ({ browser, app, sim } = rig);
    qemuVm = rig.vmWith('qemu');
    xvncVm = rig.vmWith('xvnc');
    await rig.connect(qemuVm);
    qemuTrace = sim.vnc(qemuVm)?.inputTrace ?? '';
    assert.ok(qemuTrace !== '', 'QEMU traces its input');
  });

  after(async () => {
    await rig?.stop();
  });

  test('Keys menu: every entry presses its keys at QEMU in order and lets them go in reverse', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    await tab.button('Keys ▾').click();
    const menu = browser.page.getByRole('menu', { name: 'Keys', exact: true });
    const entries = await menu.getByRole('menuitem').allTextContents();
    await browser.page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
    assert.deepEqual(
      entries.map((e) => e.trim()).filter((e) => !e.startsWith('Ask before')),
      Object.keys(KEYS_MENU),
      'the menu offers exactly the entries this test expects',
    );
    for (const [entry, qcodes] of Object.entries(KEYS_MENU)) {
      const offset = readText(qemuTrace).length;
      await tab.menu('Keys ▾', entry);
      const keys = await waitForKeyEvents(qemuTrace, offset, qcodes.length * 2);
      assert.deepEqual(keys, pressed(qcodes), entry);
    }
  });

  test('Ctrl+Alt+Del without the question: the toolbar button sends it at once', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    const offset = readText(qemuTrace).length;
    await tab.button('Ctrl+Alt+Del').click();
    assert.equal(await browser.page.getByRole('dialog', { name: `Send Ctrl+Alt+Del to ${qemuVm}?` }).count(), 0, 'no question asked');
    assert.deepEqual(await waitForKeyEvents(qemuTrace, offset, 6), pressed(['ctrl', 'alt', 'delete']));
  });

  test('sticky AltGr and Win wrap the next key typed on the console, then let go', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    const group = tab.visiblePanel().getByRole('group', { name: 'Sticky modifiers' });
    for (const [modifier, code, expected] of [
      ['AltGr', 'KeyE', ['alt_r', 'e']],
      ['Win', 'KeyR', ['meta_l', 'r']],
    ] as const) {
      const offset = readText(qemuTrace).length;
      await group.getByRole('button', { name: modifier, exact: true }).click();
      await group.getByRole('button', { name: modifier, exact: true, pressed: true }).waitFor();
      await tab.canvas().focus();
      await browser.page.keyboard.press(code);
      const keys = await waitForKeyEvents(qemuTrace, offset, 4);
      assert.deepEqual(keys.filter((k) => k.down).map((k) => k.qcode), expected, modifier);
      assert.deepEqual(heldKeys(keys), [], `${modifier} let go`);
      await group.getByRole('button', { pressed: true }).waitFor({ state: 'detached' });
    }
  });

  test('Fullscreen: the button turns it on, keys reach the guest in it, the button turns it off', async () => {
    const tab = app.tab(qemuVm);
    await tab.select();
    const isFullscreen = async (): Promise<boolean> => (await browser.page.evaluate('document.fullscreenElement !== null')) === true;
    await tab.button('Fullscreen').click();
    await tab.visiblePanel().getByRole('button', { name: 'Fullscreen', pressed: true }).waitFor();
    assert.equal(await isFullscreen(), true);
    const offset = readText(qemuTrace).length;
    await tab.canvas().focus();
    await browser.page.keyboard.press('KeyK');
    assert.deepEqual(await waitForKeyEvents(qemuTrace, offset, 2), pressed(['k']));
    await tab.button('Fullscreen').click();
    await tab.visiblePanel().getByRole('button', { name: 'Fullscreen', pressed: false }).waitFor();
    assert.equal(await isFullscreen(), false);
  });

  test('Type text remembers the keyboard layout per VM', async () => {
    const qemu = app.tab(qemuVm);
    await qemu.select();
    // de: the key that types "y" is where US has "z".
    const offset = readText(qemuTrace).length;
    await qemu.typeText('y', 'de');
    assert.deepEqual(await waitForKeyEvents(qemuTrace, offset, 2), pressed(['z']));
    const layoutShown = async (): Promise<string> => {
      const select = browser.page.getByRole('dialog', { name: /^Type text into / }).getByRole('combobox', { name: 'Keyboard layout' });
      const value = await select.inputValue();
      await browser.page.getByRole('dialog', { name: /^Type text into / }).getByRole('button', { name: 'Close', exact: true }).click();
      return value;
    };
    await qemu.button('Type text…').click();
    assert.equal(await layoutShown(), 'de', 'this VM keeps de');
    await app.tree.open(xvncVm);
    const xvnc = app.tab(xvncVm);
    await xvnc.waitForState('connected');
    await xvnc.select();
    await xvnc.button('Type text…').click();
    assert.equal(await layoutShown(), 'us', 'another VM starts on us');
    // Typed with the remembered layout, without choosing it again.
    await qemu.select();
    await qemu.button('Type text…').click();
    const dialog = qemu.typeTextDialog();
    await dialog.root.waitFor();
    await dialog.text().fill('y');
    const again = readText(qemuTrace).length;
    await dialog.button('Type').click();
    await dialog.waitClosed();
    assert.deepEqual(await waitForKeyEvents(qemuTrace, again, 2), pressed(['z']));
  });

  test("Xvnc: \"Copy to this computer\" puts the guest's clipboard on this computer's", async () => {
    if ((await app.tab(xvncVm).tab.count()) === 0) await app.tree.open(xvncVm);
    const tab = app.tab(xvncVm);
    await tab.waitForState('connected');
    await tab.select();
    await tab.oneToOne();
    // A line in the xterm (checked at the server), selected: Xvnc sends the selection.
    const typedFile = sim.vnc(xvncVm)?.typedFile ?? '';
    const offset = readText(typedFile).length;
    await tab.canvas().focus();
    await browser.page.keyboard.type('porthole-copy-me');
    await browser.page.keyboard.press('Enter');
    assert.equal(await waitForTyped(typedFile, offset), 'porthole-copy-me\n');
    const box = await tab.canvas().boundingBox();
    assert.ok(box !== null);
    await browser.page.mouse.click(box.x + 20, box.y + 6, { clickCount: 3 });
    await tab.button('Clipboard…').click();
    const dialog = browser.page.getByRole('dialog', { name: `Clipboard of ${xvncVm}` });
    const guest = dialog.getByRole('textbox', { name: 'Guest clipboard' });
    await waitUntil('the guest clipboard in the dialog', 20_000, async () => ((await guest.inputValue()).includes('porthole-copy-me') ? true : undefined));
    // Something else on this computer's clipboard first, so the button is what puts it back.
    await writeClipboardText(browser.page, 'something else');
    await dialog.getByRole('button', { name: 'Copy to this computer', exact: true }).click();
    await dialog.getByRole('status').filter({ hasText: 'Copied to this computer’s clipboard.' }).waitFor();
    assert.equal(await readClipboardText(browser.page), await guest.inputValue());
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  });

  test("the host's text console: Ctrl+Shift+V pastes (the console echoes it), Ctrl+Shift+C copies the selection", async () => {
    const tab = await app.openHostTextConsole(sim.hosts[0]!.name);
    const panel = tab.visiblePanel();
    const terminal = panel.locator('.xterm');
    await terminal.click();
    // Log in: a name, then a password (not echoed).
    await browser.page.keyboard.type('root');
    await browser.page.keyboard.press('Enter');
    await browser.page.keyboard.type('secret');
    await browser.page.keyboard.press('Enter');
    // The shell joins echo's words with one space: "shortcut paste" is in its output, not in the line sent.
    await writeClipboardText(browser.page, 'echo   shortcut   paste\r');
    await browser.page.keyboard.press('Control+Shift+V');
    const prompt = /shortcut paste\s*\S+@[^#]*:~#/;
    let shownText = '';
    await waitUntil("the command's output and the next prompt on the terminal", 20_000, async () => {
      shownText = (await panel.locator('.xterm-rows').textContent()) ?? '';
      return prompt.test(shownText) ? true : undefined;
    }).catch((e: unknown) => {
      throw new Error(`${String(e)}; the terminal shows ${JSON.stringify(shownText)}`);
    });
    // Found in the scrollback, the output is selected; Ctrl+Shift+C copies it.
    const findBox = panel.getByRole('searchbox', { name: 'Find in scrollback' });
    await findBox.fill('shortcut paste');
    await findBox.press('Enter');
    assert.equal(await panel.getByRole('status').count(), 0, 'found');
    await writeClipboardText(browser.page, 'something else');
    await panel.locator('.xterm-helper-textarea').focus();
    await browser.page.keyboard.press('Control+Shift+C');
    await waitUntil('the selection on the clipboard', 5_000, async () => ((await readClipboardText(browser.page)) === 'shortcut paste' ? true : undefined));
    await tab.close();
  });
});
