/**
 * Which modal dialog is open. One at a time: add/edit pool, certificate trust, certificate changed,
 * password prompt, remove-pool confirmation, or migrate. Prompts never open by themselves: pools that
 * need the user are listed in the notices above the tree (one compact list, not a cascade of modals),
 * and the user opens a prompt from there; `dismissed` remembers prompts the user closed.
 */

/** The open dialog. */
export type DialogState =
  | { kind: 'none' }
  | { kind: 'pool-add' }
  | { kind: 'pool-edit'; poolId: string }
  | { kind: 'trust'; poolId: string }
  | { kind: 'cert-changed'; poolId: string }
  | { kind: 'password'; poolId: string }
  | { kind: 'remove'; poolId: string }
  | { kind: 'migrate'; poolId: string; vmUuid: string };

class Dialogs {
  current = $state<DialogState>({ kind: 'none' });
  /** Prompt keys (see `promptKey`) the user closed. */
  dismissed = $state(new Set<string>());

  /** Opens a dialog (replacing any open one). */
  open(dialog: DialogState): void {
    this.current = dialog;
  }

  /** Closes the open dialog; remembers a prompt key so it does not reopen by itself. */
  close(promptKey?: string): void {
    if (promptKey !== undefined) this.dismissed = new Set([...this.dismissed, promptKey]);
    this.current = { kind: 'none' };
  }

  /** Forgets a dismissed prompt (the user asked for it again). */
  undismiss(promptKey: string): void {
    if (!this.dismissed.has(promptKey)) return;
    this.dismissed = new Set([...this.dismissed].filter((k) => k !== promptKey));
  }
}

/** The page's dialogs. */
export const dialogs = new Dialogs();
