/**
 * The page-facing `window.porthole` object (a `PortholeApi`), built from two raw functions the
 * preload passes across the context bridge.
 *
 * Why this is built in the page's own world: Electron's context bridge copies a thrown `Error` with
 * its message only, dropping `.code`. So the preload bridges `raw.invoke`, which resolves the whole
 * `Result` envelope (plain data crosses intact), and `installPortholeApi` — run in the main world by
 * `contextBridge.executeInMainWorld`, which serialises it, so it must not use anything outside its own
 * body — turns `{ ok: false }` into a real `Error` with `.code` and defines a frozen, non-writable
 * `window.porthole`, an object checked against the contract (`satisfies PortholeApi`). `makeRawBridge` is the preload half: one invoke channel, one event channel
 * filtered per subscription; it never hands out ipcRenderer itself.
 */
import { isRequestChannel } from '../../../shared/contract';
import type { EventChannel, Events, PortholeApi, RequestArg, RequestChannel, RequestResult, Result } from '../../../shared/contract';
import { isEventChannel } from '../../../shared/wire';

/** The two functions the preload bridges into the page. */
export interface RawBridge {
  invoke(channel: unknown, arg: unknown): Promise<unknown>;
  on(channel: unknown, listener: unknown): () => void;
}

/** The parts of ipcRenderer the raw bridge uses (structural, so it runs under Node with an EventEmitter). */
export interface IpcRendererLike {
  invoke(channel: string, payload: unknown): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/** The preload half, over ipcRenderer. */
export function makeRawBridge(ipc: IpcRendererLike, invokeChannel: string, eventChannel: string): RawBridge {
  return {
    invoke: (channel, arg) => {
      if (!isRequestChannel(channel)) return Promise.resolve({ ok: false, error: { code: 'INVALID_ARGUMENT', message: 'Unknown request channel.' } });
      return ipc.invoke(invokeChannel, { channel, arg });
    },
    on: (channel, listener) => {
      if (!isEventChannel(channel) || typeof listener !== 'function') throw new TypeError('porthole.on needs an event channel and a function');
      const handler = (_event: unknown, ...args: unknown[]): void => {
        if (args[0] === channel) (listener as (payload: unknown) => void)(args[1]);
      };
      ipc.on(eventChannel, handler);
      return () => {
        ipc.removeListener(eventChannel, handler);
      };
    },
  };
}

/**
 * The main-world half: defines `target.porthole` (default `globalThis`). Self-contained on purpose
 * (it is serialised across worlds).
 */
export function installPortholeApi(raw: RawBridge, target?: object): void {
  const host = target ?? globalThis;
  const api = {
    invoke: async <C extends RequestChannel>(channel: C, arg: RequestArg<C>): Promise<RequestResult<C>> => {
      const result = (await raw.invoke(channel, arg)) as Result<RequestResult<C>> | undefined;
      if (typeof result === 'object' && result !== null && result.ok) return result.value;
      const wire = typeof result === 'object' && result !== null && !result.ok ? result.error : { code: 'INTERNAL', message: 'No answer from Porthole.' };
      const error = new Error(wire.message) as Error & { code: string };
      error.name = 'PortholeError';
      error.code = wire.code;
      throw error;
    },
    on: <E extends EventChannel>(channel: E, listener: (payload: Events[E]) => void): (() => void) => raw.on(channel, listener),
  } satisfies PortholeApi;
  Object.defineProperty(host, 'porthole', { value: Object.freeze(api), enumerable: true, writable: false, configurable: false });
}
