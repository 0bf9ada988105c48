// The console servers built from real programs (QEMU, Xvnc + xterm, Xvfb + xterm + x11vnc), checked
// with the test RFB client: greetings byte for byte, QEMU's RFB pixels against its QMP screendump,
// keys typed over VNC arriving in the xterm's file, and stop() leaving no process or socket behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needTools } from '../support/tools';
import { RfbClient, decodePpm, differingPixels, pixelFormat32 } from '../support/rfb-client';
import { startSimulator } from '../../electron/sim/index';
import { startVncBackend } from '../../electron/sim/vnc/index';
import { VNC_KIND_TOOLS } from './index';
import { startQemuVnc } from './qemu';
import { startXvnc, type XConsoleBackend } from './xvnc';
import { startRfb33 } from './rfb33';

/** How long typed keys may take to reach the xterm's file, ms. */
const TYPED_TIMEOUT_MS = 10_000;

function workDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `porthole-vnc-${tag}-`));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** TCP ports a process listens on (Linux /proc); the console servers must listen on unix sockets only. */
function tcpListeners(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1] !== undefined) inodes.add(m[1]);
    } catch {
      // fd closed meanwhile
    }
  }
  const ports: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols: sl local_address rem_address st ... inode (10th)
      if (cols[3] === '0A' && cols[9] !== undefined && inodes.has(cols[9])) ports.push(cols[1] ?? '');
    }
  }
  return ports;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitForFileText(file: string, wanted: string): Promise<string> {
  const deadline = Date.now() + TYPED_TIMEOUT_MS;
  let text = '';
  while (Date.now() < deadline) {
    text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (text.includes(wanted)) return text;
    await sleep(50);
  }
  return text;
}

/** Bounding box of pixel indexes on a screen `width` wide. */
function boundingBox(pixels: number[], width: number): { w: number; h: number } {
  const xs = pixels.map((p) => p % width);
  const ys = pixels.map((p) => Math.floor(p / width));
  return { w: Math.max(...xs) - Math.min(...xs) + 1, h: Math.max(...ys) - Math.min(...ys) + 1 };
}

/** A VGA text cell is 9x16 px: the blinking cursor may differ between two looks at the screen, nothing else. */
function withinOneTextCell(pixels: number[], width: number): boolean {
  if (pixels.length === 0) return true;
  const box = boundingBox(pixels, width);
  return box.w <= 9 && box.h <= 16;
}

async function checkStopped(backend: XConsoleBackend): Promise<void> {
  const pids = backend.pids;
  for (const pid of pids) assert.deepEqual(tcpListeners(pid), [], `process ${pid} listens on no TCP port`);
  const display = backend.display;
  assert.ok(pids.length >= 2);
  await backend.stop();
  for (const pid of pids) assert.equal(alive(pid), false, `process ${pid} is gone`);
  assert.equal(existsSync(backend.socketPath), false, 'RFB socket removed');
  assert.equal(existsSync(`/tmp/.X${display}-lock`), false, 'X lock file removed');
}

