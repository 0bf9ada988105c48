/**
 * Events, tasks and errors as xapi shapes them: event.from (token "", blocking, per-object
 * subscriptions, EVENTS_LOST, SESSION_INVALID after a toolstack restart), power operations with their
 * allowed_operations, Async tasks, RBAC and the error parameter lists.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSimulator } from '../../electron/sim';
import type { Simulator } from '../../electron/sim/types';
import { OWN_DUMPS_DIR, jsonRpc, login, makeXapi, ok, waitFor } from './support';

interface Ev { id: string; class: string; operation: string; ref: string; snapshot?: Record<string, unknown> }
interface From { events: Ev[]; valid_ref_counts: Record<string, number>; token: string }

describe('events and power operations', () => {
  let sim: Simulator;
  let session: string;
  before(async () => {
    sim = await startSimulator({ db: join(OWN_DUMPS_DIR, 'three-host-pool.xml'), powerOpMs: 60, vnc: 'synthetic' });
    session = await login(sim);
  });
  after(() => sim.stop());

  const from = async (classes: string[], token: string, timeout: number): Promise<From> => ok(await jsonRpc(sim, 'event.from', [session, classes, token, timeout])) as From;

  test('token "" returns every object as an add, with counts and a token', async () => {
    const r = await from(['VM'], '', 0);
    const vms = ok(await jsonRpc(sim, 'VM.get_all', [session])) as string[];
    assert.equal(r.events.length, vms.length);
    assert.ok(r.events.every((e) => e.operation === 'add' && e.class === 'vm' && e.snapshot !== undefined));
    assert.equal(r.valid_ref_counts.vm, vms.length);
    assert.equal(r.valid_ref_counts.task, 0);
    assert.match(r.token, /^\d{20},\d{20}$/);
  });

  test('a power-state change arrives through event.from, consoles as add events', async () => {
    const poolRef = Object.keys(ok(await jsonRpc(sim, 'pool.get_all_records', [session])) as object)[0]!;
    let token = ok(await jsonRpc(sim, 'event.inject', [session, 'pool', poolRef])) as string;
    const vm = sim.vm('centos-halted');
    const pending = sim.act('centos-halted', 'start');
    let running = false;
    const consoleAdds: string[] = [];
    const deadline = Date.now() + 5000;
    while (!running && Date.now() < deadline) {
      const r = await from(['vm', 'console'], token, 5);
      token = r.token;
      for (const e of r.events) {
        if (e.class === 'vm' && e.ref === vm.ref && e.snapshot?.power_state === 'Running') running = true;
        if (e.class === 'console' && e.operation === 'add' && e.snapshot?.VM === vm.ref) consoleAdds.push(e.ref);
      }
    }
    await pending;
    assert.ok(running, 'saw the VM running');
    assert.deepEqual(consoleAdds.sort(), sim.vm('centos-halted').consoles.map((c) => c.ref).sort());
    await sim.act('centos-halted', 'hard_shutdown');
    const r = await from(['console'], token, 1);
    assert.deepEqual(r.events.filter((e) => e.operation === 'del').map((e) => e.ref).sort(), consoleAdds.sort());
  });

  test('an object subscription sees only that object; an idle call waits for its timeout', async () => {
    const a = sim.vm('win-desktop');
    const start = ok(await jsonRpc(sim, 'event.from', [session, [`vm/${a.ref}`], '', 0])) as From;
    assert.deepEqual(start.events.map((e) => e.ref), [a.ref]);
    const t0 = Date.now();
    const idle = await from([`VM/${a.ref}`], start.token, 0.4);
    assert.ok(Date.now() - t0 >= 350, 'blocked until the timeout');
    assert.deepEqual(idle.events, []);
    const other = sim.vm('ubuntu-nodrivers');
    const p = from([`vm/${a.ref}`], start.token, 3);
    await jsonRpc(sim, 'VM.add_to_other_config', [session, other.ref, 'k', 'v']);
    await jsonRpc(sim, 'VM.add_to_other_config', [session, a.ref, 'k', 'v']);
    const r = await p;
    assert.deepEqual([...new Set(r.events.map((e) => e.ref))], [a.ref]);
  });

  test('EVENTS_LOST when the token is older than the retained history', async () => {
    const poolRef = Object.keys(ok(await jsonRpc(sim, 'pool.get_all_records', [session])) as object)[0]!;
    const token = ok(await jsonRpc(sim, 'event.inject', [session, 'pool', poolRef])) as string;
    sim.faults.forgetEvents();
    const r = await jsonRpc(sim, 'event.from', [session, ['*'], token, 1]);
    assert.deepEqual(r, { ok: false, code: 'EVENTS_LOST', params: [] });
    assert.equal((await jsonRpc(sim, 'event.from', [session, ['*'], 'garbage', 1])).ok, false);
  });

  test('allowed_operations and VM_BAD_POWER_STATE / VM_LACKS_FEATURE / OPERATION_NOT_ALLOWED', async () => {
    const running = sim.vm('debian-web');
    const rec = ok(await jsonRpc(sim, 'VM.get_record', [session, running.ref])) as Record<string, unknown>;
    assert.ok((rec.allowed_operations as string[]).includes('clean_shutdown'));
    assert.ok(!(rec.allowed_operations as string[]).includes('start'));
    assert.deepEqual(await jsonRpc(sim, 'VM.start', [session, running.ref, false, false]), { ok: false, code: 'VM_BAD_POWER_STATE', params: [running.ref, 'halted', 'running'] });
    const noDrivers = sim.vm('ubuntu-nodrivers');
    assert.deepEqual(await jsonRpc(sim, 'VM.clean_shutdown', [session, noDrivers.ref]), { ok: false, code: 'VM_LACKS_FEATURE', params: [noDrivers.ref] });
    const template = sim.vm('Debian Bookworm 12');
    assert.equal((await jsonRpc(sim, 'VM.start', [session, template.ref, false, false]) as { code?: string }).code, 'VM_IS_TEMPLATE');
    const suspended = sim.vm('win-suspended');
    assert.deepEqual(await jsonRpc(sim, 'VM.suspend', [session, suspended.ref]), { ok: false, code: 'VM_BAD_POWER_STATE', params: [suspended.ref, 'running', 'suspended'] });
  });

  test('Async task: pending → success, current_operations while it runs', async () => {
    const vm = sim.vm('win-suspended');
    // Held, so the checks below see the operation under way however slowly the machine runs.
    sim.faults.holdPowerOps(true);
    const task = ok(await jsonRpc(sim, 'Async.VM.resume', [session, vm.ref, false, false])) as string;
    const during = ok(await jsonRpc(sim, 'VM.get_current_operations', [session, vm.ref])) as Record<string, string>;
    assert.deepEqual(during, { [task]: 'resume' });
    assert.deepEqual(ok(await jsonRpc(sim, 'VM.get_allowed_operations', [session, vm.ref])), []);
    assert.equal(ok(await jsonRpc(sim, 'task.get_status', [session, task])), 'pending');
    const busy = await jsonRpc(sim, 'VM.hard_shutdown', [session, vm.ref]);
    assert.equal(busy.ok ? '' : busy.code, 'OTHER_OPERATION_IN_PROGRESS');
    sim.faults.holdPowerOps(false);
    let status = 'pending';
    // Polled until it finishes; the test's own timeout bounds it (no deadline racing the clock).
    while (status === 'pending') {
      await new Promise((r) => setTimeout(r, 20));
      status = ok(await jsonRpc(sim, 'task.get_status', [session, task])) as string;
    }
    assert.equal(status, 'success');
    const t = ok(await jsonRpc(sim, 'task.get_record', [session, task])) as Record<string, unknown>;
    assert.equal(t.progress, 1);
    assert.deepEqual(t.error_info, []);
    assert.equal(sim.vm('win-suspended').powerState, 'Running');
    assert.equal(sim.vm('win-suspended').consoles.length, 1);
    ok(await jsonRpc(sim, 'task.destroy', [session, task]));
    assert.deepEqual(await jsonRpc(sim, 'task.get_record', [session, task]), { ok: false, code: 'HANDLE_INVALID', params: ['task', task] });
  });

  test('Async task failure carries the error in error_info', async () => {
    const vm = sim.vm('debian-web');
    const task = ok(await jsonRpc(sim, 'Async.VM.resume', [session, vm.ref, false, false])) as string;
    const t = ok(await jsonRpc(sim, 'task.get_record', [session, task])) as Record<string, unknown>;
    assert.equal(t.status, 'failure');
    assert.deepEqual(t.error_info, ['VM_BAD_POWER_STATE', vm.ref, 'suspended', 'running']);
  });

  test('errors: unknown method, bad handle, bad uuid, bad password, read-only user', async () => {
    assert.deepEqual(await jsonRpc(sim, 'VM.fly', [session]), { ok: false, code: 'MESSAGE_METHOD_UNKNOWN', params: ['VM.fly'] });
    assert.deepEqual(await jsonRpc(sim, 'VM.get_record', [session, 'OpaqueRef:nope']), { ok: false, code: 'HANDLE_INVALID', params: ['VM', 'OpaqueRef:nope'] });
    assert.deepEqual(await jsonRpc(sim, 'VM.get_by_uuid', [session, 'nope']), { ok: false, code: 'UUID_INVALID', params: ['VM', 'nope'] });
    assert.deepEqual(await jsonRpc(sim, 'VM.get_record', ['OpaqueRef:bad', sim.vm('debian-web').ref]), { ok: false, code: 'SESSION_INVALID', params: ['OpaqueRef:bad'] });
    assert.deepEqual(await jsonRpc(sim, 'session.login_with_password', [sim.user, 'wrong']), { ok: false, code: 'SESSION_AUTHENTICATION_FAILED', params: [sim.user, 'Authentication failure'] });
    assert.equal((await jsonRpc(sim, 'VM.start', [session])).ok, false);
    sim.addUser('viewer', 'pw', 'read-only');
    const ro = await login(sim, 'viewer', 'pw');
    assert.ok(Object.keys(ok(await jsonRpc(sim, 'VM.get_all_records', [ro])) as object).length > 0);
    const denied = await jsonRpc(sim, 'VM.hard_shutdown', [ro, sim.vm('debian-web').ref]);
    assert.equal(denied.ok ? '' : denied.code, 'RBAC_PERMISSION_DENIED');
    const methods = ok(await jsonRpc(sim, 'system.listMethods', [])) as string[];
    for (const cls of ['pool', 'host', 'VM', 'console', 'task', 'VM_metrics', 'VM_guest_metrics', 'host_metrics']) assert.ok(methods.includes(`${cls}.get_all_records`), cls);
  });

  test('host.get_server_certificate returns the PEM the host serves', async () => {
    for (const h of sim.hosts) assert.equal(ok(await jsonRpc(sim, 'host.get_server_certificate', [session, h.ref])), h.certificatePem);
  });

  test('xen-api: its own event loop, callAsync and barrier work against the simulator', async (t) => {
    const xapi = makeXapi(sim);
    t.after(() => xapi.disconnect());
    await xapi.connect();
    await xapi.objectsFetched;
    const vm = sim.vm('centos-halted');
    assert.equal(await xapi.callAsync('VM.start', vm.ref, false, false), '');
    const cached = (await xapi.barrier(vm.ref)) as Record<string, unknown>;
    assert.equal(cached.power_state, 'Running');
    await xapi.callAsync('VM.hard_shutdown', vm.ref);
    assert.equal(((await xapi.barrier(vm.ref)) as Record<string, unknown>).power_state, 'Halted');
  });

  test('SESSION_INVALID after expireSessions, also for a blocked event.from', { timeout: 20_000 }, async () => {
    const s = await login(sim);
    const initial = ok(await jsonRpc(sim, 'event.from', [s, ['vm'], '', 0])) as From;
    const waiting = sim.stats().blockedEventCalls;
    const blocked = jsonRpc(sim, 'event.from', [s, ['vm'], initial.token, 30]);
    await waitFor(() => sim.stats().blockedEventCalls > waiting, 5000, 'event.from to block at the simulator');
    sim.faults.expireSessions();
    // Answered at once (the call would otherwise block for its 30 s timeout, past the test's bound).
    assert.deepEqual(await blocked, { ok: false, code: 'SESSION_INVALID', params: [s] });
    assert.deepEqual(await jsonRpc(sim, 'VM.get_all', [session]), { ok: false, code: 'SESSION_INVALID', params: [session] });
    session = await login(sim);
  });
});
