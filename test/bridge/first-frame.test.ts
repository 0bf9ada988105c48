// The first-frame nudge end to end. Through the bridge: a console whose desktop name is QEMU's gets
// one empty ClientCutText right after the page's first full update request (seen at the server as its
// clipboard turning empty); another server gets nothing. Against a real QEMU run with
// `-trace input_event_*`: the nudge logs no input event and the connection carries on, while a key
// press (the control) does log events — so the check can fail.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBridge } from '../../electron/core/bridge';
import { REFRESH_NUDGE } from '../../electron/core/bridge/first-frame';
import net from 'node:net';
import { startSyntheticVnc, type SyntheticVncBackend } from '../../electron/sim/vnc';
import { RfbClient } from '../support/rfb-client';
import { needTools } from '../support/tools';
import { FakeSource, startConsoleServer, upstreamAt } from './support/console-server';
import { openPage, PAGE_ORIGIN, pageStream } from './support/ws';

/** Connects to QEMU's VNC socket once QEMU has created it (retrying while it starts). */
async function connectWhenUp(path: string, timeoutMs: number): Promise<net.Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(path, () => resolve(s));
        s.once('error', reject);
      });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const workDir = mkdtempSync(join(tmpdir(), 'porthole-first-frame-'));
let backend: SyntheticVncBackend | undefined;
const server = await startConsoleServer(() => ({ status: 200, stream: () => (backend as SyntheticVncBackend).connect() }));
const bridge = await createBridge({ allowedOrigins: [PAGE_ORIGIN], pingIntervalMs: 60_000 });

after(async () => {
  await bridge.close();
  await server.close();
  await backend?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

/** Opens a console through the bridge to a synthetic server named `name`; returns the server's clipboard after the first frame. */
async function clipboardAfterFirstFrame(name: string): Promise<string> {
  await backend?.stop();
  backend = await startSyntheticVnc({ name, workDir, tickMs: 0 });
  // Give the server a clipboard first, straight (not through the bridge).
  const direct = new RfbClient(await backend.connect());
  await direct.handshake('3.8');
  direct.cutText('set before');
  direct.requestUpdate(false, { x: 0, y: 0, w: 1, h: 1 });
  await direct.readUpdate();
  direct.close();
  const source = new FakeSource(upstreamAt(server.port));
  source.pins.set(`127.0.0.1:${server.port}`, server.fingerprint);
  const ticket = await bridge.openConsole(source, { poolId: 'p', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  const ws = await openPage(ticket.url);
  const page = new RfbClient(pageStream(ws));
  await page.handshake('3.8');
  page.requestUpdate(false);
  await page.readUpdate();
  // Messages are handled in order: an update answered after a second request means the nudge (if
  // any, sent right after the first request) was handled too.
  page.requestUpdate(false, { x: 0, y: 0, w: 1, h: 1 });
  await page.readUpdate();
  const clip = backend.cutText;
  ws.close(1000);
  return clip;
}

test('through the bridge, a QEMU-named console gets the nudge after its first full request; others do not', async () => {
  assert.equal(await clipboardAfterFirstFrame('QEMU (web-1)'), '');
  assert.equal(await clipboardAfterFirstFrame('demo-vm-01'), 'set before');
});

test('real QEMU: the nudge logs no input event and the console carries on; a key press does log', { skip: needTools('qemu-system-x86_64') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-qemu-trace-'));
  const sock = join(dir, 'vnc.sock');
  const log = join(dir, 'trace.log');
  const qemu = spawn('qemu-system-x86_64', ['-nodefaults', '-machine', 'pc', '-accel', 'tcg', '-vga', 'std', '-display', 'none', '-name', 'trace-vm', '-vnc', `unix:${sock}`, '-trace', 'input_event_*', '-D', log], { stdio: 'ignore' });
  try {
    const c = new RfbClient(await connectWhenUp(sock, 15_000));
    const init = await c.handshake('3.8');
    assert.equal(init.name, 'QEMU (trace-vm)');
    c.writeRaw(REFRESH_NUDGE);
    c.requestUpdate(false, { x: 0, y: 0, w: 8, h: 8 });
    await c.readUpdate();
    const traced = (): string[] => readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('input_event'));
    assert.deepEqual(traced(), [], 'the nudge reached QEMU as no input');
    // Control: a key press is traced, so an input-producing nudge would have shown up above.
    c.key(0x61, true);
    c.key(0x61, false);
    c.requestUpdate(false, { x: 0, y: 0, w: 8, h: 8 });
    await c.readUpdate();
    const deadline = Date.now() + 10_000;
    while (traced().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(traced().some((l) => l.startsWith('input_event_key')), `key events are traced: ${traced().join(' | ')}`);
    c.close();
  } finally {
    qemu.kill('SIGTERM');
    await new Promise((r) => qemu.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});
