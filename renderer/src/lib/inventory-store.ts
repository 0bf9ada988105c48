/**
 * The page's copy of the inventory: flat nodes by id plus the version they are at. Snapshots replace
 * everything; `inventory:diff` events apply on top when their `from` equals the current version.
 *
 * State machine: `empty → syncing → synced`, and `synced → syncing` again on a gap. While `syncing`
 * (a snapshot request is in flight) diffs are buffered; when the snapshot lands, buffered diffs that
 * continue from its version are applied and older ones dropped. A diff that does not continue from the
 * current version (`from !== version`, and not already covered) is a gap: the caller re-fetches
 * `inventory:snapshot`. Mutates one `Map` in place and hands each change to the tree's grouping
 * (`TreeIndex`), so a diff costs O(changes · log n), not O(inventory); a diff bigger than
 * `REGROUP_CHANGES` (a first load, a reconnect) regroups from scratch instead, which is cheaper then.
 */
import type { InventoryDiff, InventoryNode, InventorySnapshot } from '../../../shared/inventory';
import { TreeIndex } from './tree-index';

/** Above this many changes in one diff the grouping is rebuilt rather than updated change by change. */
export const REGROUP_CHANGES = 512;

/** What happened to an offered diff. */
export type DiffOutcome = 'applied' | 'ignored' | 'buffered' | 'gap';

/** The inventory nodes and their version. */
export class InventoryStore {
  /** Node id → node. Read it; change it only through the methods. */
  readonly nodes = new Map<string, InventoryNode>();
  /** The nodes grouped and sorted for the tree, in step with `nodes`. */
  readonly index = new TreeIndex();
  private versionValue = -1;
  private phase: 'empty' | 'syncing' | 'synced' = 'empty';
  private buffered: InventoryDiff[] = [];

  /** Current version (-1 before the first snapshot). */
  get version(): number {
    return this.versionValue;
  }

  /** True while a snapshot is awaited. */
  get syncing(): boolean {
    return this.phase === 'syncing';
  }

  /** Marks a snapshot request as in flight: diffs are buffered until `applySnapshot`. */
  beginSync(): void {
    this.phase = 'syncing';
  }

  /**
   * Replaces everything with `snapshot`, then applies buffered diffs that continue from it.
   * Returns `gap` when a buffered diff could not be applied (the caller should sync again).
   */
  applySnapshot(snapshot: InventorySnapshot): 'applied' | 'gap' {
    this.nodes.clear();
    for (const node of snapshot.nodes) this.nodes.set(node.id, node);
    this.index.reset(this.nodes.values());
    this.versionValue = snapshot.version;
    this.phase = 'synced';
    const pending = this.buffered;
    this.buffered = [];
    for (const diff of pending) {
      if (this.offerDiff(diff) === 'gap') return 'gap';
    }
    return 'applied';
  }

  /** Offers a pushed diff; see `DiffOutcome`. A `gap` leaves the store unchanged. */
  offerDiff(diff: InventoryDiff): DiffOutcome {
    if (this.phase === 'syncing' || this.phase === 'empty') {
      this.buffered.push(diff);
      return 'buffered';
    }
    // Already covered by what we have (e.g. it was folded into the snapshot).
    if (diff.to <= this.versionValue) return 'ignored';
    if (diff.from !== this.versionValue) return 'gap';
    const regroup = diff.removes.length + diff.upserts.length > REGROUP_CHANGES;
    for (const id of diff.removes) {
      const old = this.nodes.get(id);
      if (old === undefined) continue;
      this.nodes.delete(id);
      if (!regroup) this.index.change(old, undefined);
    }
    for (const node of diff.upserts) {
      if (regroup) {
        this.nodes.set(node.id, node);
        continue;
      }
      const old = this.nodes.get(node.id);
      this.nodes.set(node.id, node);
      this.index.change(old, node);
    }
    if (regroup) this.index.reset(this.nodes.values());
    this.versionValue = diff.to;
    return 'applied';
  }
}
