/**
 * Console first-frame benchmark (`npm run bench -- console`): figures, not a test.
 *
 * At the Node level, against the simulator with real QEMU console servers: the time from asking for a
 * console (`openConsole`, the ticket) to the first FramebufferUpdate fully received, as noVNC asks for
 * it (Tight or Raw, decoded by noVNC's own Tight decoder), through XAPI's `CONNECT` over pinned TLS and
 * the bridge. Variants in the same rounds: the bridge with the first-frame nudge (first-frame.ts), the
 * same bridge without it, and QEMU's own socket straight (no XAPI, no bridge) without and with the
 * nudge. Each row shows p50 of each phase: ticket, WebSocket open, RFB ServerInit, first frame.
 *
 * Then what the backend keeps per closed console: `MEMORY_CONSOLES` consoles opened through the bridge
 * (a synthetic server behind a TLS console host, all in this process), each getting a full Raw frame
 * and closed; heap and ArrayBuffer memory after a full GC (node --expose-gc), and RSS, per console.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { createBridge, type Bridge } from '../../electron/core/bridge';
import { REFRESH_NUDGE } from '../../electron/core/bridge/first-frame';
import { ConfigStore } from '../../electron/core/config-store';
import { PoolManager } from '../../electron/core/pool-manager';
import { SecretStore, memoryOnlyCipher } from '../../electron/core/secret-store';
import { startSimulator } from '../../electron/sim/index';
import { LAUNCHERS } from '../backends';
import type { VmNode } from '../../shared/inventory';
import { startSyntheticVnc } from '../../electron/sim/vnc';
import { FakeSource, startConsoleServer, upstreamAt } from '../bridge/support/console-server';
import { closed, openPage, pageStream } from '../bridge/support/ws';
import { novncDecoder } from '../support/novnc-decoder';
import { RfbClient } from '../support/rfb-client';
import { needTools } from '../support/tools';
import { fig, target } from './summary';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
/** Consoles opened and closed for the memory figure. */
const MEMORY_CONSOLES = 100;
const MIB = 1024 * 1024;
const ORIGIN = 'app://porthole';
/** Tight, Raw, DesktopSize: the part of noVNC's list the test client decodes. */
const ENCODINGS = [7, 0, -223];

interface Phases {
  ticket: number;
  ws: number;
  init: number;
  frame: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Handshake, then a full update request (plus the nudge when asked), until the update is decoded. */
async function firstFrame(stream: Duplex, nudge: boolean, t0: number, phases: Partial<Phases>): Promise<void> {
  const c = new RfbClient(stream);
  c.useDecoder(7, await novncDecoder('tight'));
  await c.handshake('3.8');
  phases.init = performance.now() - t0;
  c.setEncodings(ENCODINGS);
  c.requestUpdate(false);
  if (nudge) c.writeRaw(REFRESH_NUDGE);
  await c.readUpdate();
  phases.frame = performance.now() - t0;
  c.close();
}

/** Heap, ArrayBuffer and RSS figures after a full GC when node runs with --expose-gc, MiB. */
function memory(): { heap: number; buffers: number; rss: number; gc: boolean } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed / MIB, buffers: m.arrayBuffers / MIB, rss: m.rss / MIB, gc: gc !== undefined };
}

