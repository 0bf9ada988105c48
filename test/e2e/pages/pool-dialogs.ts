/**
 * Page objects for the pool dialogs: add/edit pool (Address, Username, Password, Connect) and the
 * certificate trust dialog (fingerprint, Trust). Selectors are the accessible names the issue fixes.
 */
import type { Locator, Page } from 'playwright-core';

/** What the add-pool dialog needs. */
export interface PoolCredentials {
  address: string;
  username: string;
  password: string;
}

/** The add/edit pool dialog. */
export class PoolDialog {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('dialog').filter({ has: page.getByLabel('Address', { exact: true }) });
  }

  /** Types the fields as a user would and presses Connect. */
  async connect(credentials: PoolCredentials): Promise<void> {
    await this.root.waitFor({ state: 'visible' });
    await this.root.getByLabel('Address', { exact: true }).fill(credentials.address);
    await this.root.getByLabel('Username', { exact: true }).fill(credentials.username);
    await this.root.getByLabel('Password', { exact: true }).fill(credentials.password);
    await this.root.getByRole('button', { name: 'Connect', exact: true }).click();
  }
}

/** The certificate trust dialog. */
export class TrustDialog {
  readonly root: Locator;
  readonly trustButton: Locator;

  constructor(readonly page: Page) {
    this.trustButton = page.getByRole('button', { name: 'Trust', exact: true });
    this.root = page.getByRole('dialog').filter({ has: this.trustButton });
  }

  /** Waits for the dialog and returns its text (it shows the fingerprint). */
  async text(): Promise<string> {
    await this.root.waitFor({ state: 'visible' });
    return (await this.root.textContent()) ?? '';
  }

  /** Accepts the certificate. */
  async trust(): Promise<void> {
    await this.trustButton.click();
    await this.root.waitFor({ state: 'hidden' });
  }
}
