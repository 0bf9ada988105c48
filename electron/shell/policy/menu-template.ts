/**
 * The application menu as data: labels, accelerators, roles and action ids, per platform.
 *
 * The Electron adapter (menu.ts) turns each `action` item into a MenuItem whose click either runs a
 * shell action (fullscreen, show logs) or sends `menu:action` to the focused Porthole window. Roles
 * (copy/paste, quit, hide, window menu) are Electron's own; the Edit menu is required on macOS for
 * clipboard shortcuts in text fields. While a console holds the keyboard these accelerators are
 * suppressed (see keyboard.ts), so they reach the guest.
 */
import { MENU_ACTIONS } from '../../../shared/contract';
import type { MenuAction } from '../../../shared/contract';
import { releaseComboLabel } from './keyboard';

/** Actions the shell performs itself instead of sending them to the page. */
export const SHELL_ACTIONS = ['view:fullscreen', 'app:logs'] as const;
/** One shell-performed action. */
export type ShellAction = (typeof SHELL_ACTIONS)[number];
/** Any action a menu item can carry. */
export type MenuItemAction = MenuAction | ShellAction;

/** Electron roles used here (a subset of Electron's MenuItem roles). */
export type MenuRole =
  | 'undo' | 'redo' | 'cut' | 'copy' | 'paste' | 'selectAll'
  | 'quit' | 'hide' | 'hideOthers' | 'unhide' | 'services'
  | 'toggleDevTools';

/** One menu entry. */
export type MenuEntry =
  | { kind: 'action'; label: string; action: MenuItemAction; accelerator?: string }
  | { kind: 'role'; role: MenuRole }
  | { kind: 'separator' };

/** One top-level menu. With `role: 'windowMenu'` Electron supplies the items (and macOS its window list). */
export interface MenuSection {
  label: string;
  role?: 'windowMenu';
  items: MenuEntry[];
}

/** True when the shell performs `action` itself. */
export function isShellAction(action: MenuItemAction): action is ShellAction {
  return (SHELL_ACTIONS as readonly string[]).includes(action);
}

/** True when `value` is a page menu action. */
export function isMenuAction(value: unknown): value is MenuAction {
  return typeof value === 'string' && (MENU_ACTIONS as readonly string[]).includes(value);
}

const act = (label: string, action: MenuItemAction, accelerator?: string): MenuEntry =>
  accelerator === undefined ? { kind: 'action', label, action } : { kind: 'action', label, action, accelerator };
const role = (r: MenuRole): MenuEntry => ({ kind: 'role', role: r });
const sep: MenuEntry = { kind: 'separator' };

/** Builds the menu for `platform`; `devTools` adds Toggle Developer Tools (unpackaged builds only). */
export function buildMenuTemplate(platform: NodeJS.Platform, devTools: boolean): MenuSection[] {
  const mac = platform === 'darwin';
  const about = act('About Porthole', 'app:about');
  const sections: MenuSection[] = [];
  if (mac) {
    sections.push({ label: 'Porthole', items: [about, sep, role('services'), sep, role('hide'), role('hideOthers'), role('unhide'), sep, role('quit')] });
  }
  sections.push({
    label: 'File',
    items: [
      act('Add Pool…', 'pool:add', 'CmdOrCtrl+N'),
      sep,
      act('Pop Out Tab', 'tab:popout', 'CmdOrCtrl+Shift+O'),
      act('Close Tab', 'tab:close', 'CmdOrCtrl+W'),
      ...(mac ? [] : [sep, role('quit')]),
    ],
  });
  sections.push({ label: 'Edit', items: [role('undo'), role('redo'), sep, role('cut'), role('copy'), role('paste'), role('selectAll')] });
  sections.push({
    label: 'View',
    items: [
      act('Next Tab', 'tab:next', 'Ctrl+Tab'),
      act('Previous Tab', 'tab:previous', 'Ctrl+Shift+Tab'),
      sep,
      act('Toggle Full Screen', 'view:fullscreen', mac ? 'Ctrl+Command+F' : 'F11'),
      ...(devTools ? [sep, role('toggleDevTools')] : []),
    ],
  });
  sections.push({
    label: 'Console',
    items: [
      act('Send Ctrl+Alt+Del', 'console:ctrl-alt-del', 'CmdOrCtrl+Alt+End'),
      // No accelerator: a modifier-only chord cannot be one; the shell detects it in before-input-event.
      act(`Release Keyboard (${releaseComboLabel(platform)})`, 'console:release-keyboard'),
    ],
  });
  if (mac) sections.push({ label: 'Window', role: 'windowMenu', items: [] });
  sections.push({ label: 'Help', items: [act('Show Logs', 'app:logs'), ...(mac ? [] : [sep, about])] });
  return sections;
}

/** Every action item in a template, flattened (for tests and for checking accelerators are unique). */
export function actionItems(template: readonly MenuSection[]): Extract<MenuEntry, { kind: 'action' }>[] {
  return template.flatMap((s) => s.items.filter((i): i is Extract<MenuEntry, { kind: 'action' }> => i.kind === 'action'));
}
