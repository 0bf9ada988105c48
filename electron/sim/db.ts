/**
 * The simulator's in-memory object store, with xapi's generation-count event model.
 *
 * How it works (as `ocaml/xapi/xapi_event.ml` does over xapi's database):
 * - every mutation (add, modify, delete, touch) takes the next generation number; each row keeps the
 *   generation it was created at (`ctime`) and last modified at (`mtime`);
 * - a change log (class, ref, generation, ctime, deleted?) is kept for the last `LOG_LIMIT` mutations;
 *   `event.from` with a token asks "what changed after generation N": one event per object, `add` when it
 *   was created after N, `mod` when only modified, `del` when deleted (an object created and deleted
 *   after N produces nothing), with the object's *current* record as snapshot (xapi coalesces the same
 *   way: several changes between two calls show up once);
 * - token `""` means generation 0: every live object comes back as `add`;
 * - a token older than the oldest retained log entry cannot be answered: `EVENTS_LOST`;
 * - records are replaced, never mutated in place, so a snapshot handed out stays as it was.
 */
import type { Value, XRecord } from './values';

/** One object in the store. */
export interface Row {
  readonly cls: string;
  readonly ref: string;
  rec: XRecord;
  ctime: number;
  mtime: number;
}

/** An event as `event.from` returns it (`ocaml/xapi-types/event_types.ml`). */
export interface XapiEvent {
  id: string;
  timestamp: string;
  class: string;
  operation: 'add' | 'mod' | 'del';
  ref: string;
  snapshot?: XRecord;
}

interface LogEntry {
  gen: number;
  cls: string;
  ref: string;
  ctime: number;
  deleted: boolean;
}

/** Changes kept for `event.from`; older tokens get EVENTS_LOST. */
const LOG_LIMIT = 200_000;

/** A subscription as `event.from` parses it: `*`, `vm`, `vm/OpaqueRef:…` (lower-cased class). */
export type Subscription = { kind: 'all' } | { kind: 'class'; cls: string } | { kind: 'object'; cls: string; ref: string };

/** Parses one `event.from` class string; undefined when malformed. */
export function parseSubscription(text: string): Subscription | undefined {
  if (text === '*') return { kind: 'all' };
  const slash = text.indexOf('/');
  if (slash < 0) return text === '' ? undefined : { kind: 'class', cls: text.toLowerCase() };
  const cls = text.slice(0, slash).toLowerCase();
  const ref = text.slice(slash + 1);
  return cls === '' ? undefined : { kind: 'object', cls, ref };
}

function matches(subs: readonly Subscription[], cls: string, ref: string): boolean {
  const lc = cls.toLowerCase();
  return subs.some((s) => s.kind === 'all' || (s.kind === 'class' && s.cls === lc) || (s.kind === 'object' && s.cls === lc && s.ref === ref));
}

/** The store. */
export class Database {
  /** Last generation used. */
  generation = 0;
  private readonly tables = new Map<string, Map<string, Row>>();
  private readonly byLower = new Map<string, string>();
  private readonly classOfRef = new Map<string, string>();
  private readonly uuidIndex = new Map<string, Map<string, string>>();
  private log: LogEntry[] = [];
  /** Tokens below this generation cannot be answered. */
  private oldestAnswerable = 0;
  private readonly waiters = new Set<() => void>();

  /** Declares a class (so it is served and counted even while empty). */
  declare(cls: string): void {
    if (this.tables.has(cls)) return;
    this.tables.set(cls, new Map());
    this.byLower.set(cls.toLowerCase(), cls);
    this.uuidIndex.set(cls, new Map());
  }

  /** Classes in declaration order. */
  classes(): string[] {
    return [...this.tables.keys()];
  }

  /** The datamodel spelling of a class name, matched case-insensitively. */
  canonical(cls: string): string | undefined {
    return this.byLower.get(cls.toLowerCase());
  }

  private table(cls: string): Map<string, Row> {
    const t = this.tables.get(cls);
    if (t === undefined) throw new Error(`undeclared class ${cls}`);
    return t;
  }

  private record(entry: Omit<LogEntry, 'gen'> & { gen: number }): void {
    this.log.push(entry);
    if (this.log.length > LOG_LIMIT) {
      const drop = this.log.length - LOG_LIMIT;
      this.oldestAnswerable = this.log[drop - 1]?.gen ?? this.oldestAnswerable;
      this.log = this.log.slice(drop);
    }
    this.wake();
  }

