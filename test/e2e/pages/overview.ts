/**
 * Page object for the console wall ("Overview"): the header's Overview button, the wall's toolbar
 * (settings, Close overview) and its grid of tiles (`gridcell`s named by the VM, state in
 * `data-state`, power state and host in the accessible description, the thumbnail in a canvas).
 */
import type { Locator, Page } from 'playwright-core';
import { readCanvas, type RgbImage } from '../support';

/** The console wall. */
export class OverviewPage {
  readonly grid: Locator;

  constructor(readonly page: Page) {
    this.grid = page.getByRole('grid', { name: /^Overview of / });
  }

  /** Opens the wall for the tree's filter result with the header's Overview button. */
  async open(): Promise<void> {
    await this.page.getByRole('button', { name: 'Overview', exact: true, pressed: false }).click();
    await this.grid.waitFor({ state: 'visible' });
  }

  /** Closes it with its own button and waits until it is gone. */
  async close(): Promise<void> {
    await this.page.getByRole('button', { name: 'Close overview', exact: true }).click();
    await this.grid.waitFor({ state: 'detached' });
  }

  /** The wall's title (its grid's accessible name). */
  async title(): Promise<string | null> {
    return this.grid.getAttribute('aria-label');
  }

  /** Every tile. */
  tiles(): Locator {
    return this.grid.getByRole('gridcell');
  }

  /** The tile of a VM. */
  tile(vmName: string): Locator {
    return this.grid.getByRole('gridcell', { name: vmName, exact: true });
  }

  /** Waits until a VM's tile shows `state` (live, in-use, halted…). */
  async waitForState(vmName: string, state: string, timeoutMs = 30_000): Promise<void> {
    await this.grid.locator(`[role="gridcell"][aria-label="${vmName}"][data-state="${state}"]`).waitFor({ state: 'attached', timeout: timeoutMs });
  }

  /** The state a tile shows. */
  async state(vmName: string): Promise<string | null> {
    return this.tile(vmName).getAttribute('data-state');
  }

  /** What a tile says about its VM (power state or in-use, and host). */
  async description(vmName: string): Promise<string | null> {
    return this.tile(vmName).getAttribute('aria-description');
  }

  /** The thumbnail's pixels. */
  async pixels(vmName: string): Promise<RgbImage> {
    return readCanvas(this.tile(vmName).locator('canvas'));
  }

  /** The name of the tile that has the keyboard focus, if any. */
  async focused(): Promise<string | null> {
    const name: unknown = await this.page.evaluate(
      "document.activeElement?.getAttribute('role') === 'gridcell' ? document.activeElement.getAttribute('aria-label') : null",
    );
    return typeof name === 'string' ? name : null;
  }

  /** Sets one of the wall's settings as a user does (type, then leave the field). */
  async setSetting(label: 'Connections per host' | 'Refresh every (s)', value: number): Promise<void> {
    const input = this.page.getByLabel(label, { exact: true });
    await input.fill(String(value));
    await input.press('Tab');
  }
}
