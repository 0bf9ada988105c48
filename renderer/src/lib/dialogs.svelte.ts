/**
 * Which modal dialog is open. One at a time: add/edit pool, certificate trust, certificate changed,
 * password prompt, or remove-pool confirmation. Trust and password prompts also open by themselves
 * when a pool enters `awaiting-trust` or `needs-password` (see `App.svelte`); `dismissed` remembers
 * prompts the user closed so they do not pop up again for the same pool state.
 */

/** The open dialog. */
export type DialogState =
  | { kind: 'none' }
  | { kind: 'pool-add' }
  | { kind: 'pool-edit'; poolId: string }
  | { kind: 'trust'; poolId: string }
  | { kind: 'cert-changed'; poolId: string }
  | { kind: 'password'; poolId: string }
  | { kind: 'remove'; poolId: string };

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
