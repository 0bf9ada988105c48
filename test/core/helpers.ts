/**
 * Shared setup for the pool integration tests: a simulator, a pool manager on a temp config dir,
 * and waiting for a pool state.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { PoolState } from '../../shared/contract';
import { openTunnel } from '../../electron/core/bridge/tunnel';
import { ConfigStore } from '../../electron/core/config-store';
import { PoolManager } from '../../electron/core/pool-manager';
import type { SessionTiming } from '../../electron/core/pools/session';
import { SecretStore, memoryOnlyCipher, type SecretCipher } from '../../electron/core/secret-store';
import type { Simulator } from '../../electron/sim/types';

/** Short timings so failure paths run in well under a second. */
export const FAST: Partial<SessionTiming> = { backoffBaseMs: 100, backoffCapMs: 400, handshakeTimeoutMs: 2_000, eventTimeoutS: 5.1, taskPollMs: 500 };

/** A manager on a fresh temp config dir (FAST timings unless `timing` is given); `cleanup` closes it and removes the dir. */
export async function makeManager(cipher: SecretCipher = memoryOnlyCipher, dir?: string, timing: Partial<SessionTiming> = FAST): Promise<{ manager: PoolManager; dir: string; cleanup: () => Promise<void> }> {
  const own = dir === undefined;
  const configDir = dir ?? (await mkdtemp(join(tmpdir(), 'porthole-pools-')));
  const manager = await PoolManager.open({ store: new ConfigStore(configDir), secrets: new SecretStore(cipher), timing });
  return {
    manager,
    dir: configDir,
    cleanup: async () => {
      await manager.close();
      if (own) await rm(configDir, { recursive: true, force: true });
    },
  };
}

/** host:port of a simulator host (by index). */
export function hostAddress(sim: Simulator, index = 0): string {
  const h = sim.hosts[index];
  if (h === undefined) throw new Error(`no host ${index}`);
  return `${h.address}:${h.port}`;
}

/** Resolves with the first state (current or next) that satisfies `pred`; rejects after `timeoutMs`. */
export function waitState(manager: PoolManager, id: string, pred: (s: PoolState) => boolean, timeoutMs = 10_000): Promise<PoolState> {
  const now = manager.state(id);
  if (pred(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(() => {
      manager.off('state', on);
      reject(new Error(`timed out; states seen: ${seen.join(' → ')}`));
    }, timeoutMs);
    const on = (e: { id: string; state: PoolState }): void => {
      if (e.id !== id) return;
      seen.push(e.state.kind);
      if (!pred(e.state)) return;
      clearTimeout(timer);
      manager.off('state', on);
      resolve(e.state);
    };
    manager.on('state', on);
  });
}

/** Adds a pool for the simulator with its master pinned (as after the user trusted it). */
export async function addTrusted(manager: PoolManager, sim: Simulator, opts: { index?: number; pinAll?: boolean; password?: string; name?: string } = {}): Promise<string> {
  const index = opts.index ?? 0;
  const pins = (opts.pinAll === true ? sim.hosts : [sim.hosts[0]!]).map((h) => ({ address: h.address, fingerprint: h.fingerprint, source: 'user' as const }));
  return manager.add(
    { name: opts.name ?? 'lab', address: hostAddress(sim, index), username: sim.user, password: opts.password ?? sim.password, remember: false },
    { pins },
  );
}

/**
 * The common start of a connected-pool test: a manager on a temp dir (closed after the test), the
 * simulator's pool added with its master pinned, connected and ready.
 */
export async function connectTrusted(t: TestContext, sim: Simulator): Promise<{ manager: PoolManager; id: string }> {
  const { manager, cleanup } = await makeManager();
  t.after(cleanup);
  const id = await addTrusted(manager, sim);
  manager.connect(id);
  await manager.waitReady(id);
  return { manager, id };
}

/** Sleeps (for "nothing more happens" checks). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Another client holding a VM's console: a second user (pool-admin) logs in with its own manager
 * and opens the console tunnel; `release()` closes it and that manager.
 */
export async function holdConsoleAs(sim: Simulator, user: string, vmUuid: string): Promise<{ release(): Promise<void> }> {
  const password = `${user}-password`;
  sim.addUser(user, password, 'pool-admin');
  const other = await makeManager();
  try {
    const id = await other.manager.add(
      { name: user, address: hostAddress(sim), username: user, password, remember: false },
      { pins: sim.hosts.map((h) => ({ address: h.address, fingerprint: h.fingerprint, source: 'user' as const })) },
    );
    other.manager.connect(id);
    await other.manager.waitReady(id, { timeoutMs: 20_000 });
    const source = other.manager.consoleSource(id);
    const tunnel = await openTunnel(source, await source.resolve(vmUuid, 'rfb'));
    return {
      async release() {
        tunnel.socket.destroy();
        await other.cleanup();
      },
    };
  } catch (error) {
    await other.cleanup();
    throw error;
  }
}
