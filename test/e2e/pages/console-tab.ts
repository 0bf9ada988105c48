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
    const dialog = this.page.getByRole('dialog', { name: `Type text into ${this.vmName}` });
    await dialog.waitFor({ state: 'visible' });
    await dialog.getByRole('textbox', { name: 'Text' }).fill(text);
    await dialog.getByRole('combobox', { name: 'Keyboard layout' }).selectOption(layout);
    const listing = dialog.getByRole('status', { name: 'Characters that cannot be typed' });
    const skipped = (await listing.count()) === 0 ? [] : await listing.locator('kbd').allTextContents();
    await beforeType?.();
    await dialog.getByRole('button', { name: 'Type', exact: true }).click();
    await dialog.waitFor({ state: 'detached', timeout: 60_000 });
    return skipped;
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
