// The secrets table: a scripted session through the real CLI and the real web harness (each its own
// process, with DEBUG=* and PORTHOLE_LOG=debug), against the simulator; then the password and every
// session id the pool issued are searched for in the config folder, every stdout/stderr, and every
// frame the harness sent to the page (API socket and console socket). Every count must be 0.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startSimulator } from '../../electron/sim';
import type { Simulator } from '../../electron/sim/types';
import { printTable, type Row } from '../support/table';

const root = join(import.meta.dirname, '../..');
const LOUD = { DEBUG: '*', PORTHOLE_LOG: 'debug' };
let sim: Simulator;
let dir: string;
const outputs: { where: string; text: string }[] = [];

before(async () => {
  sim = await startSimulator({ hosts: 2, vms: 4, vnc: 'synthetic', powerOpMs: 20 });
  dir = await mkdtemp(join(tmpdir(), 'porthole-secrets-'));
});
after(async () => {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

function spawnPorthole(args: string[]): ChildProcessWithoutNullStreams {
  const env: NodeJS.ProcessEnv = { ...process.env, ...LOUD, PORTHOLE_CONFIG_DIR: dir, PORTHOLE_PASSWORD: sim.password };
  return spawn(process.execPath, ['--import', 'tsx', join(root, 'electron/cli/porthole.ts'), ...args], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs one CLI command to its end; its stdout and stderr join the outputs searched. */
async function cli(args: string[]): Promise<number> {
  const child = spawnPorthole(args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end();
  const code = await new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? -1)));
  outputs.push({ where: `porthole ${args[0] ?? ''} ${args[1] ?? ''} stdout`, text: stdout }, { where: `porthole ${args[0] ?? ''} ${args[1] ?? ''} stderr`, text: stderr });
  assert.equal(code, 0, `porthole ${args.join(' ')}: ${stderr}`);
  return code;
}

async function filesUnder(path: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path, { withFileTypes: true })) {
    const full = join(path, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(full)));
    else out.push(full);
  }
  return out;
}

test('no password or session id in the config folder, the logs, stdout/stderr or any frame to the page', { timeout: 180_000 }, async () => {
  const master = `${sim.hosts[0]!.address}:${sim.port}`;
  await cli(['pool', 'add', '--name', 'lab', '--address', master, '--user', sim.user, '--trust-on-first-use']);
  await cli(['ls']);
  await cli(['ls', '--json']);
  await cli(['pool', 'list']);

  // The harness: its own process; the test is the page (API socket + a console socket).
  const harness = spawnPorthole(['web', '--port', '0']);
  let hout = '';
  let herr = '';
  harness.stdout.on('data', (d: Buffer) => (hout += d.toString()));
  harness.stderr.on('data', (d: Buffer) => (herr += d.toString()));
  const frames: string[] = [];
  try {
    while (!/Porthole UI: (\S+)/.test(hout)) {
      if (harness.exitCode !== null) throw new Error(`harness exited: ${herr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const url = new URL(/Porthole UI: (\S+)/.exec(hout)![1]!);
    const origin = url.origin;
    const api = new WebSocket(`ws://${url.host}/api?token=${url.searchParams.get('token') ?? ''}`, { origin });
    await new Promise((resolve, reject) => {
      api.once('open', resolve);
      api.once('error', reject);
    });
    const waiters: ((m: Record<string, unknown>) => boolean)[] = [];
    api.on('message', (d: Buffer) => {
      const text = d.toString('utf8');
      frames.push(text);
      const m = JSON.parse(text) as Record<string, unknown>;
      for (const w of [...waiters]) if (w(m)) waiters.splice(waiters.indexOf(w), 1);
    });
    let nextId = 1;
    const call = (channel: string, arg: unknown): Promise<unknown> => {
      const id = nextId++;
      api.send(JSON.stringify({ id, channel, arg }));
      return new Promise((resolve, reject) => {
        waiters.push((m) => {
          if (m.id !== id) return false;
          const r = m.result as { ok: boolean; value?: unknown; error?: { message: string } };
          if (r.ok) resolve(r.value);
          else reject(new Error(r.error?.message));
          return true;
        });
      });
    };
    const pools = (await call('pool:list', undefined)) as { id: string; name: string }[];
    const id = pools.find((p) => p.name === 'lab')!.id;
    const connected = new Promise<void>((resolve) =>
      waiters.push((m) => {
        const p = m.payload as { id?: string; state?: { kind?: string } } | undefined;
        if (m.event !== 'pool:state' || p?.id !== id || p.state?.kind !== 'connected') return false;
        resolve();
        return true;
      }),
    );
    await call('pool:connect', { id, password: sim.password });
    await connected;
    let vmUuid: string | undefined;
    while (vmUuid === undefined) {
      const snap = (await call('inventory:snapshot', undefined)) as { nodes: { kind: string; powerState?: string; uuid?: string; consoles?: { protocol: string }[] }[] };
      vmUuid = snap.nodes.find((n) => n.kind === 'vm' && n.powerState === 'Running' && n.consoles?.some((c) => c.protocol === 'rfb'))?.uuid;
    }
    const ticket = (await call('console:open', { poolId: id, vmUuid, protocol: 'rfb' })) as { url: string };
    const consoleWs = new WebSocket(ticket.url, { origin });
    let consoleBytes = Buffer.alloc(0);
    consoleWs.on('message', (d: Buffer) => (consoleBytes = Buffer.concat([consoleBytes, d])));
    while (consoleBytes.length < 12) await new Promise((r) => setTimeout(r, 20));
    frames.push(consoleBytes.toString('latin1'));
    await call('pool:disconnect', { id });
    consoleWs.close();
    api.close();
  } finally {
    harness.kill('SIGTERM');
    await new Promise((r) => harness.once('close', r));
  }
  outputs.push({ where: 'porthole web stdout', text: hout }, { where: 'porthole web stderr (logs)', text: herr }, { where: 'frames sent to the page', text: frames.join('\n') });
  for (const file of await filesUnder(dir)) outputs.push({ where: `config folder: ${file.slice(dir.length + 1)}`, text: await readFile(file, 'latin1') });

  const sessions = sim.issuedSessions();
  assert.ok(sessions.length / 2 >= 3, `ls, ls --json and the harness each logged in (${sessions.length / 2} sessions)`);
  assert.ok(herr.length > 0, 'the harness logged at debug level');
  const rows: Row[] = outputs.map((o) => ({
    where: o.where,
    bytes: o.text.length,
    'password hits': o.text.split(sim.password).length - 1,
    'session id hits': sessions.reduce((n, s) => n + o.text.split(s).length - 1, 0),
  }));
  rows.push({ where: `total (${sessions.length / 2} sessions issued)`, bytes: rows.reduce((n, r) => n + Number(r.bytes), 0), 'password hits': rows.reduce((n, r) => n + Number(r['password hits']), 0), 'session id hits': rows.reduce((n, r) => n + Number(r['session id hits']), 0) });
  printTable('Secrets: the password and every session id, searched after a scripted CLI + harness session (DEBUG=*, PORTHOLE_LOG=debug)', rows);
  for (const r of rows) assert.deepEqual([r['password hits'], r['session id hits']], [0, 0], String(r.where));
});
