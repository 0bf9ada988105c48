/**
 * Builds the real preload bundle (same esbuild settings as build/bundle.ts) and runs it the way a
 * sandboxed Electron renderer would: a bare CommonJS scope whose only module is `electron`. The
 * Electron runtime is not available here, so `contextBridge`/`ipcRenderer` are small stand-ins that
 * record what the preload hands over; the main-world function is then serialised and run in a fresh
 * V8 context (as `executeInMainWorld` does), wired to the real IPC wrapper from policy/ipc.ts.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import vm from 'node:vm';
import { build } from 'esbuild';
import { PortholeError } from '../../shared/errors';
import { createInvokeHandler, EVENT_CHANNEL, INVOKE_CHANNEL } from './policy/ipc';
import type { FrameLike } from './policy/ipc';

let bundle = '';

before(async () => {
  const out = await build({
    entryPoints: [join(import.meta.dirname, 'preload.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['electron'],
    write: false,
    logLevel: 'silent',
  });
  bundle = out.outputFiles[0]!.text;
});

interface Harness {
  ipc: EventEmitter & { invoke(channel: string, payload: unknown): Promise<unknown> };
  executed: { func: (...args: unknown[]) => void; args: unknown[] }[];
  exposed: Record<string, unknown>;
  invokes: unknown[];
}

function runPreload(opts: { failExecute?: boolean } = {}): Harness {
  const mainFrame: FrameLike = { url: 'app://porthole/index.html', origin: 'app://porthole', parent: null, processId: 1, routingId: 1 };
  const handler = createInvokeHandler({
    isOurWindow: (id) => id === 1,
    backend: (channel, arg) => {
      if (channel === 'pool:remove') return Promise.reject(new PortholeError('UNKNOWN_POOL'));
      return Promise.resolve({ channel, arg });
    },
    local: {},
    report: () => undefined,
  });
  const invokes: unknown[] = [];
  const ipc = Object.assign(new EventEmitter(), {
    invoke: (channel: string, payload: unknown) => {
      invokes.push({ channel, payload });
      assert.equal(channel, INVOKE_CHANNEL);
      return handler({ sender: { id: 1, mainFrame }, senderFrame: mainFrame }, structuredClone(payload));
    },
  });
  const executed: Harness['executed'] = [];
  const exposed: Record<string, unknown> = {};
  const electron = {
    ipcRenderer: ipc,
    contextBridge: {
      executeInMainWorld: (script: { func: (...args: unknown[]) => void; args: unknown[] }) => {
        if (opts.failExecute === true) throw new Error('not supported');
        executed.push(script);
      },
      exposeInMainWorld: (key: string, api: unknown) => {
        exposed[key] = api;
      },
    },
  };
  const requested: string[] = [];
  const module = { exports: {} };
  const sandbox = {
    module,
    exports: module.exports,
    require: (name: string) => {
      requested.push(name);
      if (name !== 'electron') throw new Error(`sandboxed preload cannot require ${name}`);
      return electron;
    },
  };
  vm.runInNewContext(bundle, sandbox, { filename: 'preload.cjs' });
  assert.deepEqual(requested, ['electron']);
  return { ipc, executed, exposed, invokes };
}

/** Serialises the main-world function as executeInMainWorld does and runs it in a fresh context. */
function mainWorld(h: Harness): { window: Record<string, unknown>; ErrorCtor: ErrorConstructor } {
  assert.equal(h.executed.length, 1);
  const { func, args } = h.executed[0]!;
  const context = vm.createContext({ args });
  vm.runInContext(`(${func.toString()})(...args)`, context);
  const window = vm.runInContext('globalThis', context) as Record<string, unknown>;
  return { window, ErrorCtor: vm.runInContext('Error', context) as ErrorConstructor };
}

interface PageApi {
  invoke(channel: string, arg: unknown): Promise<unknown>;
  on(channel: string, listener: (payload: unknown) => void): () => void;
}

test('the bundle only requires electron and uses no sync IPC or raw ipcRenderer exposure', () => {
  const requires = [...bundle.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(requires)], ['electron']);
  assert.doesNotMatch(bundle, /sendSync|exposeInMainWorld\([^)]*ipcRenderer/);
});

test('the page gets exactly one frozen, non-writable window.porthole built in its own world', () => {
  const { window } = mainWorld(runPreload());
  const keys = Object.keys(window).filter((k) => k !== 'args');
  assert.deepEqual(keys, ['porthole']);
  const api = window.porthole as PageApi;
  assert.deepEqual(Object.keys(api).sort(), ['invoke', 'on']);
  assert.equal(Object.isFrozen(api), true);
  assert.throws(() => vm.runInContext('"use strict"; globalThis.porthole = {}', vm.createContext(window)));
});

test('invoke sends one {channel, arg} message and unwraps the value', async () => {
  const h = runPreload();
  const api = mainWorld(h).window.porthole as PageApi;
  assert.deepEqual(await api.invoke('pool:connect', { id: 'p1' }), { channel: 'pool:connect', arg: { id: 'p1' } });
  // JSON round trip: the payload was made in the preload's realm, so prototypes differ from ours.
  assert.deepEqual(JSON.parse(JSON.stringify(h.invokes)), [{ channel: INVOKE_CHANNEL, payload: { channel: 'pool:connect', arg: { id: 'p1' } } }]);
});

test('an error envelope becomes a real Error of the page world carrying .code', async () => {
  const { window, ErrorCtor } = mainWorld(runPreload());
  const api = window.porthole as PageApi;
  await assert.rejects(api.invoke('pool:remove', { id: 'nope' }), (e: unknown) => {
    assert.ok(e instanceof ErrorCtor);
    assert.equal((e as Error & { code: string }).code, 'UNKNOWN_POOL');
    assert.equal(e.message, 'No such pool.');
    return true;
  });
});

test('an unknown channel is refused in the preload without an IPC round trip', async () => {
  const h = runPreload();
  const api = mainWorld(h).window.porthole as PageApi;
  await assert.rejects(api.invoke('shell:exec', 'rm -rf /'), (e: unknown) => (e as { code?: string }).code === 'INVALID_ARGUMENT');
  assert.equal(h.invokes.length, 0);
});

test('on() delivers only its own channel and unsubscribes', () => {
  const h = runPreload();
  const api = mainWorld(h).window.porthole as PageApi;
  const got: unknown[] = [];
  const off = api.on('pool:list', (p) => got.push(p));
  h.ipc.emit(EVENT_CHANNEL, {}, 'pool:state', { id: 'x' });
  h.ipc.emit(EVENT_CHANNEL, {}, 'pool:list', [1]);
  off();
  h.ipc.emit(EVENT_CHANNEL, {}, 'pool:list', [2]);
  assert.deepEqual(got, [[1]]);
  assert.equal(h.ipc.listenerCount(EVENT_CHANNEL), 0);
  assert.throws(() => api.on('not:a:channel', () => undefined), /event channel/);
});

test('without executeInMainWorld the same API is exposed through exposeInMainWorld', async () => {
  const h = runPreload({ failExecute: true });
  assert.deepEqual(Object.keys(h.exposed), ['porthole']);
  const api = h.exposed.porthole as PageApi;
  assert.deepEqual(await api.invoke('ui:get', undefined), { channel: 'ui:get', arg: undefined });
});
