/**
 * Console bridge benchmark (`npm run bench -- bridge`): figures, not a test.
 *
 * Side by side on loopback, each against the same target process (test/bridge/support/bench-target.ts):
 * raw TCP and raw TLS (the ceilings), Debian's `websockify` (python) to the target over TCP and with
 * `--ssl-target`, the Porthole bridge in its own process with a TLS upstream through a real CONNECT
 * handshake, and a floor for any Node relay (bench-node-floor.ts: the bridge's own tunnel relayed to plain
 * TCP, no WebSocket at all), in 3 rounds over all variants (medians shown). For each: throughput of a 256 MiB download
 * (the console direction; median of 3), idle round trip (16-byte echo) p50/p99, round trip p50/p99
 * while a download of about `LOADED_S` seconds runs (every queue on the path shows up here; sized from the
 * variant's own throughput so every variant gets the same number of samples), and the proxy process's peak
 * RSS and CPU time with the kernel's part of it (its whole process tree, sampled from /proc). The target speaks TLS 1.2, as xapi does. The target and bridge run as plain `node` on esbuild bundles so no loader inflates them.
 *
 * Knobs for A/B runs: BENCH_ONLY=<substring> (plus raw TLS), BENCH_ROUNDS=<n>, BRIDGE_HWM=<bytes>, BRIDGE_BATCH=0, BRIDGE_WINDOW=<bytes> (0: no send window),
 * BRIDGE_NODE_FLAGS="<node flags for the bridge process>".
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { build } from 'esbuild';
import { WebSocket } from 'ws';
import { which } from '../support/tools';
import { treeUsage } from './proc';
import { fig, target } from './summary';

const MIB = 1024 * 1024;
const BULK_BYTES = 256 * MIB;
/** Throughput is the median of this many 256 MiB downloads (loopback figures are noisy on a shared box). */
const THROUGHPUT_RUNS = 3;
/** Rounds over all variants; the table shows medians across them. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Longest one variant may take before it is reported as failed, ms. */
const VARIANT_TIMEOUT_MS = 60_000;
/**
 * Length of the loaded round-trip phase, s. Its download is sized from the variant's measured throughput:
 * a fixed byte count gave a fast variant ~50 samples (its "p99" was its single worst one, often the ramp
 * at the start) and a slow one ~300, so the columns did not measure the same thing.
 */
const LOADED_S = 1;
/** Smallest loaded-phase download, bytes. */
const MIN_LOADED_BYTES = 64 * MIB;
const IDLE_SAMPLES = 1000;
const PROBE_EVERY_MS = 2;
const ORIGIN = 'app://porthole';
/** The floor variant's name: the bridge's own tunnel relayed to plain TCP (bench-node-floor.ts). */
const FLOOR = 'floor: Node TLS tunnel → TCP, no WebSocket';
const root = join(import.meta.dirname, '..', '..');

interface Transport {
  send(bytes: Buffer): void;
  onData(fn: (chunk: Buffer) => void): void;
  /** Called if the connection ends before `close()`. */
  onEnd(fn: (why: string) => void): void;
  close(): void;
}

interface Row {
  name: string;
  mibps?: number;
  idle?: [number, number];
  loaded?: [number, number];
  rssMiB?: number;
  startRssMiB?: number;
  cpuS?: number;
  /** Proxy CPU per MiB relayed (all phases), ms. */
  cpuMsPerMiB?: number;
  /** The kernel's part of that (system time), ms per MiB. */
  sysMsPerMiB?: number;
  stalls?: number;
  note?: string;
}

