// The synthetic RFB server against the independent test client (test/support/rfb-client.ts): the
// handshakes at 3.3/3.7/3.8, pixels in several formats equal the server's own framebuffer, typed keys
// change text and screen, incremental updates carry only what changed, DesktopSize, and clean stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RfbClient, differingPixels, pixelFormat32, pixelFormat565 } from '../../../test/support/rfb-client';
import { startSyntheticVnc, type SyntheticVncBackend } from './synthetic';
import { createDuplexPair } from './duplex-pair';

async function withServer(tickMs: number, fn: (server: SyntheticVncBackend) => Promise<void>): Promise<void> {
  const server = await startSyntheticVnc({ name: 'demo-vm-01', workDir: '/nonexistent', tickMs });
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

async function client(server: SyntheticVncBackend): Promise<RfbClient> {
  return new RfbClient(await server.connect());
}

/** Polls `check` until it holds (fails after 5 s). */
async function waitUntil(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Largest per-channel difference between two RGBA buffers. */
function maxChannelError(a: Uint8Array, b: Uint8Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) if (i % 4 !== 3) worst = Math.max(worst, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return worst;
}

test('greets RFB 3.8, offers None, and a 3.8 client reads the exact framebuffer', () =>
  withServer(0, async (server) => {
    const c = await client(server);
    const init = await c.handshake('3.8');
    assert.equal(c.greeting, 'RFB 003.008\n');
    assert.deepEqual([...c.securityBytes], [1, 1, 0, 0, 0, 0]);
    assert.equal(init.name, 'demo-vm-01');
    assert.deepEqual([init.width, init.height], [800, 600]);
    const frame = await c.readFullFrame();
    const snap = server.snapshot();
    assert.equal(differingPixels(frame, snap.rgba).length, 0);
    // The picture is not blank: the title bar and colour bars are there.
    assert.ok(new Set(Array.from({ length: 800 }, (_, x) => snap.rgba[(60 * 800 + x) * 4])).size > 1);
  }));

test('a 3.3 client gets the security type as a u32 and the same pixels', () =>
  withServer(0, async (server) => {
    const c = await client(server);
    await c.handshake('3.3');
    assert.deepEqual([...c.securityBytes], [0, 0, 0, 1]);
    const frame = await c.readFullFrame();
    assert.equal(differingPixels(frame, server.snapshot().rgba).length, 0);
  }));

test('a 3.7 client gets no SecurityResult before ServerInit', () =>
  withServer(0, async (server) => {
    const c = await client(server);
    await c.readGreeting();
    c.writeRaw(Buffer.from('RFB 003.007\n'));
    assert.deepEqual([...(await c.read(2))], [1, 1]);
    c.writeRaw(Buffer.from([1, 1])); // choose None, then ClientInit(shared)
    const init = await c.read(24);
    assert.deepEqual([init.readUInt16BE(0), init.readUInt16BE(2)], [800, 600]);
    assert.equal(init.readUInt8(4), 32);
  }));

for (const [label, pf, tolerance] of [
  ['32bpp big-endian', pixelFormat32(true), 0],
  ['16bpp little-endian', pixelFormat565(false), 5],
  ['16bpp big-endian', pixelFormat565(true), 5],
  // noVNC's own choice: red in the lowest byte.
  ['32bpp RGBX (noVNC)', { ...pixelFormat32(false), redShift: 0, blueShift: 16 }, 0],
  // 8bpp BGR233: 2 bits of blue, so up to 255/3/2 off.
  ['8bpp BGR233', { bitsPerPixel: 8, depth: 8, bigEndian: false, redMax: 7, greenMax: 7, blueMax: 3, redShift: 0, greenShift: 3, blueShift: 6 }, 43],
] as const) {
  test(`honours SetPixelFormat: ${label}`, () =>
    withServer(0, async (server) => {
      const c = await client(server);
      await c.handshake('3.8');
      c.setPixelFormat(pf);
      c.setEncodings([0]);
      const frame = await c.readFullFrame();
      assert.ok(maxChannelError(frame, server.snapshot().rgba) <= tolerance);
    }));
}

test('typed keys appear in its text and on screen; incremental updates carry only the change', () =>
  withServer(0, async (server) => {
    const c = await client(server);
    await c.handshake('3.8');
    c.setPixelFormat(pixelFormat32());
    c.setEncodings([0]);
    const before = await c.readFullFrame();
    c.requestUpdate(true);
    // Nothing changes with the animation frozen: no update may arrive.
    await assert.rejects(c.readUpdate(200), /timed out/);
    c.type('hello\nworx');
    c.key(0xff08, true); // BackSpace
    c.key(0xff08, false);
    // The pending incremental request is answered with the text area only.
    const update = await c.readUpdate();
    for (const r of update.rects) assert.ok(r.h < c.height, 'an incremental update is not the whole screen');
    while (server.typedText !== 'hello\nwor') {
      c.requestUpdate(true);
      await c.readUpdate();
    }
    assert.equal(server.typedText, 'hello\nwor');
    const snap = server.snapshot();
    assert.ok(differingPixels(before, snap.rgba).length > 100, 'the typed text changed the screen');
    assert.equal(differingPixels(c.rgba, snap.rgba).length, 0, 'incremental updates rebuilt the same screen');
  }));

test('pointer and clipboard input are recorded', () =>
  withServer(0, async (server) => {
    const c = await client(server);
    await c.handshake('3.8');
    c.pointer(123, 45, 1);
    c.cutText('paste me');
    c.requestUpdate(false, { x: 0, y: 0, w: 1, h: 1 });
    await c.readUpdate(); // messages are handled in order, so the input came first
    assert.deepEqual(server.pointer, { x: 123, y: 45, buttons: 1 });
    assert.equal(server.cutText, 'paste me');
  }));

test('the picture moves by itself while a client is connected', () =>
  withServer(20, async (server) => {
    const c = await client(server);
    await c.handshake('3.8');
    await c.readFullFrame();
    c.requestUpdate(true);
    const update = await c.readUpdate(2000);
    assert.ok(update.rects.length > 0);
    assert.ok(server.ticks > 0);
    assert.ok(update.rects.every((r) => r.w * r.h < c.width * c.height / 4), 'only the moving parts are sent');
  }));

test('the picture follows the clock: a viewer that comes back later sees it moved on, though no one watched', () =>
  withServer(20, async (server) => {
    const first = await client(server);
    await first.handshake('3.8');
    const before = await first.readFullFrame();
    const ticksBefore = server.ticks;
    first.close();
    await waitUntil(() => server.connections === 0);
    // Nobody is connected: the timer is off, and the clock runs on for several steps.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(server.ticks, ticksBefore, 'no drawing while no one watches');
    const second = await client(server);
    await second.handshake('3.8');
    const after = await second.readFullFrame();
    assert.ok(server.ticks >= ticksBefore + 5, `the step moved on with the clock (${ticksBefore} → ${server.ticks})`);
    assert.ok(differingPixels(before, after).length > 100, 'the second viewer sees a changed screen');
  }));

test('DesktopSize: a resize reaches a client that announced it', () =>
  withServer(0, async (server) => {
    const c = await client(server);
    await c.handshake('3.8');
    c.setEncodings([0, -223]);
    await c.readFullFrame();
    c.requestUpdate(true);
    server.resize(640, 480);
    const update = await c.readUpdate();
    assert.equal(update.rects[0]?.encoding, -223);
    assert.deepEqual([c.width, c.height], [640, 480]);
    const frame = await c.readFullFrame();
    assert.equal(differingPixels(frame, server.snapshot().rgba).length, 0);
  }));

test('an unknown client message closes the connection; stop() closes the rest', () =>
  withServer(10, async (server) => {
    const bad = await client(server);
    await bad.handshake('3.8');
    const good = await client(server);
    await good.handshake('3.3');
    assert.equal(server.connections, 2);
    bad.writeRaw(Buffer.from([77, 0, 0, 0]));
    await bad.waitClosed();
    assert.equal(server.connections, 1);
    await server.stop();
    await good.waitClosed();
    assert.equal(server.connections, 0);
    await assert.rejects(server.connect(), /stopped/);
  }));

test('a client that answers another major version is dropped', () =>
  withServer(0, async (server) => {
    const c = await client(server);
    await c.readGreeting();
    c.writeRaw(Buffer.from('RFB 004.001\n'));
    await c.waitClosed();
    assert.equal(server.connections, 0);
  }));

test('duplex pair: writes cross over, and destroying one end closes the other', async () => {
  const [a, b] = createDuplexPair();
  const got = new Promise<string>((resolve) => b.once('data', (d: Buffer) => resolve(d.toString())));
  a.write('ping');
  assert.equal(await got, 'ping');
  const closed = new Promise<void>((resolve) => b.once('close', () => resolve()));
  a.destroy();
  await closed;
  assert.ok(b.destroyed);
});
