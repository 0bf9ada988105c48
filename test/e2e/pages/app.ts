/**
 * Page object for the Porthole window as a whole: the welcome screen, the Add pool entry point, and
 * the parts (tree, dialogs, console tabs) as their own page objects. Tests talk to these, never to
 * raw selectors.
 */
import type { Locator, Page } from 'playwright-core';
import { ConsoleTab } from './console-tab';
import { OverviewPage } from './overview';
import { PoolDialog, TrustDialog, type PoolCredentials } from './pool-dialogs';
import { TreePanel } from './tree';

/** The app window. */
export class AppPage {
  readonly tree: TreePanel;
  readonly poolDialog: PoolDialog;
  readonly trustDialog: TrustDialog;
  readonly overview: OverviewPage;

  constructor(readonly page: Page) {
    this.tree = new TreePanel(page);
    this.poolDialog = new PoolDialog(page);
    this.trustDialog = new TrustDialog(page);
    this.overview = new OverviewPage(page);
  }

  /** Opens the harness URL and waits for the app to render its first screen. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.locator('#app > *').first().waitFor({ state: 'attached' });
  }

  /** The Add pool button (toolbar or welcome screen: the first visible one). */
  addPoolButton(): Locator {
    return this.page.getByRole('button', { name: 'Add pool', exact: true }).first();
  }

  /** The welcome screen's demo button. */
  demoButton(): Locator {
    return this.page.getByRole('button', { name: 'Try the demo pool', exact: true });
  }

  /** Adds a pool through the dialog and returns the trust dialog's text (shown on first contact). */
  async addPool(credentials: PoolCredentials): Promise<string> {
    await this.addPoolButton().click();
    await this.poolDialog.connect(credentials);
    return this.trustDialog.text();
  }

  /** Adds a pool under the name `name` through the dialog and trusts the certificate it shows. */
  async addNamedPool(name: string, credentials: PoolCredentials): Promise<void> {
    await this.addPoolButton().click();
    await this.poolDialog.root.getByLabel('Name (optional)').fill(name);
    await this.poolDialog.connect(credentials);
    await this.trustDialog.text();
    await this.trustDialog.trust();
  }

  /** The console tab of a VM. */
  tab(vmName: string): ConsoleTab {
    return new ConsoleTab(this.page, vmName);
  }

  /** Opens a host's text console from its context menu in the tree; returns its tab once connected. */
  async openHostTextConsole(host: string): Promise<ConsoleTab> {
    const item = await this.tree.waitForItem(host);
    await item.click({ button: 'right' });
    await this.page.getByRole('menuitem', { name: 'Open host text console', exact: true }).click();
    const last = this.tabs().last();
    const tab = this.tab((await last.getAttribute('aria-label')) ?? (await last.innerText()).trim());
    await tab.waitForState('connected');
    return tab;
  }

  /** Every console tab on screen. */
  tabs(): Locator {
    return this.page.getByRole('tab');
  }

  /** Saves a PNG of the whole window. */
  async screenshot(path: string): Promise<void> {
    await this.page.screenshot({ path, fullPage: false });
  }
}
