// A console open while its VM migrates or hard-reboots ends as "moved" (4012, the tab opens a new
// ticket at once), not "closed" (4010): through the real pool manager's console source, the bridge and
// the simulator, whose migration and reboot cut the stream and replace the console rows exactly when
// xapi does (before the inventory's next event.from can tell the app).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createBridge, type Bridge } from '../../electron/core/bridge';
import type { PoolManager } from '../../electron/core/pool-manager';
import { startSimulator } from '../../electron/sim';
import type { Simulator } from '../../electron/sim/types';
import { addTrusted, makeManager } from '../core/helpers';
import { RfbClient } from '../support/rfb-client';
import { closed, openPage, PAGE_ORIGIN, pageStream } from '../bridge/support/ws';

const VM = 'web-1';

describe('a console open across a migration and a hard reboot', () => {
  let sim: Simulator;
  let manager: PoolManager;
  let poolId: string;
  let bridge: Bridge;
  let cleanup: () => Promise<void>;

  before(async () => {
    sim = await startSimulator({ hosts: 2, vms: 6, vnc: 'synthetic', powerOpMs: 20 });
    const m = await makeManager();
    manager = m.manager;
    cleanup = m.cleanup;
    poolId = await addTrusted(manager, sim, { pinAll: true });
    manager.connect(poolId);
    await manager.waitReady(poolId);
    bridge = await createBridge({ allowedOrigins: [PAGE_ORIGIN] });
  });
  after(async () => {
    await bridge.close();
    await cleanup();
    await sim.stop();
  });

  /**
   * Opens the VM's console (once the inventory shows the console row the simulator has now), reads
   * the handshake and returns the promise of its close.
   */
  async function openConsole(): Promise<{ end: ReturnType<typeof closed> }> {
    const want = sim.vm(VM).consoles.find((c) => c.protocol === 'rfb')?.uuid;
    const source = manager.consoleSource(poolId);
    for (;;) {
      const now = await source.resolve(sim.vm(VM).uuid, 'rfb').catch(() => undefined);
      if (now?.consoleUuid === want) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const ticket = await bridge.openConsole(source, { poolId, vmUuid: sim.vm(VM).uuid, protocol: 'rfb' });
    const ws = await openPage(ticket.url);
    const end = closed(ws);
    await new RfbClient(pageStream(ws)).handshake('3.8');
    return { end };
  }

  /** The simulator host the VM's console is served from now. */
  const consoleHost = (): string => {
    const c = sim.vm(VM).consoles.find((x) => x.protocol === 'rfb');
    const host = sim.hosts.find((h) => c !== undefined && h.address === new URL(c.location).hostname);
    assert.ok(host !== undefined, 'the console names a simulator host');
    return host.name;
  };

  test('pool_migrate to the other host: 4012 "moved", not 4010 "closed"', { timeout: 20_000 }, async () => {
    const from = consoleHost();
    const to = sim.hosts.find((h) => h.name !== from);
    assert.ok(to !== undefined);
    const { end } = await openConsole();
    await sim.act(VM, { migrateTo: to.name });
    assert.deepEqual(await end, { closeCode: 4012, kind: 'moved', code: 'CONSOLE_ERROR', message: `The console of ${VM} moved (migration or reboot).` });
    assert.equal(consoleHost(), to.name);
  });

  test('hard_reboot: 4012 "moved", and the new console opens', { timeout: 20_000 }, async () => {
    const { end } = await openConsole();
    await sim.act(VM, 'hard_reboot');
    assert.deepEqual(await end, { closeCode: 4012, kind: 'moved', code: 'CONSOLE_ERROR', message: `The console of ${VM} moved (migration or reboot).` });
    const again = await openConsole();
    await bridge.close().then(async () => assert.equal((await again.end).closeCode, 4013));
  });
});