/** Reassembles the target's `[type][len][payload]` frames from arbitrary chunks without copying data. */
class FrameReader {
  private head = Buffer.alloc(5);
  private headHave = 0;
  private bodyLeft = 0;
  private type = 0;
  private echo: Buffer[] = [];
  dataBytes = 0;
  onEcho: (payload: Buffer) => void = () => undefined;
  onFinish: () => void = () => undefined;

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.bodyLeft === 0 && this.headHave < 5) {
        const n = Math.min(5 - this.headHave, chunk.length - i);
        chunk.copy(this.head, this.headHave, i, i + n);
        this.headHave += n;
        i += n;
        if (this.headHave < 5) return;
        this.type = this.head[0] ?? 0;
        this.bodyLeft = this.head.readUInt32BE(1);
        if (this.bodyLeft === 0) this.frameDone();
        continue;
      }
      const n = Math.min(this.bodyLeft, chunk.length - i);
      if (this.type === 0x44) this.dataBytes += n;
      else this.echo.push(chunk.subarray(i, i + n));
      this.bodyLeft -= n;
      i += n;
      if (this.bodyLeft === 0) this.frameDone();
    }
  }

  private frameDone(): void {
    this.headHave = 0;
    if (this.type === 0x45) this.onEcho(Buffer.concat(this.echo));
    else if (this.type === 0x46) this.onFinish();
    this.echo = [];
  }
}

function frame(type: number, payload: Buffer): Buffer {
  const out = Buffer.alloc(5 + payload.length);
  out[0] = type;
  out.writeUInt32BE(payload.length, 1);
  payload.copy(out, 5);
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e3; // µs

/** Runs `measure`, failing if the connection ends early or the whole run takes over `VARIANT_TIMEOUT_MS`. */
async function measureGuarded(t: Transport, log: (phase: string) => void): Promise<Awaited<ReturnType<typeof measure>>> {
  let timer: NodeJS.Timeout | undefined;
  let closing = false;
  const abort = new AbortController();
  const failed = new Promise<never>((_resolve, reject) => {
    t.onEnd((why) => {
      if (!closing) reject(new Error(why));
    });
    timer = setTimeout(() => reject(new Error(`no result within ${VARIANT_TIMEOUT_MS / 1000} s`)), VARIANT_TIMEOUT_MS);
  });
  try {
    return await Promise.race([measure(t, log, abort.signal), failed]);
  } finally {
    closing = true;
    clearTimeout(timer);
    abort.abort(); // stops a measure() that is still waiting, with its timers
  }
}

async function measure(t: Transport, log: (phase: string) => void, signal: AbortSignal): Promise<{ mibps: number; mib: number; idle: [number, number]; loaded: [number, number]; stalls: number }> {
  const reader = new FrameReader();
  let lastProgress = now();
  t.onData((c) => {
    lastProgress = now();
    reader.push(c);
  });
  const sentAt = new Map<number, number>();
  let rtts: number[] = [];
  let waiter: (() => void) | undefined;
  reader.onEcho = (p) => {
    const seq = p.readUInt32BE(0);
    const at = sentAt.get(seq);
    if (at !== undefined) rtts.push(now() - at);
    sentAt.delete(seq);
    waiter?.();
  };
  // websockify with --ssl-target can leave decrypted bytes unread until its socket is readable again
  // (select() does not see OpenSSL's buffer). When something is outstanding and nothing arrived for
  // 50 ms, a nudge (an uncounted echo) gets it going, as a viewer's steady update requests would.
  let stalls = 0;
  let bulkActive = false;
  let probeTimer: NodeJS.Timeout | undefined;
  const watchdog = setInterval(() => {
    if (signal.aborted) {
      clearInterval(watchdog);
      clearInterval(probeTimer);
      return;
    }
    if ((bulkActive || sentAt.size > 0) && now() - lastProgress > 50_000) {
      stalls++;
      lastProgress = now();
      t.send(frame(0x45, Buffer.alloc(16)));
    }
  }, 25);
  let seq = 0;
  const probe = (): void => {
    const p = Buffer.alloc(16);
    p.writeUInt32BE(++seq, 0);
    sentAt.set(seq, now());
    t.send(frame(0x45, p));
  };
  const bulk = (bytes: number): Promise<number> =>
    new Promise((resolve) => {
      const start = now();
      bulkActive = true;
      reader.onFinish = () => {
        bulkActive = false;
        resolve(now() - start);
      };
      const count = Buffer.alloc(8);
      count.writeBigUInt64BE(BigInt(bytes));
      t.send(frame(0x42, count));
    });
  try {
    log('idle round trips');
    for (let i = 0; i < IDLE_SAMPLES + 50; i++) {
      const got = new Promise<void>((r) => (waiter = r));
      probe();
      await got;
    }
    waiter = undefined;
    const idle = rtts.slice(50).sort((a, b) => a - b);
    log('throughput');
    const runs: number[] = [];
    for (let i = 0; i < THROUGHPUT_RUNS; i++) {
      const before = reader.dataBytes;
      const us = await bulk(BULK_BYTES);
      runs.push((reader.dataBytes - before) / MIB / (us / 1e6));
    }
    const mibps = runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)] ?? NaN;
    log('round trips under load');
    rtts = [];
    probeTimer = setInterval(probe, PROBE_EVERY_MS);
    await bulk(Math.max(MIN_LOADED_BYTES, Math.round(mibps * LOADED_S) * MIB));
    clearInterval(probeTimer);
    const deadline = Date.now() + 2000;
    while (sentAt.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const loaded = rtts.sort((a, b) => a - b);
    return { mibps, mib: reader.dataBytes / MIB, idle: [percentile(idle, 50), percentile(idle, 99)], loaded: [percentile(loaded, 50) / 1000, percentile(loaded, 99) / 1000], stalls };
  } finally {
    clearInterval(watchdog);
  }
}

