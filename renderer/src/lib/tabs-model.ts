/**
 * The console tabs as a pure reducer: open (or focus if already open), close, select, move (drag to
 * reorder), next/previous (wrapping), and restore from / save to the persisted `UiState`.
 *
 * A tab is keyed by pool, VM and protocol, so a VM can have one graphical and one text console tab.
 * `active` is the index of the selected tab, -1 when there are none. Closing the selected tab selects
 * its right neighbour, else its left one (as browsers do).
 */
import type { ConsoleProtocol, TabState, UiState } from '../../../shared/contract';

/** One open tab. */
export interface Tab {
  key: string;
  poolId: string;
  vmUuid: string;
  protocol: ConsoleProtocol;
}

/** The tab strip. */
export interface TabsState {
  tabs: readonly Tab[];
  active: number;
}

/** Things that change the tab strip. */
export type TabsAction =
  | { type: 'open'; poolId: string; vmUuid: string; protocol: ConsoleProtocol }
  | { type: 'close'; key: string }
  | { type: 'select'; key: string }
  | { type: 'move'; from: number; to: number }
  | { type: 'next' }
  | { type: 'previous' }
  | { type: 'restore'; ui: UiState };

/** No tabs. */
export const EMPTY_TABS: TabsState = { tabs: [], active: -1 };

/** The key of a tab for a VM console. */
export function tabKey(poolId: string, vmUuid: string, protocol: ConsoleProtocol): string {
  return `${poolId}/${vmUuid}/${protocol}`;
}

function isProtocol(value: unknown): value is ConsoleProtocol {
  return value === 'rfb' || value === 'vt100';
}

/** Applies one action; returns the same object when nothing changes. */
export function tabsReducer(state: TabsState, action: TabsAction): TabsState {
  switch (action.type) {
    case 'open': {
      const key = tabKey(action.poolId, action.vmUuid, action.protocol);
      const existing = state.tabs.findIndex((t) => t.key === key);
      if (existing >= 0) return existing === state.active ? state : { ...state, active: existing };
      const tab: Tab = { key, poolId: action.poolId, vmUuid: action.vmUuid, protocol: action.protocol };
      return { tabs: [...state.tabs, tab], active: state.tabs.length };
    }
    case 'close': {
      const index = state.tabs.findIndex((t) => t.key === action.key);
      if (index < 0) return state;
      const tabs = state.tabs.filter((_, i) => i !== index);
      let active = state.active;
      if (tabs.length === 0) active = -1;
      else if (index < state.active) active = state.active - 1;
      else if (index === state.active) active = Math.min(index, tabs.length - 1);
      return { tabs, active };
    }
    case 'select': {
      const index = state.tabs.findIndex((t) => t.key === action.key);
      return index < 0 || index === state.active ? state : { ...state, active: index };
    }
    case 'move': {
      const { from } = action;
      const count = state.tabs.length;
      if (from < 0 || from >= count) return state;
      const to = Math.min(Math.max(action.to, 0), count - 1);
      if (to === from) return state;
      const tabs = [...state.tabs];
      const [moved] = tabs.splice(from, 1);
      if (moved === undefined) return state;
      tabs.splice(to, 0, moved);
      const activeKey = state.tabs[state.active]?.key;
      const active = activeKey === undefined ? state.active : tabs.findIndex((t) => t.key === activeKey);
      return { tabs, active };
    }
    case 'next':
    case 'previous': {
      const count = state.tabs.length;
      if (count < 2) return state;
      const step = action.type === 'next' ? 1 : -1;
      return { ...state, active: (state.active + step + count) % count };
    }
    case 'restore': {
      const tabs: Tab[] = [];
      for (const t of action.ui.tabs) {
        if (typeof t.poolId !== 'string' || typeof t.vmUuid !== 'string' || !isProtocol(t.protocol)) continue;
        const key = tabKey(t.poolId, t.vmUuid, t.protocol);
        if (tabs.some((x) => x.key === key)) continue;
        tabs.push({ key, poolId: t.poolId, vmUuid: t.vmUuid, protocol: t.protocol });
      }
      const wanted = action.ui.activeTab ?? 0;
      const active = tabs.length === 0 ? -1 : Number.isInteger(wanted) && wanted >= 0 && wanted < tabs.length ? wanted : 0;
      return { tabs, active };
    }
  }
}

/** The persisted form of the tab strip. */
export function tabsToUi(state: TabsState): Pick<UiState, 'tabs' | 'activeTab'> {
  const tabs: TabState[] = state.tabs.map((t) => ({ poolId: t.poolId, vmUuid: t.vmUuid, protocol: t.protocol }));
  return state.active >= 0 ? { tabs, activeTab: state.active } : { tabs };
}

/**
 * Where a dragged tab lands: dropping on the left half of tab `over` puts it before `over`, on the
 * right half after it. Returns the index to pass as `to` in a `move` action.
 */
export function dropIndex(from: number, over: number, rightHalf: boolean): number {
  const slot = rightHalf ? over + 1 : over;
  return slot > from ? slot - 1 : slot;
}
