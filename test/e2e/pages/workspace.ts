/**
 * Page objects for the workspace around the tree: the selection toolbar (buttons named exactly as the
 * issue fixes them), the properties pane, the status bar with its operations list, the notices above
 * the tree, the changed-certificate and migrate dialogs, the tab strip's menus and the theme toggle.
 */
import type { Locator, Page } from 'playwright-core';

/** Toolbar button names. */
export type ToolbarCommand = 'Start' | 'Shut down' | 'Reboot' | 'Suspend' | 'Resume' | 'Force shut down' | 'Force reboot' | 'Migrate…' | 'Open console';

/** Every toolbar command, in its order. */
export const TOOLBAR: readonly ToolbarCommand[] = ['Start', 'Shut down', 'Reboot', 'Suspend', 'Resume', 'Force shut down', 'Force reboot', 'Migrate…', 'Open console'];

/** The selection toolbar. */
export class Toolbar {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('toolbar', { name: 'Selection', exact: true });
  }

  /** A toolbar button. */
  button(name: ToolbarCommand): Locator {
    return this.root.getByRole('button', { name, exact: true });
  }

  /** True when the button is enabled (not `aria-disabled`). */
  async enabled(name: ToolbarCommand): Promise<boolean> {
    return (await this.button(name).getAttribute('aria-disabled')) !== 'true';
  }

  /** The tooltip (the reason, when disabled). */
  async tooltip(name: ToolbarCommand): Promise<string> {
    return (await this.button(name).getAttribute('title')) ?? '';
  }

  /** Waits until the button is enabled (true) or disabled (false). */
  async waitEnabled(name: ToolbarCommand, enabled: boolean): Promise<void> {
    await this.root.locator(`button[data-command][aria-disabled="${String(!enabled)}"]`, { hasText: new RegExp(`^${name.replace('…', '\\u2026')}$`) }).waitFor();
  }

  /** Clicks an enabled button. */
  async run(name: ToolbarCommand): Promise<void> {
    await this.waitEnabled(name, true);
    await this.button(name).click();
  }
}

/** The properties pane. */
export class PropertiesPane {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('region', { name: 'Properties', exact: true });
  }

  /** The value shown for a property label, or undefined when it is not shown. */
  async value(label: string): Promise<string | undefined> {
    const dd = this.root.locator(`dd[data-property="${label}"]`);
    return (await dd.count()) === 0 ? undefined : ((await dd.textContent()) ?? undefined);
  }

  /** Waits until a property shows `text`. */
  async waitFor(label: string, text: string | RegExp): Promise<void> {
    await this.root.locator(`dd[data-property="${label}"]`, { hasText: text }).waitFor();
  }
}

/** The status bar and its operations list. */
export class StatusBar {
  readonly latest: Locator;
  readonly toggle: Locator;
  readonly list: Locator;

  constructor(readonly page: Page) {
    this.latest = page.getByRole('status', { name: 'Latest operation', exact: true });
    this.toggle = page.getByRole('button', { name: /^Operations/ });
    this.list = page.getByRole('region', { name: 'Operations', exact: true });
  }

  /** Waits until the latest operation reads `text`. */
  async waitLatest(text: string | RegExp): Promise<void> {
    await this.page.locator('.status .latest', { hasText: text }).waitFor();
  }

  /** Opens the operations list (if closed). */
  async open(): Promise<void> {
    if ((await this.toggle.getAttribute('aria-expanded')) !== 'true') await this.toggle.click();
    await this.list.waitFor();
  }

  /** The entry of an operation by its label ("Starting web-01"). */
  entry(label: string): Locator {
    return this.list.getByRole('listitem', { name: label, exact: true }).first();
  }
}

/** The notices above the tree (pools that need the user). */
export class Notices {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('list', { name: 'Pool status', exact: true });
  }

  /** The notice of a pool (by the user's name). */
  item(poolName: string): Locator {
    return this.root.getByRole('listitem').filter({ hasText: poolName });
  }
}

/** The changed-certificate dialog. */
export class CertChangedDialog {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('dialog', { name: "The host's certificate has changed", exact: true });
  }

  /** The fingerprint shown as old or new. */
  async fingerprint(which: 'old' | 'new'): Promise<string> {
    return ((await this.root.locator(`[data-fingerprint="${which}"]`).textContent()) ?? '').trim();
  }

  /** A fact (subject, issuer, validFrom, validTo) shown for the old or the new certificate. */
  async fact(which: 'old' | 'new', field: 'subject' | 'issuer' | 'validFrom' | 'validTo'): Promise<string> {
    return ((await this.root.locator(`[data-cert="${which}"][data-field="${field}"]`).textContent()) ?? '').trim();
  }

  /** The deliberate re-pin button. */
  trustButton(): Locator {
    return this.root.getByRole('button', { name: 'Trust new certificate', exact: true });
  }
}

/** Facts about the page itself (string expressions: the Node-side tsconfig has no DOM types). */
export class PageFacts {
  constructor(readonly page: Page) {}

  /** The accessible name (`aria-label`) of the focused element, or '' . */
  async focusedLabel(): Promise<string> {
    return String(await this.page.evaluate("document.activeElement?.getAttribute('aria-label') ?? ''"));
  }

  /** True when the focused element is a selected tree row. */
  async focusedRowSelected(): Promise<boolean> {
    return (await this.page.evaluate("document.activeElement?.getAttribute('role') === 'treeitem' && document.activeElement.getAttribute('aria-selected') === 'true'")) === true;
  }

  /** The focused element's text. */
  async focusedText(): Promise<string> {
    return String(await this.page.evaluate("document.activeElement?.textContent ?? ''"));
  }

  /** True when the console tabs are wider than their strip (it scrolls). */
  async tabStripOverflows(): Promise<boolean> {
    return (await this.page.evaluate("(() => { const s = document.querySelector('[role=tablist]'); return s !== null && s.scrollWidth > s.clientWidth; })()")) === true;
  }

  /** True when the element is wholly inside the tab strip's visible box. */
  async inTabStripView(element: Locator): Promise<boolean> {
    const strip = await this.page.getByRole('tablist').boundingBox();
    const box = await element.boundingBox();
    return strip !== null && box !== null && box.x >= strip.x - 1 && box.x + box.width <= strip.x + strip.width + 1;
  }

  /** The theme the page shows (`data-theme` on <html>). */
  async theme(): Promise<string> {
    return String(await this.page.evaluate("document.documentElement.dataset.theme ?? ''"));
  }
}