function tcpTransport(port: number): Promise<Transport> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.setNoDelay(true);
      resolve({ send: (b) => s.write(b), onData: (fn) => s.on('data', fn), onEnd: (fn) => s.on('close', () => fn('socket closed')), close: () => s.destroy() });
    });
  });
}

function tlsTransport(port: number, ca: string): Promise<Transport> {
  return new Promise((resolve) => {
    // Verified against the target's own certificate (its name is not the IP, hence the identity check off).
    const s = tls.connect({ host: '127.0.0.1', port, ca, checkServerIdentity: () => undefined }, () => {
      s.setNoDelay(true);
      resolve({ send: (b) => s.write(b), onData: (fn) => s.on('data', fn), onEnd: (fn) => s.on('close', () => fn('socket closed')), close: () => s.destroy() });
    });
  });
}

function wsTransport(url: string, protocols: string[]): Promise<Transport> {
  const ws = new WebSocket(url, protocols, { origin: ORIGIN, perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => {
      resolve({
        send: (b) => ws.send(b, { binary: true }),
        onData: (fn) => ws.on('message', (d: Buffer) => fn(d)),
        onEnd: (fn) => ws.on('close', (code: number, reason: Buffer) => fn(`WebSocket closed ${code} ${reason.toString()}`)),
        close: () => ws.terminate(),
      });
    });
  });
}

async function withProcessStats<T>(pid: number | undefined, fn: () => Promise<T>): Promise<{ result: T; rssMiB?: number; startRssMiB?: number; cpuS?: number; sysS?: number }> {
  if (pid === undefined) return { result: await fn() };
  const start = treeUsage(pid);
  let peak = start.rss;
  const timer = setInterval(() => (peak = Math.max(peak, treeUsage(pid).rss)), 50);
  try {
    const result = await fn();
    const end = treeUsage(pid);
    return { result, rssMiB: Math.max(peak, end.rss) / MIB, startRssMiB: start.rss / MIB, cpuS: end.cpu - start.cpu, sysS: end.sys - start.sys };
  } finally {
    clearInterval(timer);
  }
}

function freePort(): Promise<number> {
  const s = net.createServer();
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => {
    const port = (s.address() as net.AddressInfo).port;
    s.close(() => resolve(port));
  }));
}