describe('qemu console server', { skip: needTools(...VNC_KIND_TOOLS.qemu) }, () => {
  const dir = workDir('qemu');
  let qemu: Awaited<ReturnType<typeof startQemuVnc>> | undefined;
  before(async () => {
    qemu = await startQemuVnc({ name: 'hvm,guest', workDir: dir });
  });
  after(async () => {
    await qemu?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('greets RFB 003.008 and its RFB frame equals the QMP screendump', async () => {
    const q = qemu!;
    // Let SeaBIOS finish printing: two dumps 400 ms apart that differ at most by the cursor.
    let settled = false;
    for (let i = 0; i < 25 && !settled; i++) {
      const a = decodePpm(await q.screendump!());
      await sleep(400);
      const b = decodePpm(await q.screendump!());
      settled = a.width === b.width && a.height === b.height && withinOneTextCell(differingPixels(a.rgba, b.rgba), a.width);
    }
    assert.ok(settled, 'the guest screen settled');
    const client = new RfbClient(await q.connect());
    try {
      const init = await client.handshake('3.8');
      assert.equal(client.greeting, 'RFB 003.008\n');
      assert.deepEqual([...client.securityBytes], [1, 1, 0, 0, 0, 0]);
      // QEMU names the desktop "QEMU (<-name>)"; the comma survived QEMU's option parser.
      assert.equal(init.name, 'QEMU (hvm,guest)');
      client.setPixelFormat(pixelFormat32());
      client.setEncodings([0]);
      const frame = await client.readFullFrame();
      const dump = decodePpm(await q.screendump!());
      assert.deepEqual([client.width, client.height], [dump.width, dump.height]);
      const diff = differingPixels(frame, dump.rgba);
      assert.ok(withinOneTextCell(diff, dump.width), `frame and screendump differ in ${diff.length} pixels beyond the cursor cell`);
      // The comparison means something: the screen has text on it, not one flat colour.
      const lit = differingPixels(frame, new Uint8Array(frame.length).fill(0)).length;
      assert.ok(lit > 500, `guest screen has content (${lit} non-black pixels)`);
    } finally {
      client.close();
    }
  });

  test('stop() ends QEMU and removes its sockets', async () => {
    const q = qemu!;
    const pid = q.pid!;
    assert.ok(alive(pid));
    assert.deepEqual(tcpListeners(pid), [], 'QEMU listens on no TCP port');
    await q.stop();
    assert.equal(alive(pid), false);
    assert.equal(existsSync(q.socketPath), false);
    await assert.rejects(q.connect(), /stopped/);
    await q.stop(); // idempotent
  });
});

describe('xvnc console server', { skip: needTools(...VNC_KIND_TOOLS.xvnc) }, () => {
  const dirs = [workDir('xvnc-a'), workDir('xvnc-b')];
  let servers: XConsoleBackend[] = [];
  before(async () => {
    // Two at once: displays and sockets must not collide.
    servers = await Promise.all(dirs.map((d, i) => startXvnc({ name: `xvnc-vm-${i}`, workDir: d, width: 640, height: 480 })));
  });
  after(async () => {
    for (const s of servers) await s.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('concurrent servers get their own displays and sockets', () => {
    const [a, b] = servers;
    assert.notEqual(a!.display, b!.display);
    assert.notEqual(a!.socketPath, b!.socketPath);
  });

  test('greets RFB 003.008; keys sent as KeyEvents reach the xterm', async () => {
    const s = servers[0]!;
    const client = new RfbClient(await s.connect());
    try {
      const init = await client.handshake('3.8');
      assert.equal(client.greeting, 'RFB 003.008\n');
      assert.equal(init.name, 'xvnc-vm-0');
      assert.deepEqual([init.width, init.height], [640, 480]);
      client.setPixelFormat(pixelFormat32());
      client.setEncodings([0]);
      await client.readFullFrame();
      client.type('hello\n');
      const typed = await waitForFileText(s.typedFile, 'hello\n');
      assert.equal(typed, 'hello\n');
    } finally {
      client.close();
    }
  });

  test('stop() leaves no process, socket or X lock', async () => {
    await checkStopped(servers[1]!);
  });
});

describe('rfb33 console server (vncterm-like)', { skip: needTools(...VNC_KIND_TOOLS.rfb33) }, () => {
  const dir = workDir('rfb33');
  let server: XConsoleBackend | undefined;
  before(async () => {
    server = await startRfb33({ name: 'pv-dom0', workDir: dir });
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('greets exactly RFB 003.003 and sends security None as a u32', async () => {
    const client = new RfbClient(await server!.connect());
    try {
      const raw = await client.read(12);
      assert.deepEqual(raw, Buffer.from('RFB 003.003\n', 'latin1'));
      client.greeting = raw.toString('latin1');
      const init = await client.handshake('3.3');
      assert.deepEqual([...client.securityBytes], [0, 0, 0, 1]);
      assert.deepEqual([init.width, init.height], [720, 400]);
      client.setPixelFormat(pixelFormat32());
      client.setEncodings([0]);
      const frame = await client.readFullFrame();
      assert.equal(frame.length, 720 * 400 * 4);
      client.type('dom0\n');
      assert.equal(await waitForFileText(server!.typedFile, 'dom0\n'), 'dom0\n');
    } finally {
      client.close();
    }
  });

  test('stop() leaves no process, socket or X lock', async () => {
    await checkStopped(server!);
  });
});

describe('startVncBackend', () => {
  test('starts the in-process synthetic server without any program', async () => {
    const backend = await startVncBackend('synthetic', { name: 'demo', workDir: tmpdir() });
    const client = new RfbClient(await backend.connect());
    const init = await client.handshake('3.8');
    assert.equal(backend.kind, 'synthetic');
    assert.equal(init.name, 'demo');
    await backend.stop();
    await client.waitClosed();
  });

  test('refuses a kind that needs a program when no launcher was injected', async () => {
    await assert.rejects(startVncBackend('qemu', { name: 'vm', workDir: tmpdir() }), /no launcher for qemu/);
    await assert.rejects(startSimulator({ hosts: 1, vms: 1, vnc: 'xvnc' }), /vnc: 'xvnc' needs launchers/);
  });
});
