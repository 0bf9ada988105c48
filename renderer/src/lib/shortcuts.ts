/**
 * Keyboard shortcuts, as pure functions of a key event: power actions on the focused VM in the tree
 * (the XenCenter letters: Ctrl+B start/resume, Ctrl+E shut down, Ctrl+R reboot, Ctrl+Y suspend, with
 * Shift for the forced variants) and next/previous console tab (Ctrl+PageDown/PageUp always, and
 * Ctrl+Tab/Ctrl+Shift+Tab when the keyboard is not captured by a console).
 */
import type { VmAction } from '../../../shared/inventory';

/** The modifier and key fields read from a `KeyboardEvent`. */
export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  metaKey: boolean;
}

/** Shortcut text shown next to each power action in the context menu. */
export const VM_SHORTCUT_LABELS: Record<VmAction, string> = {
  start: 'Ctrl+B',
  resume: 'Ctrl+B',
  clean_shutdown: 'Ctrl+E',
  clean_reboot: 'Ctrl+R',
  suspend: 'Ctrl+Y',
  hard_shutdown: 'Ctrl+Shift+E',
  hard_reboot: 'Ctrl+Shift+R',
};

/** The power action a key press asks for, if the VM allows it. */
export function vmShortcut(e: KeyLike, allowed: readonly VmAction[]): VmAction | undefined {
  if (!e.ctrlKey || e.altKey || e.metaKey) return undefined;
  const key = e.key.toLowerCase();
  const candidates: VmAction[] = [];
  if (key === 'b' && !e.shiftKey) candidates.push('start', 'resume');
  else if (key === 'e') candidates.push(e.shiftKey ? 'hard_shutdown' : 'clean_shutdown');
  else if (key === 'r') candidates.push(e.shiftKey ? 'hard_reboot' : 'clean_reboot');
  else if (key === 'y' && !e.shiftKey) candidates.push('suspend');
  return candidates.find((a) => allowed.includes(a));
}

/** Tab switching: 'next' / 'previous', or undefined. `captured`: a console has the keyboard. */
export function tabShortcut(e: KeyLike, captured: boolean): 'next' | 'previous' | undefined {
  if (!e.ctrlKey || e.altKey || e.metaKey) return undefined;
  if (e.key === 'PageDown' && !e.shiftKey) return 'next';
  if (e.key === 'PageUp' && !e.shiftKey) return 'previous';
  if (e.key === 'Tab' && !captured) return e.shiftKey ? 'previous' : 'next';
  return undefined;
}
