// Consoles do not outlive their pool: through the real services wiring (startServices: bridge +
// backend + demo simulator with its in-process RFB servers), a console open over a real WebSocket is
// closed with the shutdown code (4013) when its pool is disconnected or removed, and a ticket issued
// before the disconnect is refused (410) afterwards. Also: services.close() resolves when nothing
// else keeps the process alive (it used to wait on an unref'd timer that never fired).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VmNode } from '../../shared/inventory';
import { memoryOnlyCipher } from '../../electron/core/secret-store';
import { startServices, type Services } from '../../electron/core/services';
import { RfbClient } from '../support/rfb-client';
import { closed, openPage, pageStream, upgradeStatus } from '../bridge/support/ws';

const ORIGIN = 'http://127.0.0.1:1';

async function withServices(run: (s: Services) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'porthole-pool-consoles-'));
  const services = await startServices({ configDir: dir, cipher: memoryOnlyCipher, allowedOrigins: [ORIGIN], harness: true, demoOptions: { hosts: 1, vms: 2 } });
  try {
    await run(services);
  } finally {
    await services.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function openRunningConsole(s: Services, poolId: string): Promise<{ ws: Awaited<ReturnType<typeof openPage>>; spare: string }> {
  await s.backend.manager.waitReady(poolId);
  const snap = await s.backend.handle('inventory:snapshot', undefined);
  const vm = snap.nodes.find((n): n is VmNode => n.kind === 'vm' && n.poolId === poolId && n.powerState === 'Running' && n.consoles.some((c) => c.protocol === 'rfb'));
  assert.ok(vm !== undefined, 'the demo pool has a running VM with a graphical console');
  const ticket = await s.backend.handle('console:open', { poolId, vmUuid: vm.uuid, protocol: 'rfb' });
  const spare = await s.backend.handle('console:open', { poolId, vmUuid: vm.uuid, protocol: 'rfb' });
  const ws = await openPage(ticket.url, { origin: ORIGIN });
  assert.equal(await new RfbClient(pageStream(ws)).readGreeting(), 'RFB 003.008\n');
  return { ws, spare: spare.url };
}

for (const action of ['pool:disconnect', 'pool:remove'] as const) {
  test(`${action} closes the pool's open consoles with 4013 and revokes its tickets`, { timeout: 30_000 }, async () => {
    await withServices(async (s) => {
      const { id } = await s.backend.handle('demo:start', undefined);
      const { ws, spare } = await openRunningConsole(s, id);
      const done = closed(ws);
      await s.backend.handle(action, { id });
      assert.deepEqual(await done, { closeCode: 4013, kind: 'shutdown', code: 'NOT_CONNECTED', message: 'The pool was disconnected.' });
      const url = new URL(spare);
      assert.equal(await upgradeStatus(Number(url.port), url.pathname, { origin: ORIGIN }), 410, 'a ticket issued before the disconnect is spent');
    });
  });
}