async function waitPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Runs the benchmark and prints the table. */
export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-bench-'));
  const children: ChildProcess[] = [];
  const runs = new Map<string, Row[]>();
  try {
    await build({
      entryPoints: {
        target: join(root, 'test/bridge/support/bench-target.ts'),
        bridge: join(root, 'test/bridge/support/bench-bridge.ts'),
        floor: join(root, 'test/bridge/support/bench-node-floor.ts'),
      },
      outdir: dir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'error',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    const target = spawn(process.execPath, [join(dir, 'target.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(target);
    const info = await new Promise<{ tcpPort: number; tlsPort: number; connectPort: number; fingerprint: string; pem: string }>((resolve) => {
      let out = '';
      target.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0] ?? '{}') as never);
      });
    });

    const variants: { name: string; open: () => Promise<{ t: Transport; child?: ChildProcess }>; skip?: string }[] = [
      { name: 'raw TCP', open: async () => ({ t: await tcpTransport(info.tcpPort) }) },
      { name: 'raw TLS', open: async () => ({ t: await tlsTransport(info.tlsPort, info.pem) }) },
    ];
    const websockify = which('websockify');
    for (const [name, args, targetPort] of [
      ['websockify → TCP', [], info.tcpPort],
      ['websockify → TLS', ['--ssl-target'], info.tlsPort],
    ] as const) {
      variants.push({
        name,
        skip: websockify === undefined ? 'websockify not installed' : undefined,
        open: async () => {
          const port = await freePort();
          const logFile = openSync(join(dir, `websockify-${port}.log`), 'w');
          const child = spawn(websockify ?? 'websockify', ['-v', ...args, `127.0.0.1:${port}`, `127.0.0.1:${targetPort}`], { stdio: ['ignore', logFile, logFile] });
          closeSync(logFile);
          children.push(child);
          await waitPort(port);
          return { t: await wsTransport(`ws://127.0.0.1:${port}/`, ['binary']), child };
        },
      });
    }
    variants.push({
      name: FLOOR,
      open: async () => {
        const child = spawn(process.execPath, [join(dir, 'floor.mjs'), String(info.connectPort), info.fingerprint], { stdio: ['ignore', 'pipe', 'inherit'] });
        children.push(child);
        const port = await new Promise<number>((resolve) => {
          let out = '';
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0] ?? '{}') as { port: number }).port);
          });
        });
        return { t: await tcpTransport(port), child };
      },
    });
    variants.push({
      name: 'Porthole bridge → TLS CONNECT',
      open: async () => {
        const child = fork(join(dir, 'bridge.mjs'), [String(info.connectPort), info.fingerprint, ORIGIN], { execArgv: (process.env.BRIDGE_NODE_FLAGS ?? '').split(' ').filter((f) => f !== ''), stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
        children.push(child);
        const url = await new Promise<string>((resolve) => {
          child.on('message', (m: { ready?: boolean; url?: string }) => {
            if (m.ready === true) child.send({ op: 'ticket' });
            if (m.url !== undefined) resolve(m.url);
          });
        });
        return { t: await wsTransport(url, []), child };
      },
    });

    const only = process.env.BENCH_ONLY; // a substring of variant names, for quick A/B runs
    const chosen = variants.filter((v) => only === undefined || v.name.includes(only) || v.name === 'raw TLS');
    // Rounds over all variants, so a change in the machine's load hits every variant alike.
    for (let round = 1; round <= ROUNDS; round++) {
      for (const v of chosen) {
        if (v.skip !== undefined) {
          if (round === 1) runs.set(v.name, [{ name: v.name, note: v.skip }]);
          continue;
        }
        process.stderr.write(`bench: round ${round}/${ROUNDS}: ${v.name}…\n`);
        const { t, child } = await v.open();
        let row: Row;
        try {
          const { result, rssMiB, startRssMiB, cpuS, sysS } = await withProcessStats(child?.pid, () => measureGuarded(t, (phase) => process.stderr.write(`  ${phase}\n`)));
          row = { name: v.name, mibps: result.mibps, idle: result.idle, loaded: result.loaded, rssMiB, startRssMiB, cpuS, stalls: result.stalls, ...(cpuS === undefined || sysS === undefined ? {} : { cpuMsPerMiB: (cpuS * 1000) / result.mib, sysMsPerMiB: (sysS * 1000) / result.mib }) };
        } catch (error) {
          row = { name: v.name, note: `failed: ${(error as Error).message}` };
          for (const f of readdirSync(dir).filter((n) => n.endsWith('.log'))) {
            process.stderr.write(`--- ${f}\n${readFileSync(join(dir, f), 'utf8').split('\n').slice(-15).join('\n')}\n`);
          }
        } finally {
          t.close();
          await stop(child);
        }
        runs.set(v.name, [...(runs.get(v.name) ?? []), row]);
      }
    }
  } finally {
    for (const c of children.reverse()) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  }
  print([...runs.values()].map(combine));
}

