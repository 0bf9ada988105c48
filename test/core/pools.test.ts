// Pools against the simulator (real TLS, real sockets): trust on first use, member pins, changed
// certificates refused before login, wrong passwords, HOST_IS_SLAVE, failover, session expiry,
// back-off (and Connect cutting it short), a password changed while connected, power actions,
// console source, and basic_text password storage.
import { describe, test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startSimulator } from '../../electron/sim/index';
import type { Simulator } from '../../electron/sim/types';
import type { PoolState } from '../../shared/contract';
import type { InventoryDiff, VmNode } from '../../shared/inventory';
import { applyDiff, stateFromSnapshot } from '../../shared/tree';
import type { PoolManager } from '../../electron/core/pool-manager';
import { aesGcmCipher } from './ciphers';
import { FAST, addTrusted, connectTrusted, hostAddress, makeManager, sleep, waitState } from './helpers';

const connected = (s: PoolState): boolean => s.kind === 'connected';

describe('a 3-host pool', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ hosts: 3, vms: 8, vnc: 'synthetic', powerOpMs: 50 });
  });
  after(() => sim.stop());

  test('trust on first use, then the members are pinned from the pool', async (t) => {
    const { manager, cleanup } = await makeManager();
    t.after(cleanup);
    const id = await manager.add({ name: 'lab', address: hostAddress(sim), username: sim.user, password: sim.password, remember: false });
    const logins = sim.stats().loginAttempts;
    manager.connect(id);
    const asked = await waitState(manager, id, (s) => s.kind === 'awaiting-trust');
    assert.ok(asked.kind === 'awaiting-trust');
    assert.equal(asked.reason, 'unknown');
    assert.equal(asked.address, sim.hosts[0]!.address);
    assert.equal(asked.certificate.fingerprint, sim.hosts[0]!.fingerprint);
    assert.equal(sim.stats().loginAttempts, logins, 'no credential before the user trusts');
    assert.throws(() => manager.trust(id, asked.address, sim.hosts[1]!.fingerprint), { code: 'INVALID_ARGUMENT' });
    manager.trust(id, asked.address, asked.certificate.fingerprint.toLowerCase());
    await manager.waitReady(id);
    assert.deepEqual(manager.state(id), { kind: 'connected', master: sim.hosts[0]!.address });
    const pins = manager.certificates(id);
    assert.deepEqual(
      pins.map((p) => [p.address, p.fingerprint, p.source]),
      sim.hosts.map((h, i) => [h.address, h.fingerprint, i === 0 ? 'user' : 'pool']),
    );
    const snap = manager.snapshot();
    assert.equal(snap.nodes.filter((n) => n.kind === 'host').length, 3);
    assert.equal(snap.nodes.filter((n) => n.kind === 'vm').length, 8);
    assert.equal(snap.nodes.filter((n) => n.kind === 'pool').length, 1);
  });

  test('wrong password: stops at needs-password after exactly one login', async (t) => {
    const { manager, cleanup } = await makeManager();
    t.after(cleanup);
    const id = await addTrusted(manager, sim, { password: 'not-the-password' });
    const logins = sim.stats().loginAttempts;
    manager.connect(id);
    await assert.rejects(manager.waitReady(id), { code: 'WRONG_PASSWORD' });
    assert.equal(manager.state(id).kind, 'needs-password');
    // The connect loop has ended: nothing logs in again until the user gives a password.
    while (manager.attempting(id)) await sleep(5);
    assert.equal(sim.stats().loginAttempts, logins + 1, 'no retry loop');
    assert.equal(manager.list()[0]!.password, 'none', 'the rejected password is forgotten');
    manager.connect(id, sim.password);
    await manager.waitReady(id);
  });

  test('HOST_IS_SLAVE from a member is followed to the master', async (t) => {
    const { manager, cleanup } = await makeManager();
    t.after(cleanup);
    const id = await addTrusted(manager, sim, { index: 2, pinAll: true });
    manager.connect(id);
    await manager.waitReady(id);
    assert.deepEqual(manager.state(id), { kind: 'connected', master: sim.hosts[0]!.address });
  });

  test('a master named by HOST_IS_SLAVE with no pin is asked about, not logged in to', async (t) => {
    const { manager, cleanup } = await makeManager();
    t.after(cleanup);
    const member = sim.hosts[1]!;
    const id = await manager.add(
      { name: 'via-member', address: hostAddress(sim, 1), username: sim.user, password: sim.password, remember: false },
      { pins: [{ address: member.address, fingerprint: member.fingerprint, source: 'user' }] },
    );
    manager.connect(id);
    await assert.rejects(manager.waitReady(id), { code: 'CERT_UNTRUSTED' });
    const s = manager.state(id);
    assert.ok(s.kind === 'awaiting-trust');
    assert.equal(s.address, sim.hosts[0]!.address);
    assert.equal(s.certificate.fingerprint, sim.hosts[0]!.fingerprint);
  });

  test('power actions run as tasks, are offered only when allowed, and arrive as small diffs', async (t) => {
    const { manager, id } = await connectTrusted(t, sim);
    const page = stateFromSnapshot(manager.snapshot());
    const diffs: InventoryDiff[] = [];
    manager.on('diff', (d) => {
      diffs.push(d);
      assert.ok(applyDiff(page, d), 'diffs chain from the snapshot version');
    });
    const halted = [...page.nodes.values()].find((n): n is VmNode => n.kind === 'vm' && n.powerState === 'Halted');
    assert.ok(halted !== undefined);
    assert.deepEqual(halted.allowedActions.includes('start'), true);
    await assert.rejects(manager.vmAction(id, halted.uuid, 'clean_shutdown'), { code: 'OPERATION_NOT_ALLOWED' });
    await manager.vmAction(id, halted.uuid, 'start');
    const deadline = Date.now() + 5_000;
    while ((page.nodes.get(halted.id) as VmNode).powerState !== 'Running' && Date.now() < deadline) await sleep(20);
    const after = page.nodes.get(halted.id) as VmNode;
    assert.equal(after.powerState, 'Running');
    assert.ok(after.hostId !== undefined, 'a running VM sits under its host');
    assert.ok(diffs.every((d) => d.upserts.length + d.removes.length < 10), 'diffs carry only what changed');
    assert.deepEqual(
      [...page.nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
      manager.snapshot().nodes.sort((a, b) => a.id.localeCompare(b.id)),
      'snapshot + diffs equal a fresh snapshot',
    );
    await assert.rejects(manager.vmAction(id, '00000000-0000-0000-0000-000000000000', 'start'), { code: 'UNKNOWN_VM' });
    await manager.vmAction(id, halted.uuid, 'hard_shutdown');
  });

  test('console source: current console, session id, re-login, pins', async (t) => {
    const { manager, id } = await connectTrusted(t, sim);
    const source = manager.consoleSource(id);
    const running = manager.snapshot().nodes.find((n): n is VmNode => n.kind === 'vm' && n.powerState === 'Running' && n.consoles.some((c) => c.protocol === 'rfb'));
    assert.ok(running !== undefined);
    const up = await source.resolve(running.uuid, 'rfb');
    const simVm = sim.vm(running.uuid);
    assert.equal(up.location, simVm.consoles.find((c) => c.protocol === 'rfb')!.location);
    assert.equal(up.vmName, running.name);
    const halted = manager.snapshot().nodes.find((n): n is VmNode => n.kind === 'vm' && n.powerState === 'Halted');
    if (halted !== undefined) await assert.rejects(source.resolve(halted.uuid, 'rfb'), { code: 'VM_NOT_RUNNING' });
    await assert.rejects(source.resolve('00000000-0000-0000-0000-000000000000', 'rfb'), { code: 'UNKNOWN_VM' });
    const first = source.sessionId();
    assert.match(first, /^OpaqueRef:/);
    const second = await source.refreshSession();
    assert.notEqual(second, first);
    assert.equal(source.pin(sim.hosts[2]!.address, sim.port), sim.hosts[2]!.fingerprint);
    assert.throws(() => manager.consoleSource('nope'), { code: 'UNKNOWN_POOL' });
  });

  test('the tree goes out before the members are pinned; a console lookup waits for its host pin', async (t) => {
    const { manager, cleanup } = await makeManager();
    t.after(cleanup);
    t.after(() => sim.faults.holdCalls(undefined));
    const id = await addTrusted(manager, sim);
    sim.faults.holdCalls('host.get_server_certificate');
    const firstDiff = new Promise<InventoryDiff>((resolve) => manager.once('diff', resolve));
    manager.connect(id);
    const diff = await firstDiff;
    assert.equal(sim.faults.heldCalls(), 0, 'no certificate call was sent before the tree went out (its replies would compete with sending it)');
    assert.equal(diff.upserts.filter((n) => n.kind === 'vm').length, 8, 'every VM is sent while the certificate calls are held');
    assert.deepEqual(manager.certificates(id).map((p) => p.address), [sim.hosts[0]!.address], 'only the master is pinned so far');
    const master = manager.snapshot().nodes.find((n) => n.kind === 'host' && n.address === sim.hosts[0]!.address)!;
    const onMember = manager.snapshot().nodes.find((n): n is VmNode => n.kind === 'vm' && n.powerState === 'Running' && n.hostId !== undefined && n.hostId !== master.id && n.consoles.some((c) => c.protocol === 'rfb'));
    assert.ok(onMember !== undefined, 'a running VM on a member');
    let settled = false;
    const lookup = manager.consoleSource(id).resolve(onMember.uuid, 'rfb').finally(() => (settled = true));
    const ready = manager.waitReady(id);
    // The certificate calls are held at the simulator; an inventory-only lookup would have settled by now.
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, 'the console lookup waits for the member pins');
    sim.faults.holdCalls(undefined);
    const up = await lookup;
    await ready;
    const memberHost = new URL(up.location).hostname;
    assert.notEqual(memberHost, sim.hosts[0]!.address);
    assert.equal(manager.consoleSource(id).pin(memberHost, sim.port), sim.hosts.find((h) => h.address === memberHost)!.fingerprint, 'its host is pinned when the lookup answers');
  });

  test('an unreachable host backs off with jitter, capped, and says so', async (t) => {
    const { manager, cleanup } = await makeManager();
    t.after(cleanup);
    const id = await manager.add(
      { name: 'gone', address: `127.0.0.99:${sim.port}`, username: 'root', password: 'x', remember: false },
      { pins: [{ address: '127.0.0.99', fingerprint: sim.hosts[0]!.fingerprint, source: 'user' }] },
    );
    const seen: Extract<PoolState, { kind: 'reconnecting' }>[] = [];
    manager.on('state', (e) => {
      if (e.state.kind === 'reconnecting') seen.push(e.state);
    });
    manager.connect(id);
    await waitState(manager, id, (s) => s.kind === 'reconnecting' && s.attempt >= 4, 8_000);
    await manager.disconnect(id);
    assert.deepEqual(seen.map((s) => s.attempt).slice(0, 4), [1, 2, 3, 4]);
    for (const s of seen) {
      assert.match(s.reason, /127\.0\.0\.99/);
      assert.ok(s.retryInMs >= FAST.backoffBaseMs! / 2 && s.retryInMs <= FAST.backoffCapMs!, `retry ${s.retryInMs} within bounds`);
    }
  });
});

