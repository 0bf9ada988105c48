/**
 * Page object for the pool tree (WAI-ARIA tree: role `tree`, items `treeitem` named by the object's
 * name), its filter box and its context menu of power actions.
 */
import type { Locator, Page } from 'playwright-core';

/** Menu labels of the power actions (the context menu's `menuitem` names). */
export const POWER_LABELS = {
  start: /^Start$/,
  clean_shutdown: /^Shut down$/,
  hard_shutdown: /^Force shut down$/,
  clean_reboot: /^Reboot$/,
} as const;

/** The tree panel. */
export class TreePanel {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('tree');
  }

  /** The tree item named exactly `name`. */
  item(name: string): Locator {
    return this.root.getByRole('treeitem', { name, exact: true });
  }

  /** Waits until an item is on screen. */
  async waitForItem(name: string): Promise<Locator> {
    const item = this.item(name);
    await item.waitFor({ state: 'visible' });
    return item;
  }

  /** Opens a VM's console as a user does: select the item, press Enter. */
  async open(name: string): Promise<void> {
    const item = await this.waitForItem(name);
    await item.click();
    await item.press('Enter');
  }

  /**
   * Runs the first of `actions` that the item's context menu offers (the menu lists only what the VM
   * allows: an HVM guest without PV drivers has no clean shutdown, for example). Returns the one used.
   */
  async power(name: string, ...actions: (keyof typeof POWER_LABELS)[]): Promise<keyof typeof POWER_LABELS> {
    const item = await this.waitForItem(name);
    await item.click({ button: 'right' });
    const menu = this.page.getByRole('menu', { name: `Actions for ${name}`, exact: true });
    await menu.waitFor({ state: 'visible' });
    for (const action of actions) {
      const entry = menu.getByRole('menuitem', { name: POWER_LABELS[action] });
      if ((await entry.count()) === 0) continue;
      await entry.click();
      await menu.waitFor({ state: 'detached' });
      return action;
    }
    await this.page.keyboard.press('Escape');
    throw new Error(`the menu of ${name} offers none of ${actions.join(', ')}`);
  }

  /** The filter box. */
  filterBox(): Locator {
    return this.page.getByRole('searchbox', { name: 'Filter' });
  }

  /** VM items whose power state (the first part of their description) is `state`. */
  vmsIn(state: 'Running' | 'Halted' | 'Suspended' | 'Paused'): Locator {
    return this.root.locator(`[role="treeitem"][aria-description^="${state}"]`);
  }

  /** The power state an item shows (first part of its accessible description). */
  async powerState(name: string): Promise<string | undefined> {
    return (await this.item(name).getAttribute('aria-description'))?.split(',')[0];
  }
}
