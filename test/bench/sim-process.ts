/**
 * The simulator in its own process for benches (`npm run sim` as a child), so the figures of the
 * process under test (heap, CPU, event-loop stalls) do not include the simulator's own work.
 *
 * How it works: `tsx test/sim/cli.ts …` is spawned; its one JSON line (master URL, credentials,
 * host fingerprints) is read from stdout. `rpc` makes JSON-RPC calls over TLS pinned to those
 * fingerprints (tls-pin's agent: verification stays on). `stop` sends SIGTERM and waits for the exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { request } from 'undici';
import { pinnedAgent } from '../../electron/core/tls-pin';

const root = join(import.meta.dirname, '..', '..');

/** What the simulator's CLI prints. */
export interface SimInfo {
  master: string;
  user: string;
  password: string;
  hosts: { name: string; address: string; fingerprint: string }[];
}

/** A running simulator process. */
export interface SimProcess {
  info: SimInfo;
  /** The master's port. */
  port: number;
  /** The simulator's process id (to leave its CPU out of a measurement). */
  pid: number | undefined;
  /** One JSON-RPC call to the master; throws on an XAPI error. */
  rpc(method: string, params: unknown[]): Promise<unknown>;
  /**
   * Another client's view of the events: `event.from(classes)` in a loop on the bench's own session
   * (no processing), calling `onEvents` with each reply's events and the wall-clock time (ms since the
   * epoch) it arrived. `stop()` ends the loop after the call in flight.
   */
  watch(classes: string[], onEvents: (events: { class: string; ref: string; operation: string; snapshot?: Record<string, unknown> }[], atMs: number) => void): { stop(): void };
  /**
   * The simulator's own time for one call, ms: request sent → response headers (it writes them with
   * the body once the answer is serialised); the body is read and dropped, not parsed.
   */
  serverMs(method: string, params: unknown[]): Promise<number>;
  stop(): Promise<void>;
}

/** Starts `npm run sim -- ARGS` and resolves once it printed its JSON line. */
export async function startSimProcess(args: string[]): Promise<SimProcess> {
  const child: ChildProcess = spawn(process.execPath, [...(process.env.BENCH_SIM_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SIM_PROF_DIR}`] : []), '--import', 'tsx', join(root, 'test/sim/cli.ts'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PORTHOLE_LOG: process.env.PORTHOLE_LOG ?? 'warn' },
  });
  const info = await new Promise<SimInfo>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as SimInfo);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code ?? 'a signal'} before it was ready`)));
  });
  const fingerprints = new Map(info.hosts.map((h) => [h.address, h.fingerprint]));
  const agent = pinnedAgent((host) => fingerprints.get(host));
  let session: string | undefined;
  const send = (method: string, params: unknown[]): ReturnType<typeof request> =>
    request(new URL('/jsonrpc', info.master), {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }),
    });
  const call = async (method: string, params: unknown[]): Promise<unknown> => {
    const res = await send(method, params);
    const body = (await res.body.json()) as { result?: unknown; error?: { message: string; data?: string[] } };
    if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}(${(body.error.data ?? []).join(', ')})`);
    return body.result;
  };
  const rpc = async (method: string, params: unknown[]): Promise<unknown> => {
    session ??= (await call('session.login_with_password', [info.user, info.password, '1.0', 'porthole-bench'])) as string;
    return call(method, [session, ...params]);
  };
  return {
    info,
    port: Number(new URL(info.master).port),
    pid: child.pid,
    rpc,
    watch(classes, onEvents) {
      let stopped = false;
      const loop = async (): Promise<void> => {
        let token = '';
        while (!stopped) {
          const reply = (await rpc('event.from', [classes, token, 5])) as { events: Parameters<typeof onEvents>[0]; token: string };
          if (stopped) return;
          onEvents(reply.events, performance.timeOrigin + performance.now());
          token = reply.token;
        }
      };
      // The call in flight fails when the simulator stops: nothing to report then.
      loop().catch(() => undefined);
      return { stop: () => void (stopped = true) };
    },
    async serverMs(method, params) {
      session ??= (await call('session.login_with_password', [info.user, info.password, '1.0', 'porthole-bench'])) as string;
      const t0 = performance.now();
      const res = await send(method, [session, ...params]);
      const ms = performance.now() - t0;
      await res.body.dump({ limit: Number.MAX_SAFE_INTEGER });
      return ms;
    },
    async stop() {
      await agent.close();
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
