// The Tight encoder checked by noVNC's own Tight decoder (test/support/novnc-decoder.ts): whole frames
// and incremental updates from the synthetic server decode to exactly the server's pixels, every tile
// kind (fill, 1-bit and 8-bit palette, copy) and the 2048 px width split occur, Raw is kept for clients
// that prefer it or whose pixel format has no 3-byte TPIXEL, and the compact length format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RfbClient, differingPixels, pixelFormat32, pixelFormat565 } from '../../../test/support/rfb-client';
import { novncDecoder } from '../../../test/support/novnc-decoder';
import { startSyntheticVnc, type SyntheticVncBackend } from './synthetic';
import { ENCODING_TIGHT, compactLength, encodeTight } from './tight';

const RAW = 0;
const DESKTOP_SIZE = -223;
/** noVNC's pixel format: 32bpp, red in the lowest byte. */
const NOVNC_FORMAT = { ...pixelFormat32(false), redShift: 0, blueShift: 16 };

async function withServer(size: { width: number; height: number } | undefined, fn: (server: SyntheticVncBackend) => Promise<void>): Promise<void> {
  const server = await startSyntheticVnc({ name: 'tight-vm', workDir: '/nonexistent', tickMs: 0, ...size });
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

/** A connected client that decodes Tight with noVNC and counts the bytes it received. */
async function tightClient(server: SyntheticVncBackend, encodings: number[]): Promise<{ c: RfbClient; received: () => number }> {
  const stream = await server.connect();
  let bytes = 0;
  stream.on('data', (d: Buffer) => (bytes += d.length));
  const c = new RfbClient(stream);
  c.useDecoder(ENCODING_TIGHT, await novncDecoder('tight'));
  await c.handshake('3.8');
  c.setPixelFormat(NOVNC_FORMAT);
  c.setEncodings(encodings);
  return { c, received: () => bytes };
}

/** Which tile kinds the encoder chooses for an area of the screen, from each tile's control byte. */
function tileKinds(server: SyntheticVncBackend, area: { x: number; y: number; w: number; h: number }): Set<string> {
  const snap = server.snapshot();
  const kinds = new Set<string>();
  for (const t of encodeTight(snap.rgba, snap.width, area)) {
    const ctl = t.body[0] ?? 0;
    if (ctl === 0x80) kinds.add('fill');
    else if ((ctl & 0x40) !== 0) kinds.add(t.body[2] === 1 ? 'mono' : 'palette');
    else kinds.add('copy');
  }
  return kinds;
}

test('noVNC decodes a Tight full frame to exactly the server pixels, in a fraction of Raw bytes', () =>
  withServer(undefined, async (server) => {
    const { c, received } = await tightClient(server, [ENCODING_TIGHT, RAW, DESKTOP_SIZE]);
    const before = received();
    c.requestUpdate(false);
    const update = await c.readUpdate();
    assert.ok(update.rects.every((r) => r.encoding === ENCODING_TIGHT));
    assert.equal(differingPixels(c.rgba, server.snapshot().rgba).length, 0);
    const rawBytes = 800 * 600 * 4;
    assert.ok(received() - before < rawBytes / 10, `Tight frame of ${received() - before} bytes vs ${rawBytes} Raw`);
    // The picture exercises every tile kind: full colour, few colours, and two (the title's text).
    assert.deepEqual([...tileKinds(server, { x: 0, y: 0, w: 800, h: 600 })].sort(), ['copy', 'fill', 'palette']);
    assert.deepEqual([...tileKinds(server, { x: 12, y: 14, w: 96, h: 12 })], ['mono']);
  }));

test('incremental Tight updates after typing rebuild the same screen in noVNC', () =>
  withServer(undefined, async (server) => {
    const { c } = await tightClient(server, [ENCODING_TIGHT, RAW]);
    await c.readFullFrame();
    c.type('Tight over noVNC\nline two');
    // Keys and requests are handled in order, so an update asked for after the keys carries their damage.
    do {
      c.requestUpdate(true);
      await c.readUpdate();
    } while (server.typedText !== 'Tight over noVNC\nline two');
    assert.equal(differingPixels(c.rgba, server.snapshot().rgba).length, 0);
  }));

test('a screen wider than 2048 px is split into tiles and still decodes exactly', () =>
  withServer({ width: 2100, height: 80 }, async (server) => {
    const { c } = await tightClient(server, [ENCODING_TIGHT]);
    c.requestUpdate(false);
    const update = await c.readUpdate();
    assert.ok(update.rects.every((r) => r.w <= 2048));
    assert.ok(update.rects.some((r) => r.x === 2048));
    assert.equal(differingPixels(c.rgba, server.snapshot().rgba).length, 0);
  }));

test('Raw stays for a client that prefers it, and for a pixel format without a 3-byte TPIXEL', () =>
  withServer(undefined, async (server) => {
    const { c } = await tightClient(server, [RAW, ENCODING_TIGHT]);
    c.requestUpdate(false);
    assert.ok((await c.readUpdate()).rects.every((r) => r.encoding === RAW));
    const { c: c16 } = await tightClient(server, [ENCODING_TIGHT, RAW]);
    c16.setPixelFormat(pixelFormat565());
    c16.requestUpdate(false);
    assert.ok((await c16.readUpdate()).rects.every((r) => r.encoding === RAW));
  }));

test('compact length: 7 bits a byte, up to 3 bytes', () => {
  assert.deepEqual([...compactLength(127)], [127]);
  assert.deepEqual([...compactLength(128)], [0x80, 1]);
  assert.deepEqual([...compactLength(16383)], [0xff, 0x7f]);
  assert.deepEqual([...compactLength(16384)], [0x80, 0x80, 1]);
  assert.deepEqual([...compactLength(0x3fffff)], [0xff, 0xff, 0xff]);
});
