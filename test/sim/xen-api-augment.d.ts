/**
 * Extra typings of `xen-api` 4.x used only by the simulator's tests: the built-in object cache and
 * event loop (`watchEvents` on), `callAsync` and `barrier`. Merged into the app's declaration in
 * electron/core/xen-api.d.ts.
 */
declare module 'xen-api' {
  /** A cached XAPI object as xen-api wraps it. */
  export interface XapiObject {
    readonly $type: string;
    readonly $ref: string;
    readonly [field: string]: unknown;
  }

  interface Xapi {
    /** The object cache, filled by the event loop. */
    readonly objects: { readonly all: Readonly<Record<string, XapiObject>> };
    /** Resolves once the first get_all_records pass is done. */
    readonly objectsFetched: Promise<void>;
    /** Calls `Async.<method>` and resolves with the task's result. */
    callAsync(method: string, ...args: unknown[]): Promise<unknown>;
    /** Waits until the event loop has seen every change up to now. */
    barrier(ref?: string): Promise<unknown>;
  }
}