  /** Wakes every blocked `event.from` (also used when sessions die). */
  wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Adds an object; returns its ref. */
  add(cls: string, ref: string, rec: XRecord): string {
    const gen = ++this.generation;
    const row: Row = { cls, ref, rec, ctime: gen, mtime: gen };
    this.table(cls).set(ref, row);
    this.classOfRef.set(ref, cls);
    const uuid = rec.uuid;
    if (typeof uuid === 'string') this.uuidIndex.get(cls)?.set(uuid, ref);
    this.record({ gen, cls, ref, ctime: gen, deleted: false });
    return ref;
  }

  /** Replaces some fields of an object (a new record object; the old one is left as it was). */
  modify(cls: string, ref: string, patch: Record<string, Value>): void {
    const row = this.table(cls).get(ref);
    if (row === undefined) return;
    row.rec = { ...row.rec, ...patch };
    row.mtime = ++this.generation;
    this.record({ gen: row.mtime, cls, ref, ctime: row.ctime, deleted: false });
  }

  /** Marks an object modified without changing it (event.inject). */
  touch(cls: string, ref: string): void {
    const row = this.table(cls).get(ref);
    if (row === undefined) return;
    row.mtime = ++this.generation;
    this.record({ gen: row.mtime, cls, ref, ctime: row.ctime, deleted: false });
  }

  /** Deletes an object. */
  remove(cls: string, ref: string): void {
    const t = this.table(cls);
    const row = t.get(ref);
    if (row === undefined) return;
    t.delete(ref);
    this.classOfRef.delete(ref);
    const uuid = row.rec.uuid;
    if (typeof uuid === 'string') this.uuidIndex.get(cls)?.delete(uuid);
    const gen = ++this.generation;
    this.record({ gen, cls, ref, ctime: row.ctime, deleted: true });
  }

  /** An object's record, or undefined. */
  get(cls: string, ref: string): XRecord | undefined {
    return this.tables.get(cls)?.get(ref)?.rec;
  }

  /** The class a live ref belongs to. */
  classOf(ref: string): string | undefined {
    return this.classOfRef.get(ref);
  }

  /** Ref of the object with this uuid. */
  byUuid(cls: string, uuid: string): string | undefined {
    return this.uuidIndex.get(cls)?.get(uuid);
  }

  /** Every row of a class. */
  rows(cls: string): IterableIterator<Row> {
    return this.table(cls).values();
  }

  /** Number of objects per class, lower-cased, as `valid_ref_counts` wants them. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [cls, t] of this.tables) out[cls.toLowerCase()] = t.size;
    return out;
  }

  /** Forgets the change log: every token issued so far gets EVENTS_LOST (as after a log overflow). */
  forgetHistory(): void {
    this.log = [];
    this.oldestAnswerable = this.generation;
  }

  /** True when changes since `since` can still be listed. */
  answerable(since: number): boolean {
    return since === 0 || since >= this.oldestAnswerable;
  }

  /** Events after generation `since` for these subscriptions, and the generation they run up to. */
  changesSince(since: number, subs: readonly Subscription[]): { events: XapiEvent[]; last: number } {
    const last = this.generation;
    const timestamp = (Date.now() / 1000).toFixed(3);
    const events: XapiEvent[] = [];
    if (since === 0) {
      for (const [cls, t] of this.tables) {
        for (const row of t.values()) {
          if (!matches(subs, cls, row.ref)) continue;
          events.push({ id: String(row.mtime), timestamp, class: cls.toLowerCase(), operation: 'add', ref: row.ref, snapshot: row.rec });
        }
      }
      events.sort((a, b) => Number(a.id) - Number(b.id));
      return { events, last };
    }
    // Latest log entry per object after `since`, in generation order.
    const latest = new Map<string, LogEntry>();
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.log[mid]?.gen ?? 0) <= since) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.log.length; i++) {
      const e = this.log[i];
      if (e === undefined || !matches(subs, e.cls, e.ref)) continue;
      latest.delete(e.ref);
      latest.set(e.ref, e);
    }
    for (const e of latest.values()) {
      const cls = e.cls.toLowerCase();
      if (e.deleted) {
        if (e.ctime > since) continue; // created and destroyed since the token: nothing to say
        events.push({ id: String(e.gen), timestamp, class: cls, operation: 'del', ref: e.ref });
        continue;
      }
      const row = this.tables.get(e.cls)?.get(e.ref);
      if (row === undefined) continue;
      events.push({ id: String(row.mtime), timestamp, class: cls, operation: row.ctime > since ? 'add' : 'mod', ref: e.ref, snapshot: row.rec });
    }
    return { events, last };
  }

  /** Resolves after the next mutation or wake-up, or after `ms`. */
  waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.add(done);
    });
  }

  /** Number of blocked waiters (leak checks). */
  waiting(): number {
    return this.waiters.size;
  }
}
