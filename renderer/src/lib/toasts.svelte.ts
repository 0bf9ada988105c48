/**
 * Short messages in the corner: errors from `invoke` (role `alert`) and confirmations (role `status`).
 * Each disappears after a while or when closed; at most a few are kept so a burst cannot flood the page.
 */
import { errorMessage } from './api';

/** One toast. */
export interface Toast {
  id: number;
  kind: 'error' | 'info';
  message: string;
}

/** How long an error stays, in ms. */
export const ERROR_TOAST_MS = 8_000;
/** How long an info message stays, in ms. */
export const INFO_TOAST_MS = 4_000;
const MAX_TOASTS = 4;

class Toasts {
  /** Visible toasts, oldest first. */
  items = $state<Toast[]>([]);
  private nextId = 1;

  /** Shows a message. */
  show(kind: Toast['kind'], message: string): void {
    const id = this.nextId++;
    this.items = [...this.items, { id, kind, message }].slice(-MAX_TOASTS);
    setTimeout(() => this.dismiss(id), kind === 'error' ? ERROR_TOAST_MS : INFO_TOAST_MS);
  }

  /** Shows a thrown error's message, prefixed with what was being done. */
  error(what: string, error: unknown): void {
    this.show('error', `${what}: ${errorMessage(error)}`);
  }

  /** Removes one toast. */
  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

/** The page's toasts. */
export const toasts = new Toasts();
