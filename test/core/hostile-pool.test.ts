// A pool that answers like a hostile or broken XAPI (through the simulator's tamperReplies fault):
// prototype keys in event.from, malformed event replies, an unexpected error in the run loop, and
// XAPI sessions left open when a pool is removed, re-addressed or the app quits.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../electron/sim/index';
import type { Simulator } from '../../electron/sim/types';
import { PinBook, parseAddress } from '../../electron/core/pins';
import { PoolSession } from '../../electron/core/pools/session';
import { startServices } from '../../electron/core/services';
import { memoryOnlyCipher } from '../../electron/core/secret-store';
import type { PoolState } from '../../shared/contract';
import type { VmNode } from '../../shared/inventory';
import { FAST, addTrusted, connectTrusted, hostAddress, makeManager, waitState } from './helpers';

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];

/** Resolves when `check()` turns true; `check` is re-run on every `poke()`. Rejects after a hang guard. */
function until(check: () => boolean, what: string, guardMs = 20_000): { done: Promise<void>; poke: () => void } {
  let poke!: () => void;
  const done = new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`hung waiting for ${what}`)), guardMs);
    poke = () => {
      if (!check()) return;
      clearTimeout(guard);
      resolve();
    };
  });
  return { done, poke };
}

describe('hostile event.from replies', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ hosts: 2, vms: 4, vnc: 'synthetic', powerOpMs: 50 });
  });
  after(async () => {
    sim.faults.tamperReplies(undefined);
    await sim.stop();
  });

  test('classes and refs named __proto__ / constructor / prototype pollute nothing and the pool keeps working', async (t) => {
    const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
    const hostile = PROTO_KEYS.flatMap((cls) => PROTO_KEYS.map((ref) => ({ id: 0, timestamp: '0', class: cls, operation: 'add', ref, snapshot: { polluted: true, uuid: ref } })));
    const oddTasks = [
      { id: 0, timestamp: '0', class: 'task', operation: 'mod', ref: 'OpaqueRef:00000000-0000-0000-0000-00000000000a', snapshot: null },
      { id: 0, timestamp: '0', class: 'vm', operation: 'add', ref: '__proto__', snapshot: { uuid: '__proto__', name_label: 'x', power_state: 'Running' } },
    ];
    sim.faults.tamperReplies((method, result) => {
      if (method !== 'event.from') return result;
      const r = result as { events: unknown[] };
      return { ...r, events: [...hostile, ...oddTasks, ...r.events] };
    });
    t.after(() => sim.faults.tamperReplies(undefined));
    const { manager, id } = await connectTrusted(t, sim);
    assert.equal(manager.state(id).kind, 'connected');
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeBefore, 'Object.prototype untouched');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const vms = manager.snapshot().nodes.filter((n): n is VmNode => n.kind === 'vm');
    assert.equal(vms.filter((v) => v.uuid !== '__proto__').length, 4, 'the real VMs are all there');

    // Changes still arrive through the same (still hostile) event stream.
    const vm = vms.find((v) => v.uuid !== '__proto__')!;
    const target = vm.powerState === 'Running' ? 'Halted' : 'Running';
    const changed = until(() => manager.snapshot().nodes.some((n) => n.kind === 'vm' && n.uuid === vm.uuid && n.powerState === target), `the VM to show as ${target}`);
    manager.on('diff', changed.poke);
    t.after(() => manager.off('diff', changed.poke));
    await sim.act(vm.uuid, target === 'Running' ? 'start' : 'hard_shutdown');
    await changed.done;
    assert.equal(manager.state(id).kind, 'connected', 'never dropped');
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeBefore);
  });

  for (const variant of [
    { name: 'null', full: false, reply: (): unknown => null },
    { name: 'a numeric token', full: true, reply: (r: unknown): unknown => ({ ...(r as object), token: 42 }) },
    { name: 'no token', full: true, reply: (r: unknown): unknown => ({ events: (r as { events: unknown }).events }) },
    { name: 'an empty token', full: false, reply: (r: unknown): unknown => ({ ...(r as object), token: '' }) },
  ]) {
    test(`event.from answering ${variant.name} backs off with a stated reason instead of reloading in a loop`, async (t) => {
      // A short event.from timeout, so the broken reply after an honest full load comes at once.
      const { manager, cleanup } = await makeManager(undefined, undefined, { ...FAST, eventTimeoutS: 0.1 });
      t.after(cleanup);
      const id = await addTrusted(manager, sim);
      const sessionsBefore = sim.stats().sessions;
      let eventCalls = 0;
      const states: PoolState[] = [];
      const CYCLES = 4;
      const reconnects = (): PoolState[] => states.filter((s) => s.kind === 'reconnecting');
      // Stops on enough reconnects, or on far more event.from calls than those cycles can need.
      const enough = until(() => reconnects().length >= CYCLES || eventCalls >= 200, `${CYCLES} reconnects`);
      sim.faults.tamperReplies((method, result) => {
        if (method !== 'event.from') return result;
        eventCalls++;
        enough.poke();
        // `full`: the first (token "") reply of each connection stays honest, the next one is broken.
        const first = typeof result === 'object' && result !== null && eventCalls % 2 === 1;
        return variant.full && first ? result : variant.reply(result);
      });
      t.after(() => sim.faults.tamperReplies(undefined));
      const onState = (e: { id: string; state: PoolState }): void => {
        if (e.id !== id) return;
        states.push(e.state);
        enough.poke();
      };
      manager.on('state', onState);
      t.after(() => manager.off('state', onState));
      manager.connect(id);
      await enough.done;
      const seen = reconnects();
      assert.ok(seen.length >= CYCLES, `reconnected ${seen.length} times after ${eventCalls} event.from calls`);
      const perCycle = variant.full ? 2 : 1;
      assert.ok(eventCalls <= perCycle * (seen.length + 1), `${eventCalls} event.from calls for ${seen.length} cycles`);
      for (const [i, s] of seen.slice(0, CYCLES).entries()) {
        assert.ok(s.kind === 'reconnecting');
        assert.match(s.reason, /malformed event reply/);
        assert.ok(s.retryInMs >= FAST.backoffBaseMs! / 2, `cycle ${i + 1} backs off (${s.retryInMs} ms)`);
        assert.equal(s.attempt, i + 1, 'the back-off grows');
      }
      await manager.disconnect(id);
      assert.equal(sim.stats().sessions, sessionsBefore, 'every dropped connection logged out');
    });
  }

  test('an unexpected error in the connection loop ends in a failed state, not an unhandled rejection', async (t) => {
    let throwOnce = true;
    const session = new PoolSession({
      poolId: 'p',
      address: parseAddress(hostAddress(sim)),
      username: sim.user,
      pins: new PinBook([{ address: sim.hosts[0]!.address, fingerprint: sim.hosts[0]!.fingerprint, source: 'user' }], () => undefined),
      password: () => sim.password,
      members: () => [],
      onMembers: () => undefined,
      onInventory: () => {
        if (!throwOnce) return;
        throwOnce = false;
        throw new Error('the owner broke');
      },
      onPasswordRejected: () => undefined,
      timing: FAST,
    });
    t.after(() => session.close());
    const failed = new Promise<PoolState>((resolve) => session.on('state', (s) => s.kind === 'failed' && resolve(s)));
    session.connect();
    const s = await failed;
    assert.ok(s.kind === 'failed');
    assert.equal(s.code, 'INTERNAL');
    assert.match(s.message, /the owner broke/);
    assert.deepEqual(session.lastFailure, { code: 'INTERNAL', message: s.message });
    const loaded = new Promise<void>((resolve) => session.once('loaded', resolve));
    session.connect();
    await loaded;
    assert.equal(session.state.kind, 'connected', 'Retry from failed works');
  });
});

