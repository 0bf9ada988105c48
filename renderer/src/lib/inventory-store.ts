/**
 * The page's copy of the inventory: flat nodes by id plus the version they are at. Snapshots replace
 * everything; `inventory:diff` events apply on top when their `from` equals the current version.
 *
 * State machine: `empty → syncing → synced`, and `synced → syncing` again on a gap. While `syncing`
 * (a snapshot request is in flight) diffs are buffered; when the snapshot lands, buffered diffs that
 * continue from its version are applied and older ones dropped. A diff that does not continue from the
 * current version (`from !== version`, and not already covered) is a gap: the caller re-fetches
 * `inventory:snapshot`. Mutates one `Map` in place, so a diff costs O(changes), not O(inventory).
 */
import type { InventoryDiff, InventoryNode, InventorySnapshot } from '../../../shared/inventory';

/** What happened to an offered diff. */
export type DiffOutcome = 'applied' | 'ignored' | 'buffered' | 'gap';

/** The inventory nodes and their version. */
export class InventoryStore {
  /** Node id → node. Read it; change it only through the methods. */
  readonly nodes = new Map<string, InventoryNode>();
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
    for (const id of diff.removes) this.nodes.delete(id);
    for (const node of diff.upserts) this.nodes.set(node.id, node);
    this.versionValue = diff.to;
    return 'applied';
  }
}
