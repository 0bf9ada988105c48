/**
 * Inventory benchmark (`npm run bench -- inventory`): a generated 64-host / 10,000-VM pool served by
 * the simulator in its own process, one pool manager connected to it over real TLS. Prints, asserts nothing:
 * - time to first full tree (connect + login + full event.from load + member pins + snapshot + buildTree);
 * - event-to-diff latency over power changes made by another client (p50 / p95 / max), and diff sizes;
 * - this process's memory (it is the main process's share: the manager and its inventory) before and
 *   after the load and after the changes, heap measured after a full GC when node runs with --expose-gc;
 *   the target is held against the larger heap figure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startSimProcess } from './sim-process';
import { fig, target } from './summary';
import { ConfigStore } from '../../electron/core/config-store';
import { PoolManager } from '../../electron/core/pool-manager';
import { SecretStore, memoryOnlyCipher } from '../../electron/core/secret-store';
import type { VmNode } from '../../shared/inventory';
import { buildTree } from '../../shared/tree';

const HOSTS = 64;
const VMS = 10_000;
const POWER_CHANGES = 100;
const MB = 1024 * 1024;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function mem(): { heap: number; rss: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed / MB, rss: m.rss / MB };
}

const out = (line: string): boolean => process.stdout.write(line + '\n');

/** Runs the benchmark and prints its figures. */
export async function run(): Promise<void> {
  const t0 = performance.now();
  const sim = await startSimProcess(['--hosts', String(HOSTS), '--vms', String(VMS), '--vnc', 'synthetic', '--power-op-ms', '1']);
  out(`simulator (own process): ${HOSTS} hosts, ${VMS} VMs, started in ${(performance.now() - t0).toFixed(0)} ms`);
  const dir = await mkdtemp(join(tmpdir(), 'porthole-bench-'));
  const manager = await PoolManager.open({ store: new ConfigStore(dir), secrets: new SecretStore(memoryOnlyCipher) });
  try {
    const master = sim.info.hosts[0]!;
    const id = await manager.add(
      { name: 'bench', address: `${master.address}:${sim.port}`, username: sim.info.user, password: sim.info.password, remember: false },
      { pins: [{ address: master.address, fingerprint: master.fingerprint, source: 'user' }] },
    );
    const before = mem();
    const t1 = performance.now();
    manager.connect(id);
    await manager.waitReady(id, { timeoutMs: 300_000 });
    const snapshot = manager.snapshot();
    const t2 = performance.now();
    const tree = buildTree(snapshot.nodes);
    const t3 = performance.now();
    const after = mem();
    const vmCount = snapshot.nodes.filter((n) => n.kind === 'vm').length;
    out(`first full tree: ${(t3 - t1).toFixed(0)} ms (connect+load+pins+snapshot ${(t2 - t1).toFixed(0)} ms, buildTree ${(t3 - t2).toFixed(1)} ms); ${snapshot.nodes.length} nodes, ${vmCount} VMs, ${tree[0]?.children.length ?? 0} top-level children`);
    out(`pins: ${manager.certificates(id).length} hosts pinned`);
    out(`memory: heap ${before.heap.toFixed(0)} → ${after.heap.toFixed(0)} MB (Δ ${(after.heap - before.heap).toFixed(0)} MB), rss ${before.rss.toFixed(0)} → ${after.rss.toFixed(0)} MB (Δ ${(after.rss - before.rss).toFixed(0)} MB)${'gc' in globalThis ? ', after full GC' : ''}`);
    target({ target: 'connect → full tree, 10k VMs (Node, reported)', figure: fig(t3 - t1, 'ms', 0), peer: `snapshot+buildTree ${fig(t3 - t2, 'ms', 1)}`, met: 'reported' });

    // Event-to-diff latency: another client changes a VM's power state; time until the diff names it.
    // Running and halted VMs only: a suspended one would need resume, not start.
    const vms = snapshot.nodes.filter((n): n is VmNode => n.kind === 'vm' && (n.powerState === 'Running' || n.powerState === 'Halted')).slice(0, POWER_CHANGES);
    const latencies: number[] = [];
    const sizes: number[] = [];
    for (const vm of vms) {
      const wanted = vm.powerState === 'Running' ? 'Halted' : 'Running';
      const start = performance.now();
      const seen = new Promise<void>((resolve) => {
        const on = (d: { upserts: { id: string }[]; removes: string[] }): void => {
          sizes.push(d.upserts.length + d.removes.length);
          if (d.upserts.some((n) => n.id === vm.id && (n as VmNode).powerState === wanted)) {
            manager.off('diff', on);
            resolve();
          }
        };
        manager.on('diff', on);
      });
      const ref = await sim.rpc('VM.get_by_uuid', [vm.uuid]);
      await sim.rpc(wanted === 'Running' ? 'VM.start' : 'VM.hard_shutdown', wanted === 'Running' ? [ref, false, false] : [ref]);
      await seen;
      latencies.push(performance.now() - start);
    }
    latencies.sort((a, b) => a - b);
    sizes.sort((a, b) => a - b);
    out(`event-to-diff (${latencies.length} power changes, incl. the simulated operation): p50 ${pct(latencies, 50).toFixed(1)} ms, p95 ${pct(latencies, 95).toFixed(1)} ms, max ${(latencies.at(-1) ?? NaN).toFixed(1)} ms`);
    out(`diff size (nodes): p50 ${pct(sizes, 50)}, max ${sizes.at(-1) ?? 0}`);
    const end = mem();
    out(`memory after the changes: heap ${end.heap.toFixed(0)} MB, rss ${end.rss.toFixed(0)} MB`);
    // The larger of the two: right after the load (what a quiet pool keeps) and after the changes.
    const heap = Math.max(after.heap, end.heap);
    target({ target: 'main-process heap with 10k VMs ≤ 60 MiB', figure: fig(heap, 'MiB', 0), peer: `before connect ${fig(before.heap, 'MiB', 0)}; after load ${fig(after.heap, 'MiB', 0)}, after the changes ${fig(end.heap, 'MiB', 0)}`, met: heap <= 60 });
  } finally {
    await manager.close();
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