describe('XAPI sessions are logged out before the agent goes', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ hosts: 2, vms: 2, vnc: 'synthetic' });
  });
  after(() => sim.stop());

  test('pool:remove', async (t) => {
    const base = sim.stats().sessions;
    const { manager, id } = await connectTrusted(t, sim);
    assert.equal(sim.stats().sessions, base + 1);
    await manager.remove(id);
    assert.equal(sim.stats().sessions, base, 'no session left open');
  });

  test('pool:edit with a new address', async (t) => {
    const base = sim.stats().sessions;
    const { manager, cleanup } = await makeManager();
    t.after(cleanup);
    const id = await addTrusted(manager, sim, { pinAll: true });
    manager.connect(id);
    await manager.waitReady(id);
    await manager.edit(id, { address: hostAddress(sim, 1) });
    await manager.waitReady(id);
    assert.equal(sim.stats().sessions, base + 1, 'only the new session is open');
    await manager.disconnect(id);
    assert.equal(sim.stats().sessions, base);
  });

  test('app quit and harness SIGTERM (services.close)', async (t) => {
    const base = sim.stats().sessions;
    const configDir = await mkdtemp(join(tmpdir(), 'porthole-quit-'));
    t.after(() => rm(configDir, { recursive: true, force: true }));
    const services = await startServices({ configDir, cipher: memoryOnlyCipher, allowedOrigins: [], harness: true });
    const manager = services.backend.manager;
    const ids = [await addTrusted(manager, sim, { name: 'a' }), await addTrusted(manager, sim, { name: 'b' })];
    for (const id of ids) manager.connect(id);
    for (const id of ids) await waitState(manager, id, (s) => s.kind === 'connected');
    for (const id of ids) await manager.waitReady(id);
    assert.equal(sim.stats().sessions, base + 2);
    await services.close();
    assert.equal(sim.stats().sessions, base, 'both sessions logged out');
  });
});
