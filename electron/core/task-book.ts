/**
 * The recent operations Porthole started, across pools: what the status bar and the task list show.
 *
 * How it works: `begin()` records an operation as `pending` before its `Async.` call goes out;
 * `attach()` links it to the XAPI task ref as soon as XAPI hands it out; every `task` event of the
 * pool's session (`update()`) then moves its progress, cancellability (`allowed_operations` has
 * `cancel`) and status; `finish()` records the outcome with XAPI's error code and its meaning in
 * words. The book keeps the newest `MAX_TASKS` entries and emits the whole (short) list, coalesced to
 * one `change` per tick. `cancel()` calls `task.cancel` through the pool's session.
 */
import { EventEmitter } from 'node:events';
import type { TaskInfo } from '../../shared/contract';
import { PortholeError } from '../../shared/errors';

/** Entries kept (the oldest finished ones go first). */
export const MAX_TASKS = 50;

/** What a task entry needs to cancel its task. */
export interface TaskCanceller {
  call(method: string, ...args: unknown[]): Promise<unknown>;
}

interface Entry {
  info: TaskInfo;
  ref?: string;
  session?: TaskCanceller;
}

/** Events of the book. */
export interface TaskBookEvents {
  change: [TaskInfo[]];
}

/** The recent operations. */
export class TaskBook extends EventEmitter<TaskBookEvents> {
  private readonly entries: Entry[] = [];
  private next = 1;
  private scheduled = false;

  /** Records a new operation (pending, progress 0); returns its id. */
  begin(meta: Pick<TaskInfo, 'poolId' | 'vmUuid' | 'vmName' | 'action' | 'label'>): string {
    // Ids pass the contract's `isId` guard (no slash).
    const id = `${meta.poolId}:task-${this.next++}`;
    this.entries.unshift({ info: { ...meta, id, status: 'pending', progress: 0, cancellable: false, startedAt: new Date().toISOString() } });
    this.trim();
    this.changed();
    return id;
  }

  /** Links an entry to its XAPI task. */
  attach(id: string, ref: string, session: TaskCanceller): void {
    const e = this.byId(id);
    if (e === undefined) return;
    e.ref = ref;
    e.session = session;
  }

  /** A task record of `poolId` changed (from `event.from`); undefined snapshot: destroyed. */
  update(poolId: string, ref: string, snapshot: Record<string, unknown> | undefined): void {
    const e = this.entries.find((x) => x.ref === ref && x.info.poolId === poolId);
    if (e === undefined || snapshot === undefined || isFinal(e.info.status)) return;
    const progress = typeof snapshot.progress === 'number' ? snapshot.progress : Number(snapshot.progress);
    const ops = Array.isArray(snapshot.allowed_operations) ? snapshot.allowed_operations : [];
    const info: TaskInfo = { ...e.info, cancellable: ops.includes('cancel') };
    if (Number.isFinite(progress)) info.progress = Math.min(1, Math.max(0, progress));
    if (snapshot.status === 'cancelling') info.status = 'cancelling';
    if (sameInfo(info, e.info)) return;
    e.info = info;
    this.changed();
  }

  /** Records the outcome (undefined error: success). */
  finish(id: string, error?: unknown): void {
    const e = this.byId(id);
    if (e === undefined) return;
    const info: TaskInfo = { ...e.info, cancellable: false, finishedAt: new Date().toISOString() };
    if (error === undefined) {
      info.status = 'success';
      info.progress = 1;
    } else {
      const code = error instanceof PortholeError ? (error.details?.xapiCode ?? error.code) : 'INTERNAL';
      info.status = code === 'TASK_CANCELLED' ? 'cancelled' : 'failure';
      info.error = { code, message: error instanceof Error ? error.message : 'The operation failed.' };
    }
    e.info = info;
    delete e.session;
    this.changed();
  }

  /** Asks XAPI to cancel a running task; INVALID_ARGUMENT when it is unknown, finished or not cancellable. */
  async cancel(id: string): Promise<void> {
    const e = this.byId(id);
    if (e === undefined) throw new PortholeError('INVALID_ARGUMENT', 'No such operation.');
    if (isFinal(e.info.status) || e.ref === undefined || e.session === undefined) throw new PortholeError('INVALID_ARGUMENT', `${e.info.label} has already finished.`);
    if (!e.info.cancellable) throw new PortholeError('OPERATION_NOT_ALLOWED', `${e.info.label} can no longer be cancelled: XAPI does not allow it at this stage.`);
    await e.session.call('task.cancel', e.ref);
    // The task may already have finished (cancelled) while the call was answered: keep that outcome.
    if (isFinal(e.info.status)) return;
    e.info = { ...e.info, status: 'cancelling', cancellable: false };
    this.changed();
  }

  /** Every entry, newest first. */
  list(): TaskInfo[] {
    return this.entries.map((e) => e.info);
  }

  /** Fails the running entries of a pool (it disconnected). */
  failPool(poolId: string, error: PortholeError): void {
    for (const e of this.entries) if (e.info.poolId === poolId && !isFinal(e.info.status)) this.finish(e.info.id, error);
  }

  private byId(id: string): Entry | undefined {
    return this.entries.find((e) => e.info.id === id);
  }

  private trim(): void {
    while (this.entries.length > MAX_TASKS) {
      const index = findLastIndex(this.entries, (e) => isFinal(e.info.status));
      this.entries.splice(index >= 0 ? index : this.entries.length - 1, 1);
    }
  }

  private changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.emit('change', this.list());
    });
  }
}

function isFinal(status: TaskInfo['status']): boolean {
  return status === 'success' || status === 'failure' || status === 'cancelled';
}

function sameInfo(a: TaskInfo, b: TaskInfo): boolean {
  return a.progress === b.progress && a.cancellable === b.cancellable && a.status === b.status;
}

function findLastIndex<T>(list: readonly T[], test: (x: T) => boolean): number {
  for (let i = list.length - 1; i >= 0; i--) if (test(list[i] as T)) return i;
  return -1;
}
