/**
 * The console tab strip as shared state: the `tabsReducer` state, each tab's console state (for the
 * dot on the tab), and persistence through `ui:get`/`ui:set` — together with the other remembered UI
 * facts (tree width, collapsed tree rows, theme).
 *
 * Persistence: `restore()` reads `ui:get` once at start; after that every change is written back with
 * `ui:set`, debounced, and never before the restore finished (so an early empty strip cannot overwrite
 * the saved tabs).
 */
import type { ConsoleProtocol, ThemeChoice, UiState, WallSettings } from '../../../shared/contract';
import { getLogger } from '../../../shared/log';
import { api } from './api';
import type { ConsoleState } from './console-machine';
import type { Tab, TabsAction, TabsState } from './tabs-model';
import { EMPTY_TABS, tabsReducer, tabsToUi } from './tabs-model';

const log = getLogger('tabs');

/** Delay between the last change and the `ui:set` write, in ms. */
export const SAVE_DEBOUNCE_MS = 300;

/** What the menu and the tab strip can ask of a console tab (Ctrl+Alt+Del, give the keyboard back, get ready to be shown). */
export interface ConsoleCommands {
  ctrlAltDel(): void;
  release(): void;
  /** The pointer is on the tab: a parked console may get ready to connect (ConsoleSession.prepare). */
  prepare?(): void;
}

class TabsStore {
  state = $state.raw<TabsState>(EMPTY_TABS);
  /** Console state kind by tab key (reported by each console view). */
  consoleStates = $state<Record<string, ConsoleState['kind']>>({});
  /** Tree width in px, persisted with the tabs. */
  treeWidth = $state<number | undefined>(undefined);
  /** Collapsed tree rows (pool ids, host node ids), persisted. */
  collapsed = $state.raw<ReadonlySet<string>>(new Set());
  /** The theme choice, persisted. */
  theme = $state<ThemeChoice>('system');
  /** The console wall's settings, persisted with the tabs (undefined: the defaults). */
  wall = $state.raw<WallSettings | undefined>(undefined);
  private restored = false;
  private readonly commands = new Map<string, ConsoleCommands>();
  private saveTimer: ReturnType<typeof setTimeout> | undefined;

  /** The selected tab, if any. */
  get active(): Tab | undefined {
    return this.state.tabs[this.state.active];
  }

  /** Applies an action and schedules a save when the strip changed. */
  dispatch(action: TabsAction): void {
    const next = tabsReducer(this.state, action);
    if (next === this.state) return;
    this.state = next;
    this.scheduleSave();
  }

  /** Opens (or focuses) a VM's console tab. */
  open(poolId: string, vmUuid: string, protocol: ConsoleProtocol = 'rfb'): void {
    this.dispatch({ type: 'open', poolId, vmUuid, protocol });
  }

  /** Records the console state of a tab. */
  report(key: string, kind: ConsoleState['kind']): void {
    if (this.consoleStates[key] !== kind) this.consoleStates[key] = kind;
  }

  /** A console view registers its commands; returns the unregister function. */
  registerCommands(key: string, commands: ConsoleCommands): () => void {
    this.commands.set(key, commands);
    return () => {
      if (this.commands.get(key) === commands) this.commands.delete(key);
    };
  }

  /** The pointer is on a tab: its console may get ready to be shown. */
  prepare(key: string): void {
    this.commands.get(key)?.prepare?.();
  }

  /** The commands of the selected tab's console, if it has registered. */
  activeCommands(): ConsoleCommands | undefined {
    const key = this.active?.key;
    return key === undefined ? undefined : this.commands.get(key);
  }

  /** Reads the saved tabs (once). */
  async restore(): Promise<void> {
    try {
      const ui = await api().invoke('ui:get', undefined);
      // Tabs opened before the saved state arrived are kept after the restored ones.
      const opened = this.state.tabs;
      this.state = tabsReducer(EMPTY_TABS, { type: 'restore', ui });
      for (const t of opened) this.state = tabsReducer(this.state, { type: 'open', poolId: t.poolId, vmUuid: t.vmUuid, protocol: t.protocol });
      if (typeof ui.treeWidth === 'number') this.treeWidth = ui.treeWidth;
      // Rows collapsed before the saved state arrived stay collapsed too.
      if (Array.isArray(ui.collapsed)) this.collapsed = new Set([...ui.collapsed, ...this.collapsed]);
      if (ui.theme === 'light' || ui.theme === 'dark' || ui.theme === 'system') this.theme = ui.theme;
      if (ui.wall !== undefined) this.wall = ui.wall;
    } catch (error) {
      log.warn('ui:get failed', { error });
    } finally {
      this.restored = true;
    }
    if (this.state.tabs.length > 0) this.scheduleSave();
  }

  /** Replaces the collapsed rows and saves them. */
  setCollapsed(ids: ReadonlySet<string>): void {
    this.collapsed = ids;
    this.scheduleSave();
  }

  /** Sets the theme and saves it. */
  setTheme(theme: ThemeChoice): void {
    this.theme = theme;
    this.scheduleSave();
  }

  /** Sets the tree width and saves it. */
  setTreeWidth(px: number): void {
    this.treeWidth = px;
    this.scheduleSave();
  }

  /** Sets the wall settings and saves them. */
  setWall(settings: WallSettings): void {
    this.wall = settings;
    this.scheduleSave();
  }

  private scheduleSave(): void {
    if (!this.restored) return;
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      const ui: UiState = { ...tabsToUi(this.state) };
      if (this.treeWidth !== undefined) ui.treeWidth = this.treeWidth;
      if (this.collapsed.size > 0) ui.collapsed = [...this.collapsed];
      if (this.theme !== 'system') ui.theme = this.theme;
      if (this.wall !== undefined) ui.wall = this.wall;
      api()
        .invoke('ui:set', ui)
        .catch((error: unknown) => log.warn('ui:set failed', { error }));
    }, SAVE_DEBOUNCE_MS);
  }
}

/** The page's tabs. */
export const tabs = new TabsStore();
