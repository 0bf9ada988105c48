/**
 * Tracking XAPI tasks (`Async.*` calls) until they finish.
 *
 * How it works: `runTask` starts `Async.<method>`, which answers a task ref at once, then waits in
 * `TaskTracker.wait`. The event loop feeds every `task` event to `onEvents`; a task whose status is no
 * longer pending settles its waiter (success → its result, failure → a PortholeError from its
 * `error_info`, cancelled → an error). A slow fallback poll (`task.get_record`) covers a missed event.
 * A task may finish before its waiter registers, so recently finished tasks are remembered (bounded).
 * `failAll` rejects every waiter when the connection goes away. The finished task is destroyed.
 */
import { PortholeError } from '../../../shared/errors';
import type { XapiEvent } from '../../../shared/inventory-build';
import { fromXapiError } from '../xapi-errors';

/** Most remembered finished tasks (a task may finish before its waiter registers). */
const FINISHED_TASKS_KEPT = 1_000;

/** A task record as it came off the wire. */
export type TaskRecord = Record<string, unknown>;

/** What the tracker needs from the session. */
export interface TaskTrackerOptions {
  /** Interval of the fallback poll, ms. */
  pollMs: number;
  /** Reads a task record now; undefined when not connected. */
  getRecord(ref: string): Promise<unknown> | undefined;
}

interface TaskWaiter {
  what: string;
  resolve: (result: string) => void;
  reject: (error: PortholeError) => void;
}

function isRecord(value: unknown): value is TaskRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when a task record says the task is over (any status but pending / cancelling). */
export function isFinished(rec: TaskRecord): boolean {
  return rec.status !== 'pending' && rec.status !== 'cancelling';
}

/** The outcome of a finished task: its result, or the error it reports. */
export function settleTask(rec: TaskRecord, what: string): Promise<string> {
  if (rec.status === 'success') return Promise.resolve(typeof rec.result === 'string' ? rec.result : '');
  if (rec.status === 'cancelled') return Promise.reject(new PortholeError('XAPI_ERROR', `${what} was cancelled.`, { xapiCode: 'TASK_CANCELLED' }));
  const info = Array.isArray(rec.error_info) ? rec.error_info.map(String) : [];
  const [code = 'INTERNAL_ERROR', ...params] = info;
  return Promise.reject(fromXapiError({ code, params }, what));
}

/** The running tasks of one pool session. */
export class TaskTracker {
  private readonly opts: TaskTrackerOptions;
  private readonly waiters = new Map<string, TaskWaiter>();
  private readonly finished = new Map<string, TaskRecord>();

  constructor(opts: TaskTrackerOptions) {
    this.opts = opts;
  }

  /** Resolves with the task's result when it finishes (`what` names it in errors). */
  wait(ref: string, what: string): Promise<string> {
    const done = this.finished.get(ref);
    if (done !== undefined) {
      this.finished.delete(ref);
      return settleTask(done, what);
    }
    return new Promise<string>((resolve, reject) => {
      const poll = setInterval(() => {
        this.opts.getRecord(ref)?.then(
          (rec) => {
            if (isRecord(rec) && isFinished(rec)) this.finish(ref, rec);
          },
          () => undefined,
        );
      }, this.opts.pollMs);
      this.waiters.set(ref, {
        what,
        resolve: (r) => {
          clearInterval(poll);
          resolve(r);
        },
        reject: (e) => {
          clearInterval(poll);
          reject(e);
        },
      });
    });
  }

  /** Feeds events from the event loop (other classes are ignored). */
  onEvents(events: readonly XapiEvent[]): void {
    for (const e of events) {
      if (e.class !== 'task' || e.operation === 'del' || !isRecord(e.snapshot) || !isFinished(e.snapshot)) continue;
      this.finish(e.ref, e.snapshot);
    }
  }

  /** Rejects every waiter (the connection went away). */
  failAll(error: PortholeError): void {
    for (const w of this.waiters.values()) w.reject(error);
    this.waiters.clear();
  }

  private finish(ref: string, rec: TaskRecord): void {
    const waiter = this.waiters.get(ref);
    if (waiter === undefined) {
      this.finished.set(ref, rec);
      const oldest = this.finished.keys().next();
      if (this.finished.size > FINISHED_TASKS_KEPT && oldest.done !== true) this.finished.delete(oldest.value);
      return;
    }
    this.waiters.delete(ref);
    settleTask(rec, waiter.what).then(waiter.resolve, (e: unknown) => waiter.reject(e as PortholeError));
  }
}

/** Runs `Async.<method>` on `conn` and resolves with the task's result; the task is destroyed after. */
export async function runTask(
  conn: { call(method: string, ...args: unknown[]): Promise<unknown> },
  tracker: TaskTracker,
  what: string,
  method: string,
  args: readonly unknown[],
  /** Learns the task ref as soon as XAPI hands it out (progress, cancel). */
  onTask?: (taskRef: string) => void,
): Promise<string> {
  let taskRef: unknown;
  try {
    taskRef = await conn.call(`Async.${method}`, ...args);
  } catch (error) {
    throw fromXapiError(error, what);
  }
  if (typeof taskRef !== 'string') throw new PortholeError('XAPI_ERROR', `${what}: the pool did not answer a task reference.`);
  onTask?.(taskRef);
  try {
    return await tracker.wait(taskRef, what);
  } finally {
    conn.call('task.destroy', taskRef).catch(() => undefined);
  }
}
