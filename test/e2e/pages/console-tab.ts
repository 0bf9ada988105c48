/**
 * Page object for one console tab: the `tab` named by the VM name, its `tabpanel` (labelled by the
 * tab), the state the panel shows (`data-state`: connecting, connected, not-running, disconnected…)
 * and the noVNC canvas inside it.
 */
import type { Locator, Page } from 'playwright-core';
import { readCanvas, type RgbImage } from '../support';

/** One console tab. */
export class ConsoleTab {
  readonly tab: Locator;
  /** The tab's panel, found whether or not it is the selected one. */
  readonly panel: Locator;

  constructor(
    readonly page: Page,
    readonly vmName: string,
  ) {
    this.tab = page.getByRole('tab', { name: vmName, exact: true });
    this.panel = page.getByRole('tabpanel', { name: vmName, exact: true, includeHidden: true });
  }

  /** The element carrying the console state (the panel or the view inside it). */
  stateHolder(): Locator {
    return this.panel.locator('xpath=(self::*[@data-state] | .//*[@data-state])').first();
  }

  /** Brings the tab to the front and waits until its panel is the selected one. */
  async select(): Promise<void> {
    await this.tab.click();
    await this.page.getByRole('tab', { name: this.vmName, exact: true, selected: true }).waitFor({ state: 'visible' });
    await this.page.getByRole('tabpanel', { name: this.vmName, exact: true }).waitFor({ state: 'visible' });
  }

  /** Waits until the tab shows `state`. */
  async waitForState(state: string, timeoutMs = 30_000): Promise<void> {
    await this.panel.locator(`xpath=(self::*[@data-state="${state}"] | .//*[@data-state="${state}"])`).first().waitFor({ state: 'attached', timeout: timeoutMs });
  }

  /** The current state. */
  async state(): Promise<string | null> {
    return this.stateHolder().getAttribute('data-state');
  }

  /** The noVNC canvas of the visible panel. */
  canvas(): Locator {
    return this.page.getByRole('tabpanel', { name: this.vmName, exact: true }).locator('canvas').first();
  }

  /** The visible panel of this tab. */
  visiblePanel(): Locator {
    return this.page.getByRole('tabpanel', { name: this.vmName, exact: true });
  }

  /** Switches the view to 1:1 (the Scaling choice), so canvas pixels are framebuffer pixels. */
  async oneToOne(): Promise<void> {
    await this.scaling('one-to-one');
  }

  /** Chooses a Scaling mode: fit, fit-up, one-to-one, remote. */
  async scaling(mode: 'fit' | 'fit-up' | 'one-to-one' | 'remote'): Promise<void> {
    await this.visiblePanel().getByRole('combobox', { name: 'Scaling', exact: true }).selectOption(mode);
  }

  /** A toolbar button of the visible panel. */
  button(name: string): Locator {
    return this.visiblePanel().getByRole('button', { name, exact: true });
  }

  /** Runs an entry of a toolbar menu (Keys ▾, Screenshot ▾) and waits for the menu to close. */
  async menu(button: 'Keys ▾' | 'Screenshot ▾', entry: string): Promise<void> {
    await this.button(button).click();
    const menu = this.page.getByRole('menu', { name: button.replace(' ▾', ''), exact: true });
    await menu.getByRole('menuitem', { name: entry, exact: true }).click();
    await menu.waitFor({ state: 'detached' });
  }

  /**
   * Types text with the Type text dialog (opened from the toolbar) on `layout`; returns the listed
   * characters the layout cannot make. `beforeType` runs just before Type is pressed.
   */
  async typeText(text: string, layout: string, beforeType?: () => Promise<void> | void): Promise<string[]> {
    await this.button('Type text…').click();
    return this.typeInDialog(text, layout, beforeType);
  }

  /** Fills the open Type text dialog, presses Type, waits until it has closed (typing done). */
  async typeInDialog(text: string, layout: string, beforeType?: () => Promise<void> | void): Promise<string[]> {
    const dialog = this.typeTextDialog();
    const skipped = await dialog.fill(text, layout);
    await beforeType?.();
    await dialog.button('Type').click();
    await dialog.waitClosed();
    return skipped;
  }

  /** The Type text dialog of this tab (open it with the toolbar button or Ctrl+Shift+V). */
  typeTextDialog(): TypeTextDialog {
    return new TypeTextDialog(this.page, this.vmName);
  }

  /** Closes the tab with its close button and waits until it is gone. */
  async close(): Promise<void> {
    await this.tab.hover();
    await this.page.getByRole('button', { name: `Close ${this.vmName}`, exact: true }).click();
    await this.tab.waitFor({ state: 'detached' });
  }

  /** The framebuffer pixels of the canvas. */
  async pixels(): Promise<RgbImage> {
    return readCanvas(this.canvas());
  }
}

/** The Type text dialog: Text, Keyboard layout, the skipped characters, the confirmation, progress. */
export class TypeTextDialog {
  readonly root: Locator;

  constructor(
    readonly page: Page,
    vmName: string,
  ) {
    this.root = page.getByRole('dialog', { name: `Type text into ${vmName}` });
  }

  /** Waits for the dialog, fills the text and chooses the layout; returns the characters listed as skipped. */
  async fill(text: string, layout: string): Promise<string[]> {
    await this.root.waitFor({ state: 'visible' });
    await this.text().fill(text);
    await this.root.getByRole('combobox', { name: 'Keyboard layout' }).selectOption(layout);
    const listing = this.root.getByRole('status', { name: 'Characters that cannot be typed' });
    return (await listing.count()) === 0 ? [] : listing.locator('kbd').allTextContents();
  }

  /** The text box. */
  text(): Locator {
    return this.root.getByRole('textbox', { name: 'Text' });
  }

  /** A button of the dialog (Type, Type all, Go back, Cancel typing, Close). */
  button(name: 'Type' | 'Type all' | 'Go back' | 'Cancel typing' | 'Close'): Locator {
    return this.root.getByRole('button', { name, exact: true });
  }

  /** The confirmation asked above 1,000 characters. */
  confirmation(): Locator {
    return this.root.getByRole('alert');
  }

  /** The note on how the server takes keys (key positions or characters). */
  async serverNote(): Promise<string> {
    return (await this.root.locator('p.muted').textContent())?.trim() ?? '';
  }

  /** The progress shown while typing ("Typing… done / total"), or undefined when none is shown. */
  async progress(): Promise<{ done: number; total: number } | undefined> {
    // allTextContents does not wait: the dialog may close (typing done) at any moment.
    const shown = await this.root.getByRole('status', { name: 'Typing progress' }).allTextContents();
    const m = /Typing… (\d+) \/ (\d+)/.exec(shown[0] ?? '');
    return m === null ? undefined : { done: Number(m[1]), total: Number(m[2]) };
  }

  /** Waits until the dialog has closed (typing done or cancelled, or closed). */
  async waitClosed(): Promise<void> {
    await this.root.waitFor({ state: 'detached', timeout: 60_000 });
  }
}