const median = (xs: number[]): number | undefined => (xs.length === 0 ? undefined : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);

/** One row per variant from its rounds: medians, except peak RSS (the highest) and stalls (the sum). */
function combine(rows: Row[]): Row {
  const ok = rows.filter((r) => r.mibps !== undefined);
  const first = rows[0] ?? { name: '?' };
  if (ok.length === 0) return first;
  const pick = (f: (r: Row) => number | undefined): number[] => ok.map(f).filter((x): x is number => x !== undefined);
  const pair = (f: (r: Row) => [number, number] | undefined): [number, number] | undefined => {
    const a = median(pick((r) => f(r)?.[0]));
    const b = median(pick((r) => f(r)?.[1]));
    return a === undefined || b === undefined ? undefined : [a, b];
  };
  const failed = rows.length - ok.length;
  return {
    name: first.name,
    mibps: median(pick((r) => r.mibps)),
    idle: pair((r) => r.idle),
    loaded: pair((r) => r.loaded),
    startRssMiB: median(pick((r) => r.startRssMiB)),
    rssMiB: pick((r) => r.rssMiB).reduce<number | undefined>((m, x) => (m === undefined || x > m ? x : m), undefined),
    cpuS: median(pick((r) => r.cpuS)),
    cpuMsPerMiB: median(pick((r) => r.cpuMsPerMiB)),
    sysMsPerMiB: median(pick((r) => r.sysMsPerMiB)),
    stalls: pick((r) => r.stalls).reduce((a, b) => a + b, 0),
    ...(failed > 0 ? { note: `${failed} of ${rows.length} rounds failed` } : {}),
  };
}

