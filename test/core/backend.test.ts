// The backend behind the IPC contract: argument guards, push events, the demo pool, no secrets out.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackend } from '../../electron/core/backend';
import { memoryOnlyCipher } from '../../electron/core/secret-store';
import { startSimulator } from '../../electron/sim/index';
import type { EventChannel } from '../../shared/contract';
import type { InventorySnapshot, VmNode } from '../../shared/inventory';
import { FAST } from './helpers';

const sim = await startSimulator({ hosts: 2, vms: 3, vnc: 'synthetic' });
const dir = await mkdtemp(join(tmpdir(), 'porthole-backend-'));
after(async () => {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

test('guards, demo pool, events, and no secret in any reply', async (t) => {
  const master = sim.hosts[0]!;
  const backend = await createBackend({
    configDir: dir,
    secrets: memoryOnlyCipher,
    timing: FAST,
    demo: () => Promise.resolve({ address: `${master.address}:${sim.port}`, user: sim.user, password: sim.password, fingerprint: master.fingerprint }),
  });
  t.after(() => backend.close());
  const events: { channel: EventChannel; payload: unknown }[] = [];
  backend.on((channel, payload) => events.push({ channel, payload }));

  for (const [channel, arg] of [
    ['pool:add', { name: 'x', address: 'h', username: 'u' }],
    ['pool:add', { name: 'x\u0000', address: 'h', username: 'u', remember: false }],
    ['pool:trust', { id: 'a', address: 'h', fingerprint: 'zz' }],
    ['vm:action', { poolId: 'a', vmUuid: 'not-a-uuid', action: 'start' }],
    ['vm:action', { poolId: 'a', vmUuid: '00000000-0000-0000-0000-000000000000', action: 'destroy' }],
    ['ui:set', { tabs: 'no' }],
    ['pool:list', 42],
    ['nope:channel', undefined],
  ] as const) {
    await assert.rejects(backend.handle(channel as 'pool:add', arg), { code: 'INVALID_ARGUMENT' }, `${channel} ${JSON.stringify(arg)}`);
  }
  await assert.rejects(backend.handle('pool:connect', { id: 'missing' }), { code: 'UNKNOWN_POOL' });

  const info = await backend.handle('app:info', undefined);
  assert.equal(info.secretBackend, 'unavailable');

  const { id } = await backend.handle('demo:start', undefined);
  await backend.manager.waitReady(id);
  const snap: InventorySnapshot = await backend.handle('inventory:snapshot', undefined);
  assert.equal(snap.nodes.filter((n) => n.kind === 'vm').length, 3);
  const list = await backend.handle('pool:list', undefined);
  assert.equal(list[0]?.demo, true);
  assert.ok(events.some((e) => e.channel === 'pool:state'));
  assert.ok(events.some((e) => e.channel === 'inventory:diff'));
  assert.deepEqual((await backend.handle('pool:certificates', { id })).map((p) => p.address), sim.hosts.map((h) => h.address));
  const vmUuid = snap.nodes.find((n): n is VmNode => n.kind === 'vm')!.uuid;
  await assert.rejects(backend.handle('console:open', { poolId: id, vmUuid, protocol: 'rfb' }), { code: 'CONSOLE_ERROR' }, 'no bridge injected');

  await backend.handle('ui:set', { tabs: [{ poolId: id, vmUuid, protocol: 'rfb' }], treeWidth: 300 });
  assert.equal((await backend.handle('ui:get', undefined)).treeWidth, 300);

  const everything = JSON.stringify(events) + JSON.stringify(list) + JSON.stringify(snap) + (await readFile(join(dir, 'config.json'), 'utf8'));
  assert.ok(!everything.includes(sim.password), 'no password anywhere');
  assert.ok(!everything.includes(backend.manager.consoleSource(id).sessionId()), 'no session id anywhere');
  assert.ok(!(await readFile(join(dir, 'config.json'), 'utf8')).includes('Demo pool'), 'the demo pool is not persisted');
});
