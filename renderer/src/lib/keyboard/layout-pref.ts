/**
 * The guest keyboard layout chosen per VM for Type text, remembered in the page's localStorage
 * (per pool and VM uuid). Defaults to `us`; an id the planner no longer knows falls back to it.
 */
import { isLayoutId } from '../../../../shared/keyboard/type-plan';

/** The layout used when none was chosen for a VM. */
export const DEFAULT_LAYOUT = 'us';

function storageKey(poolId: string, vmUuid: string): string {
  return `porthole.keyboard-layout.${poolId}.${vmUuid}`;
}

/** The layout remembered for a VM. */
export function loadLayout(poolId: string, vmUuid: string): string {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(storageKey(poolId, vmUuid));
  } catch {
    // storage unavailable: use the default
  }
  return saved !== null && isLayoutId(saved) ? saved : DEFAULT_LAYOUT;
}

/** Remembers the layout for a VM. */
export function saveLayout(poolId: string, vmUuid: string, layout: string): void {
  try {
    localStorage.setItem(storageKey(poolId, vmUuid), layout);
  } catch {
    // storage unavailable: the choice lasts for this dialog only
  }
}