/**
 * A one-host pool, connected, whose reconnect back-off (10 min) is longer than any test: only an
 * outcome that needs no retry, or the user's Connect, can move it on in time.
 */
async function connectedWithLongBackoff(t: TestContext): Promise<{ sim: Simulator; manager: PoolManager; id: string }> {
  const sim = await startSimulator({ hosts: 1, vms: 3, vnc: 'synthetic', powerOpMs: 50 });
  t.after(() => sim.stop());
  const { manager, cleanup } = await makeManager(undefined, undefined, { ...FAST, backoffBaseMs: 600_000, backoffCapMs: 600_000 });
  t.after(cleanup);
  const id = await addTrusted(manager, sim);
  manager.connect(id);
  await manager.waitReady(id);
  return { sim, manager, id };
}

describe('faults that change the pool', () => {
  test('a changed certificate is refused before login; trust() cannot override it', async (t) => {
    const sim = await startSimulator({ hosts: 2, vms: 2, vnc: 'synthetic' });
    t.after(() => sim.stop());
    const first = await makeManager();
    const id = await addTrusted(first.manager, sim);
    first.manager.connect(id);
    await first.manager.waitReady(id);
    await first.manager.close();
    const oldFp = sim.hosts[0]!.fingerprint;
    const newFp = await sim.faults.rotateCertificate(sim.hosts[0]!.name);
    // Next start, same config: the pin no longer matches.
    const { manager, cleanup } = await makeManager(undefined, first.dir);
    t.after(async () => {
      await cleanup();
      await first.cleanup();
    });
    const logins = sim.stats().loginAttempts;
    manager.connect(id, sim.password);
    await assert.rejects(manager.waitReady(id), { code: 'CERT_CHANGED' });
    const s = manager.state(id);
    assert.ok(s.kind === 'awaiting-trust');
    assert.equal(s.reason, 'changed');
    assert.equal(s.previousFingerprint, oldFp);
    assert.equal(s.certificate.fingerprint, newFp);
    assert.equal(sim.stats().loginAttempts, logins, 'no login request reached the host');
    assert.throws(() => manager.trust(id, s.address, newFp), { code: 'CERT_CHANGED' });
    // The explicit path: remove the old pin, see the certificate as unknown, trust it.
    manager.forgetCertificate(id, s.address);
    const fresh = await waitState(manager, id, (x) => x.kind === 'awaiting-trust' && x.reason === 'unknown');
    assert.ok(fresh.kind === 'awaiting-trust');
    assert.equal(fresh.certificate.fingerprint, newFp);
    manager.trust(id, fresh.address, newFp);
    await manager.waitReady(id);
  });

  test('master failover is recovered through the pinned member, without a prompt', async (t) => {
    const sim = await startSimulator({ hosts: 3, vms: 4, vnc: 'synthetic' });
    t.after(() => sim.stop());
    const { manager, id } = await connectTrusted(t, sim);
    const kinds: string[] = [];
    manager.on('state', (e) => kinds.push(e.state.kind));
    await sim.faults.failover(sim.hosts[1]!.name);
    const s = await waitState(manager, id, (x) => x.kind === 'connected' && x.master === sim.hosts[1]!.address, 15_000);
    assert.ok(connected(s));
    assert.ok(kinds.includes('reconnecting'));
    assert.ok(!kinds.includes('awaiting-trust'), 'the member pin made the new master trusted');
    assert.equal(manager.snapshot().nodes.filter((n) => n.kind === 'host').length, 3);
    // The pinned certificate of the new master came from the pool, not from a prompt.
    assert.equal(manager.certificates(id).find((p) => p.address === sim.hosts[1]!.address)?.source, 'pool');
  });

  test('expired sessions are renewed silently; events keep flowing', async (t) => {
    const sim = await startSimulator({ hosts: 1, vms: 3, vnc: 'synthetic', powerOpMs: 50 });
    t.after(() => sim.stop());
    const { manager, id } = await connectTrusted(t, sim);
    const kinds: string[] = [];
    manager.on('state', (e) => kinds.push(e.state.kind));
    const logins = sim.stats().loginAttempts;
    sim.faults.expireSessions();
    const vm = manager.snapshot().nodes.find((n): n is VmNode => n.kind === 'vm')!;
    const target = vm.powerState === 'Running' ? 'Halted' : 'Running';
    const changed = new Promise<void>((resolve) => {
      manager.on('diff', (d) => {
        if (d.upserts.some((n) => n.id === vm.id && n.kind === 'vm' && n.powerState === target)) resolve();
      });
    });
    await sim.act(vm.uuid, target === 'Running' ? 'start' : 'hard_shutdown');
    await changed;
    assert.deepEqual(kinds, [], 'stayed connected');
    assert.ok(sim.stats().loginAttempts > logins, 'logged in again');
    await manager.vmAction(id, vm.uuid, target === 'Running' ? 'hard_shutdown' : 'start');
  });

  test('a password changed at the pool while connected: needs-password after one refused re-login, however long the back-off', async (t) => {
    const { sim, manager, id } = await connectedWithLongBackoff(t);
    sim.addUser(sim.user, 'changed-at-the-pool', 'pool-admin');
    const logins = sim.stats().loginAttempts;
    sim.faults.expireSessions();
    const s = await waitState(manager, id, (x) => x.kind === 'needs-password');
    assert.match(s.kind === 'needs-password' ? s.message : '', /rejected the user name or password/);
    assert.equal(sim.stats().loginAttempts, logins + 1, 'the stored password was tried once, not again');
    assert.equal(manager.find(id)?.password, 'none', 'the rejected password is forgotten');
  });

  test('Connect while reconnecting tries at once instead of waiting out the back-off', async (t) => {
    const { sim, manager, id } = await connectedWithLongBackoff(t);
    await sim.faults.stopHost(sim.hosts[0]!.name);
    await waitState(manager, id, (x) => x.kind === 'reconnecting' && x.retryInMs >= 300_000);
    await sim.faults.startHost(sim.hosts[0]!.name);
    const logins = sim.stats().loginAttempts;
    manager.connect(id);
    await waitState(manager, id, (x) => x.kind === 'connected');
    assert.equal(sim.stats().loginAttempts, logins + 1);
  });

  test('HOST_STILL_BOOTING is retried with back-off', async (t) => {
    const sim = await startSimulator({ hosts: 1, vms: 1, vnc: 'synthetic' });
    t.after(() => sim.stop());
    const { manager, cleanup } = await makeManager();
    t.after(cleanup);
    const id = await addTrusted(manager, sim);
    // Booting until the session has backed off once (an event, not a clock race), then booted.
    const host = sim.hosts[0]!.name;
    sim.faults.stillBooting(host, Number.POSITIVE_INFINITY);
    const reasons: string[] = [];
    manager.on('state', (e) => {
      if (e.state.kind !== 'reconnecting') return;
      reasons.push(e.state.reason);
      if (reasons.length === 2) sim.faults.stillBooting(host, 0);
    });
    manager.connect(id);
    await waitState(manager, id, connected, 10_000);
    assert.ok(reasons.length >= 2, 'retried while the host was booting');
    assert.match(reasons[0]!, /still starting/);
    assert.match(reasons[1]!, /still starting/);
  });

  test('basic_text: memory only with a reason, saved only after opting in, never in clear', async (t) => {
    const sim = await startSimulator({ hosts: 1, vms: 1, vnc: 'synthetic' });
    t.after(() => sim.stop());
    const cipher = aesGcmCipher('basic_text');
    const first = await makeManager(cipher);
    // The second manager reuses the first one's folder: it must close before that folder goes (it may
    // still be writing the config; removing the folder under it failed with ENOTEMPTY and left it open).
    const reused: { manager?: Awaited<ReturnType<typeof makeManager>> } = {};
    t.after(async () => {
      await reused.manager?.cleanup();
      await first.cleanup();
    });
    const id = await addTrusted(first.manager, sim, { name: 'kept' });
    await first.manager.edit(id, { remember: true });
    let summary = first.manager.find(id)!;
    assert.equal(summary.password, 'memory');
    assert.match(summary.passwordNote ?? '', /keyring/);
    let text = await readFile(join(first.dir, 'config.json'), 'utf8');
    assert.ok(!text.includes(sim.password));
    assert.ok(!/"secret"/.test(text), 'nothing stored without the opt-in');
    await first.manager.edit(id, { allowPlainTextStorage: true });
    summary = first.manager.find(id)!;
    assert.equal(summary.password, 'saved');
    text = await readFile(join(first.dir, 'config.json'), 'utf8');
    assert.ok(/"secret"/.test(text));
    assert.ok(!text.includes(sim.password), 'sealed, not in clear');
    await first.manager.close();
    // A later start with the same keyring connects without asking.
    const second = (reused.manager = await makeManager(cipher, first.dir));
    assert.equal(second.manager.find(id)!.password, 'saved');
    second.manager.connect(id);
    await second.manager.waitReady(id);
    // A real keychain stores directly.
    const os = await makeManager(aesGcmCipher('kwallet'));
    t.after(os.cleanup);
    const id2 = await os.manager.add({ name: 'k', address: hostAddress(sim), username: 'root', password: 'pw-123', remember: true });
    assert.equal(os.manager.find(id2)!.password, 'saved');
  });
});
