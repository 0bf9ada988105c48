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

  /** Switches the view to 1:1 (the "Scale to fit" toggle off), so canvas pixels are framebuffer pixels. */
  async oneToOne(): Promise<void> {
    const toggle = this.page.getByRole('tabpanel', { name: this.vmName, exact: true }).getByRole('button', { name: 'Scale to fit', exact: true });
    if ((await toggle.getAttribute('aria-pressed')) === 'true') await toggle.click();
    await this.page.getByRole('tabpanel', { name: this.vmName, exact: true }).getByRole('button', { name: 'Scale to fit', exact: true, pressed: false }).waitFor();
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
