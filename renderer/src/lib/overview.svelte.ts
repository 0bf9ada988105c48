/**
 * Whether the console wall ("Overview") is on screen, for which scope, and its settings (persisted
 * with the tabs through `ui:set`). The wall's connection lives only while it is shown: the view
 * (OverviewView.svelte) opens it on mount and closes it when hidden.
 */
import { WALL_LIMITS, type WallSettings } from '../../../shared/contract';
import type { OverviewScope } from './overview-model';
import { tabs } from './tabs.svelte';

/** The settings used until the user changes them. */
export const DEFAULT_WALL_SETTINGS: WallSettings = { perHost: WALL_LIMITS.perHost.default, refreshSeconds: WALL_LIMITS.refreshSeconds.default };

/** Clamps a number into a settings range (rounded; NaN gives the default). */
export function clampSetting(value: number, range: { min: number; max: number; default: number }): number {
  if (!Number.isFinite(value)) return range.default;
  return Math.min(range.max, Math.max(range.min, Math.round(value)));
}

class OverviewStore {
  /** True while the wall is on screen (instead of the console tabs). */
  shown = $state(false);
  /** What it shows. */
  scope = $state.raw<OverviewScope>({ kind: 'filter' });

  /** The current settings. */
  get settings(): WallSettings {
    return tabs.wall ?? DEFAULT_WALL_SETTINGS;
  }

  /** Shows the wall for a scope. */
  show(scope: OverviewScope): void {
    this.scope = scope;
    this.shown = true;
  }

  /** Hides the wall (its connection closes with the view). */
  hide(): void {
    this.shown = false;
  }

  /** Changes the settings (clamped to their bounds) and saves them. */
  setSettings(next: Partial<WallSettings>): void {
    const merged = { ...this.settings, ...next };
    tabs.setWall({ perHost: clampSetting(merged.perHost, WALL_LIMITS.perHost), refreshSeconds: clampSetting(merged.refreshSeconds, WALL_LIMITS.refreshSeconds) });
  }
}

/** The page's wall state. */
export const overview = new OverviewStore();
