/**
 * The leak cycles: console open/close through the bridge against the simulator, and pool
 * add/connect/disconnect/remove through the pool manager. Each returns one table row per measure:
 * baseline, after the cycles, and the difference, for RSS (after a GC when `--expose-gc` is on),
 * live sockets, TLS sockets and timers of this process (process.getActiveResourcesInfo), the bridge's
 * own counts, and XAPI sessions and console tunnels still open at the pool. `leaks.test.ts` runs a few
 * cycles in `npm test`; `npm run soak` (run.ts) runs 500 console and 100 pool cycles.
 */
import { createBridge } from '../../electron/core/bridge';
import { startSimulator } from '../../electron/sim';
import type { Simulator } from '../../electron/sim/types';
import { addTrusted, makeManager } from '../core/helpers';
import { closed, openPage, PAGE_ORIGIN, pageStream } from '../bridge/support/ws';
import { RfbClient } from '../support/rfb-client';
import type { Row } from '../support/table';
import type { VmNode } from '../../shared/inventory';

/** What is measured before and after. */
type Measures = Record<string, number>;

function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

async function settle(check: () => boolean, what: string, ms = 20_000, describe: () => string = () => ''): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} ${describe()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function processMeasures(sim: Simulator): Measures {
  (globalThis as { gc?: () => void }).gc?.();
  const h = handles();
  const s = sim.stats();
  return {
    'RSS (MiB)': Math.round((process.memoryUsage().rss / 1024 / 1024) * 10) / 10,
    // What the JS side holds after the GC: RSS also keeps the allocator's high-water mark.
    'heap + ArrayBuffers (MiB)': Math.round(((process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers) / 1024 / 1024) * 10) / 10,
    'TCP sockets': h.TCPSocketWrap ?? 0,
    'TLS sockets': h.TLSWrap ?? 0,
    timers: h.Timeout ?? 0,
    'XAPI sessions at the pool': s.sessions,
    'console tunnels at the pool': s.consoleTunnels,
  };
}

/** True for the memory figures, which are printed, not held to zero growth (they depend on the GC). */
export function isMemoryMeasure(measure: unknown): boolean {
  return typeof measure === 'string' && measure.endsWith('(MiB)');
}

function rowsOf(cycle: string, count: number, before: Measures, after: Measures): Row[] {
  return Object.keys(before).map((measure) => ({
    cycles: `${count} × ${cycle}`,
    measure,
    baseline: before[measure] ?? 0,
    after: after[measure] ?? 0,
    growth: Math.round(((after[measure] ?? 0) - (before[measure] ?? 0)) * 10) / 10,
  }));
}

/** `count` console open/close cycles (alternately closed by the page and cut by the host). */
export async function consoleCycles(count: number): Promise<Row[]> {
  const sim = await startSimulator({ hosts: 1, vms: 2, vnc: 'synthetic' });
  const m = await makeManager();
  const bridge = await createBridge({ allowedOrigins: [PAGE_ORIGIN] });
  try {
    const poolId = await addTrusted(m.manager, sim);
    m.manager.connect(poolId);
    await m.manager.waitReady(poolId);
    const vm = m.manager.snapshot().nodes.find((n): n is VmNode => n.kind === 'vm' && n.powerState === 'Running' && n.consoles.some((c) => c.protocol === 'rfb'));
    if (vm === undefined) throw new Error('no running VM');
    const cycle = async (i: number, source = m.manager.consoleSource(poolId)): Promise<void> => {
      const ticket = await bridge.openConsole(source, { poolId, vmUuid: vm.uuid, protocol: 'rfb' });
      const ws = await openPage(ticket.url);
      await new RfbClient(pageStream(ws)).readGreeting();
      const done = closed(ws);
      if (i % 2 === 0) ws.close();
      else sim.faults.cutConsoles(vm.name);
      await done;
    };
    // Warm-up, both ways of ending: lazy modules, TLS session caches, and the keep-alive RPC socket
    // the bridge's XAPI look-up (after a cut) opens beside the blocked event.from.
    await cycle(0);
    await cycle(1);
    const quiet = (): boolean => {
      const b = bridge.stats();
      return b.consoles === 0 && b.sockets === 0 && sim.stats().consoleTunnels === 0;
    };
    // Baseline and final figures are taken with the pool disconnected, so the pool's own keep-alive
    // RPC sockets (how many depends on how calls overlapped) are not counted against the bridge.
    const offline = async (): Promise<Measures> => {
      await m.manager.disconnect(poolId);
      await settle(() => quiet() && sim.stats().sessions === 0, 'the pool to go quiet');
      return processMeasures(sim);
    };
    const before = await offline();
    m.manager.connect(poolId);
    await m.manager.waitReady(poolId);
    const live = m.manager.consoleSource(poolId);
    for (let i = 2; i < count + 2; i++) await cycle(i, live);
    await offline();
    await settle(() => {
      const now = processMeasures(sim);
      return now['TCP sockets']! <= before['TCP sockets']! && now['TLS sockets']! <= before['TLS sockets']! && now.timers! <= before.timers!;
    }, 'handles back to the baseline', 20_000, () => JSON.stringify({ before, now: processMeasures(sim), handles: handles() }));
    const after = processMeasures(sim);
    const b = bridge.stats();
    return [
      ...rowsOf('console open/close', count, before, after),
      { cycles: `${count} × console open/close`, measure: 'bridge sockets + consoles + tokens + timers', baseline: 0, after: b.sockets + b.consoles + b.pendingTokens + b.timers, growth: b.sockets + b.consoles + b.pendingTokens + b.timers },
    ];
  } finally {
    await bridge.close();
    await m.cleanup();
    await sim.stop();
  }
}

/** `count` pool add/connect/disconnect/remove cycles. */
export async function poolCycles(count: number): Promise<Row[]> {
  const sim = await startSimulator({ hosts: 1, vms: 2, vnc: 'synthetic' });
  const m = await makeManager();
  try {
    const cycle = async (i: number): Promise<void> => {
      const id = await addTrusted(m.manager, sim, { name: `pool-${i}` });
      m.manager.connect(id);
      await m.manager.waitReady(id);
      await m.manager.disconnect(id);
      await m.manager.remove(id);
    };
    await cycle(0);
    await settle(() => sim.stats().sessions === 0, 'the warm-up session to be logged out');
    const before = processMeasures(sim);
    for (let i = 1; i <= count; i++) await cycle(i);
    await settle(() => {
      const now = processMeasures(sim);
      return now['XAPI sessions at the pool'] === 0 && now['TCP sockets']! <= before['TCP sockets']! && now['TLS sockets']! <= before['TLS sockets']! && now.timers! <= before.timers!;
    }, 'sessions and handles back to the baseline');
    return [...rowsOf('pool add/connect/disconnect/remove', count, before, processMeasures(sim)), { cycles: `${count} × pool add/connect/disconnect/remove`, measure: 'pools left in the manager', baseline: 0, after: m.manager.list().length, growth: m.manager.list().length }];
  } finally {
    await m.cleanup();
    await sim.stop();
  }
}
