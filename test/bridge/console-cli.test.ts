// `porthole console <vm> --listen` as a real process against the simulator, used by a raw RFB viewer
// over TCP (what TigerVNC or Remmina do first): handshake and a frame; a refused console told to the
// viewer in RFB 3.3's own failure message; a halted VM refused at start with its exit code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_CODES } from '../../electron/cli/io';
import { parseListen } from '../../electron/cli/console';
import { startSimulator } from '../../electron/sim';
import type { Simulator } from '../../electron/sim/types';
import { addTrusted, makeManager } from '../core/helpers';
import { RfbClient } from '../support/rfb-client';

const root = join(import.meta.dirname, '..', '..');
const DUMP = join(root, 'test', 'fixtures', 'xapi-db', 'three-host-pool.xml');
let sim: Simulator;
let dir: string;
const children = new Set<ChildProcessWithoutNullStreams>();

before(async () => {
  sim = await startSimulator({ db: DUMP, vnc: 'synthetic', powerOpMs: 40 });
  dir = await mkdtemp(join(tmpdir(), 'porthole-console-cli-'));
  const m = await makeManager(undefined, dir);
  await addTrusted(m.manager, sim, { pinAll: true });
  await m.manager.close();
});
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

function porthole(args: string[]): { child: ChildProcessWithoutNullStreams; stdout: () => string; stderr: () => string; exit: Promise<number> } {
  const env: NodeJS.ProcessEnv = { ...process.env, PORTHOLE_CONFIG_DIR: dir, PORTHOLE_LOG: 'silent' };
  delete env.PORTHOLE_PASSWORD;
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'electron/cli/porthole.ts'), ...args, '--password-stdin'], { cwd: root, env });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.end(sim.password + '\n');
  const exit = new Promise<number>((resolve) =>
    child.once('close', (code) => {
      children.delete(child);
      resolve(code ?? -1);
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function listening(run: ReturnType<typeof porthole>): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /^listening on 127\.0\.0\.1:(\d+)$/m.exec(run.stdout());
    if (m !== null) return Number(m[1]);
    if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(`no listening line; stderr: ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function viewer(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

test('--listen parsing: loopback by default, explicit addresses kept', () => {
  assert.deepEqual(parseListen('127.0.0.1:5901'), { host: '127.0.0.1', port: 5901 });
  assert.deepEqual(parseListen('5902'), { host: '127.0.0.1', port: 5902 });
  assert.deepEqual(parseListen('[::1]:5903'), { host: '::1', port: 5903 });
  assert.deepEqual(parseListen('0.0.0.0:5904'), { host: '0.0.0.0', port: 5904 });
  assert.throws(() => parseListen('127.0.0.1'), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => parseListen('127.0.0.1:99999'), { code: 'INVALID_ARGUMENT' });
});

test('a VNC viewer over TCP: handshake and a frame; a second viewer told the console is in use', async () => {
  const run = porthole(['console', 'win-desktop', '--listen', '127.0.0.1:0']);
  const port = await listening(run);
  const first = await viewer(port);
  const client = new RfbClient(first);
  const init = await client.handshake('3.8');
  assert.equal(client.greeting, 'RFB 003.008\n');
  assert.ok(init.width > 0);
  client.requestUpdate(false);
  assert.ok((await client.readUpdate()).rects.length > 0);

  sim.faults.limitConsoleSessions(true);
  try {
    const second = new RfbClient(await viewer(port));
    assert.equal(await second.readGreeting(), 'RFB 003.003\n');
    second.writeRaw(Buffer.from('RFB 003.003\n'));
    const head = await second.read(8);
    assert.equal(head.readUInt32BE(0), 0, 'security type 0: connection failed');
    const reason = (await second.read(head.readUInt32BE(4))).toString('utf8');
    assert.equal(reason, `The console is in use by ${sim.user}.`);
    await second.waitClosed();
  } finally {
    sim.faults.limitConsoleSessions(false);
  }
  first.destroy();
  run.child.kill('SIGTERM');
  assert.equal(await run.exit, 0);
});

test('a halted VM is refused at start with its own exit code', async () => {
  const run = porthole(['console', 'centos-halted', '--listen', '127.0.0.1:0']);
  assert.equal(await run.exit, EXIT_CODES.VM_NOT_RUNNING, run.stderr());
  assert.match(run.stderr(), /not running/);
});