function print(rows: Row[]): void {
  const rawTls = rows.find((r) => r.name === 'raw TLS');
  const f = (n: number | undefined, digits = 0): string => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits));
  const header = ['variant', 'MiB/s', '× raw TLS', 'idle RTT p50 µs', 'p99 µs', 'loaded RTT p50 ms', 'p99 ms', 'proxy RSS start MiB', 'peak MiB', 'proxy CPU s', 'CPU ms/MiB', 'of it kernel', 'stalls', 'note'];
  const lines = rows.map((r) => [
    r.name,
    f(r.mibps),
    r.mibps !== undefined && rawTls?.mibps !== undefined ? f(r.mibps / rawTls.mibps, 2) : '—',
    f(r.idle?.[0]),
    f(r.idle?.[1]),
    f(r.loaded?.[0], 2),
    f(r.loaded?.[1], 2),
    f(r.startRssMiB, 1),
    f(r.rssMiB, 1),
    f(r.cpuS, 2),
    f(r.cpuMsPerMiB, 2),
    f(r.sysMsPerMiB, 2),
    f(r.stalls),
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]): string => '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ') + ' |';
  process.stdout.write(`${fmt(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${lines.map(fmt).join('\n')}\n`);
  const bridge = rows.find((r) => r.name.startsWith('Porthole'));
  const wsTls = rows.find((r) => r.name.startsWith('websockify → TLS') && r.mibps !== undefined);
  if (bridge?.mibps === undefined || rawTls?.mibps === undefined) return;
  const both = (a: number | undefined, b: number | undefined, ok: (a: number, b: number) => boolean): boolean | undefined =>
    a === undefined || b === undefined ? undefined : ok(a, b);
  const cpuRatio = bridge.cpuMsPerMiB !== undefined && wsTls?.cpuMsPerMiB !== undefined ? bridge.cpuMsPerMiB / wsTls.cpuMsPerMiB : undefined;
  target({
    target: 'bridge CPU per MiB ≤ 0.6× websockify+TLS',
    figure: `${fig(bridge.cpuMsPerMiB, 'ms/MiB', 2)} (${fig(cpuRatio, '×', 2)})`,
    peer: fig(wsTls?.cpuMsPerMiB, 'ms/MiB', 2),
    met: cpuRatio === undefined ? undefined : cpuRatio <= 0.6,
  });
  const floor = rows.find((r) => r.name === FLOOR && r.mibps !== undefined);
  const floorRatio = floor?.cpuMsPerMiB !== undefined && wsTls?.cpuMsPerMiB !== undefined ? floor.cpuMsPerMiB / wsTls.cpuMsPerMiB : undefined;
  target({
    target: 'floor: any Node relay, CPU per MiB (bridge tunnel → TCP, no WebSocket)',
    figure: `${fig(floor?.cpuMsPerMiB, 'ms/MiB', 2)} (${fig(floorRatio, '×', 2)})`,
    peer: fig(wsTls?.cpuMsPerMiB, 'ms/MiB', 2),
    met: 'reported',
  });
  target({
    target: 'bridge loaded RTT p99 ≤ websockify+TLS',
    figure: fig(bridge.loaded?.[1], 'ms', 2),
    peer: fig(wsTls?.loaded?.[1], 'ms', 2),
    met: both(bridge.loaded?.[1], wsTls?.loaded?.[1], (a, b) => a <= b),
  });
  const added = bridge.idle !== undefined && rawTls.idle !== undefined ? bridge.idle[0] - rawTls.idle[0] : undefined;
  target({ target: 'floor: any Node relay, loaded RTT p99 (no WebSocket)', figure: fig(floor?.loaded?.[1], 'ms', 2), peer: fig(wsTls?.loaded?.[1], 'ms', 2), met: 'reported' });
  target({ target: 'bridge idle RTT p50 added to raw TLS ≤ 150 µs', figure: fig(added, 'µs', 0), peer: `raw TLS ${fig(rawTls.idle?.[0], 'µs', 0)}`, met: added === undefined ? undefined : added <= 150 });
  target({ target: 'bridge throughput (ratio to raw TLS, reported)', figure: `${fig(bridge.mibps, 'MiB/s', 0)} (${fig(bridge.mibps / rawTls.mibps, '×', 2)})`, peer: `raw TLS ${fig(rawTls.mibps, 'MiB/s', 0)}`, met: 'reported' });
  target({ target: 'bridge throughput ≥ 1.3× websockify+TLS', figure: fig(bridge.mibps, 'MiB/s', 0), peer: fig(wsTls?.mibps, 'MiB/s', 0), met: both(bridge.mibps, wsTls?.mibps, (a, b) => a >= 1.3 * b) });
  target({ target: 'bridge peak RSS ≤ 80 MiB', figure: fig(bridge.rssMiB, 'MiB'), peer: `websockify+TLS ${fig(wsTls?.rssMiB, 'MiB')}`, met: bridge.rssMiB === undefined ? undefined : bridge.rssMiB <= 80 });
}