/** What stays in this process per console opened and closed through the bridge. */
async function benchMemory(): Promise<void> {
  const backend = await startSyntheticVnc({ name: 'memory-vm', workDir: tmpdir(), tickMs: 0 });
  const server = await startConsoleServer(() => ({ status: 200, stream: () => backend.connect() }));
  const bridge = await createBridge({ allowedOrigins: [ORIGIN], pingIntervalMs: 60_000 });
  const source = new FakeSource(upstreamAt(server.port));
  source.pins.set(`127.0.0.1:${server.port}`, server.fingerprint);
  const cycle = async (): Promise<void> => {
    const ticket = await bridge.openConsole(source, { poolId: 'p', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
    const ws = await openPage(ticket.url, { origin: ORIGIN });
    const c = new RfbClient(pageStream(ws));
    await c.handshake('3.8');
    c.setEncodings([0]);
    c.requestUpdate(false);
    await c.readUpdate();
    const done = closed(ws);
    ws.close(1000);
    await done;
  };
  try {
    // Warm up (first TLS contexts, JIT), then measure.
    for (let i = 0; i < 10; i++) await cycle();
    const before = memory();
    for (let i = 0; i < MEMORY_CONSOLES; i++) await cycle();
    await new Promise((r) => setTimeout(r, 500));
    const after = memory();
    const per = (k: 'heap' | 'buffers' | 'rss'): number => ((after[k] - before[k]) * 1024) / MEMORY_CONSOLES;
    const s = bridge.stats();
    process.stdout.write(
      `backend memory per closed console (${MEMORY_CONSOLES} consoles${after.gc ? ', after full GC' : ', NO GC: run with --expose-gc'}): heap ${per('heap').toFixed(1)} KiB, ArrayBuffers ${per('buffers').toFixed(1)} KiB, RSS ${per('rss').toFixed(1)} KiB; left open: ${s.consoles} consoles, ${s.upstreams} upstreams, ${s.sockets} sockets\n`,
    );
    const kept = per('heap') + per('buffers');
    target({ target: 'nothing kept per closed console (heap + buffers after GC ≤ 16 KiB)', figure: `${kept.toFixed(1)} KiB`, peer: `RSS ${per('rss').toFixed(1)} KiB/console`, met: after.gc ? kept <= 16 : undefined });
  } finally {
    await bridge.close();
    await server.close();
    await backend.stop();
  }
}

/** Runs the bench. */
export async function run(): Promise<void> {
  await benchMemory();
  const missing = needTools('qemu-system-x86_64');
  if (missing !== false) {
    process.stdout.write(`console first frame: skipped (${missing})\n`);
    target({ target: 'first frame p50 ≤ 60 ms (Node, QEMU)', figure: '—', peer: '—', met: undefined });
    return;
  }
  const sim = await startSimulator({ hosts: 1, vms: 3, vnc: (_name, dom0) => (dom0 ? 'synthetic' : 'qemu') , launchers: LAUNCHERS });
  const dir = await mkdtemp(join(tmpdir(), 'porthole-bench-console-'));
  const manager = await PoolManager.open({ store: new ConfigStore(dir), secrets: new SecretStore(memoryOnlyCipher) });
  const bridges: Bridge[] = [];
  try {
    const master = sim.hosts[0]!;
    const id = await manager.add(
      { name: 'bench', address: `${master.address}:${sim.port}`, username: sim.user, password: sim.password, remember: false },
      { pins: [{ address: master.address, fingerprint: master.fingerprint, source: 'user' }] },
    );
    manager.connect(id);
    await manager.waitReady(id, { timeoutMs: 60_000 });
    // The pool is ready as soon as its tree is in; QEMU may still be starting behind the console row.
    const qemuVm = (): VmNode | undefined => manager.snapshot().nodes.find((n): n is VmNode => n.kind === 'vm' && n.powerState === 'Running' && sim.vnc(n.uuid)?.kind === 'qemu');
    const deadline = Date.now() + 60_000;
    while (qemuVm() === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const vm = qemuVm();
    if (vm === undefined) throw new Error('no running QEMU VM in the simulated pool within 60 s');
    const backend = sim.vnc(vm.uuid)!;
    const source = manager.consoleSource(id);
    const withNudge = await createBridge({ allowedOrigins: [ORIGIN] });
    const without = await createBridge({ allowedOrigins: [ORIGIN], refreshNudge: false });
    bridges.push(withNudge, without);
    const viaBridge = (bridge: Bridge) => async (phases: Partial<Phases>): Promise<void> => {
      const t0 = performance.now();
      const ticket = await bridge.openConsole(source, { poolId: id, vmUuid: vm.uuid, protocol: 'rfb' });
      phases.ticket = performance.now() - t0;
      const ws = await openPage(ticket.url, { origin: ORIGIN });
      phases.ws = performance.now() - t0;
      // The bridge sends the nudge itself when it has one.
      await firstFrame(pageStream(ws), false, t0, phases);
    };
    const direct = (nudge: boolean) => async (phases: Partial<Phases>): Promise<void> => {
      const t0 = performance.now();
      await firstFrame(await backend.connect(), nudge, t0, phases);
    };
    const variants: [string, (p: Partial<Phases>) => Promise<void>][] = [
      ['bridge + XAPI CONNECT, nudge', viaBridge(withNudge)],
      ['bridge + XAPI CONNECT, no nudge', viaBridge(without)],
      ['QEMU socket direct, no nudge', direct(false)],
      ['QEMU socket direct, nudge', direct(true)],
    ];
    const results = new Map<string, Partial<Phases>[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, open] of variants) {
        const phases: Partial<Phases> = {};
        await open(phases);
        results.set(name, [...(results.get(name) ?? []), phases]);
        // Let QEMU notice the closed client before the next one.
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const p50 = (name: string, key: keyof Phases): number | undefined => {
      const xs = (results.get(name) ?? []).map((p) => p[key]).filter((x): x is number => x !== undefined);
      return xs.length === 0 ? undefined : median(xs);
    };
    process.stdout.write(`console first frame (Node level, real QEMU, ${ROUNDS} rounds, p50 ms from the request)\n`);
    process.stdout.write(`| variant                          | ticket | ws open | ServerInit | first frame |\n|----------------------------------|--------|---------|------------|-------------|\n`);
    for (const [name] of variants) {
      const cell = (k: keyof Phases): string => fig(p50(name, k), '', 1).padStart(k === 'frame' ? 11 : k === 'init' ? 10 : k === 'ws' ? 7 : 6);
      process.stdout.write(`| ${name.padEnd(32)} | ${cell('ticket')} | ${cell('ws')} | ${cell('init')} | ${cell('frame')} |\n`);
    }
    const best = p50('bridge + XAPI CONNECT, nudge', 'frame');
    target({
      target: 'first frame p50 ≤ 60 ms (Node, QEMU, ticket → frame)',
      figure: fig(best, 'ms'),
      peer: `no nudge ${fig(p50('bridge + XAPI CONNECT, no nudge', 'frame'), 'ms')}; QEMU direct ${fig(p50('QEMU socket direct, no nudge', 'frame'), 'ms')}`,
      met: best === undefined ? undefined : best <= 60,
    });
  } finally {
    for (const b of bridges) await b.close();
    await manager.close();
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
