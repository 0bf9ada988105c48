// The console bridge end to end with real sockets: a WebSocket "page" with an Origin, the bridge, real
// pinned TLS to a host speaking xapi's CONNECT bytes, and the simulator's in-process RFB and text
// consoles behind it. No external tools needed (the simulator suites with QEMU and rfb33 are in
// bridge-sim.test.ts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { createBridge, type Bridge } from '../../electron/core/bridge';
import { startSyntheticVnc, startTextConsole } from '../../electron/sim/vnc';
import { PortholeError } from '../../shared/errors';
import { RfbClient } from '../support/rfb-client';
import { FakeSource, startConsoleServer, upstreamAt, type ConnectAnswer } from './support/console-server';
import { closed, openPage, PAGE_ORIGIN, pageStream, upgradeStatus } from './support/ws';
import { patternChunk, startPatternConsole, type PatternConsole } from './support/pattern';

const MIB = 1024 * 1024;
const workDir = mkdtempSync(join(tmpdir(), 'porthole-bridge-'));
const synthetic = await startSyntheticVnc({ name: 'test-vm', workDir, tickMs: 0 });
const rfb = (): ConnectAnswer => ({ status: 200, stream: () => synthetic.connect() });
let next: (index: number) => ConnectAnswer = rfb;
const server = await startConsoleServer((_req, i) => next(i));
// The bridge measures input quietness on this clock, stepped by the idle-timeout test (no sleeps).
let clockMs = 0;
const bridge = await createBridge({ allowedOrigins: () => [PAGE_ORIGIN, 'http://127.0.0.1:5999'], idleHintMs: 300, pingIntervalMs: 60_000, clock: () => clockMs });
const extraBridges: Bridge[] = [];

after(async () => {
  for (const b of extraBridges) await b.close();
  await bridge.close();
  await server.close();
  await synthetic.stop();
  rmSync(workDir, { recursive: true, force: true });
});

function source(upstream = upstreamAt(server.port)): FakeSource {
  const s = new FakeSource(upstream);
  s.pins.set(`127.0.0.1:${server.port}`, server.fingerprint);
  return s;
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const settled = (b: Bridge = bridge): Promise<void> =>
  waitFor('the bridge to settle', () => {
    const s = b.stats();
    return s.consoles === 0 && s.upstreams === 0 && s.sockets === 0 && server.open() === 0;
  });

test('RFB 3.8 handshake and a framebuffer update through the bridge; exact ticket and CONNECT', async () => {
  next = rfb;
  const s = source();
  const ticket = await bridge.openConsole(s, { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  assert.match(ticket.url, new RegExp(`^ws://127\\.0\\.0\\.1:${bridge.port}/console/[A-Za-z0-9_-]{43}$`));
  assert.equal(bridge.origin, `ws://127.0.0.1:${bridge.port}`);
  assert.deepEqual({ ...ticket, url: '' }, { url: '', protocol: 'rfb', consoleUuid: upstreamAt(0).consoleUuid, vmUuid: upstreamAt(0).vmUuid, vmName: 'test-vm' });
  const before = server.requests.length;
  const ws = await openPage(ticket.url);
  const client = new RfbClient(pageStream(ws));
  const init = await client.handshake('3.8');
  assert.equal(client.greeting, 'RFB 003.008\n');
  assert.equal(init.width, 800);
  client.requestUpdate(false);
  const update = await client.readUpdate();
  assert.ok(update.rects.length > 0);
  assert.equal(server.requests[before]?.raw, `CONNECT /console?uuid=${upstreamAt(0).consoleUuid} HTTP/1.0\r\nHost: 127.0.0.1:${server.port}\r\nCookie: session_id=${s.sid}`);
  const done = closed(ws);
  ws.close(1000);
  assert.equal((await done).closeCode, 1000);
  await settled();
});

/** A page with an RFB client on a fresh console of the synthetic server. */
async function rfbPage(): Promise<{ ws: Awaited<ReturnType<typeof openPage>>; client: RfbClient }> {
  next = rfb;
  const ticket = await bridge.openConsole(source(), { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  const ws = await openPage(ticket.url);
  return { ws, client: new RfbClient(pageStream(ws)) };
}

test('the bridge answers the RFB handshake ahead of the page: ServerInit arrives before the page says a word; its own answers are dropped', async () => {
  const { ws, client } = await rfbPage();
  // Greeting, the None-only list, SecurityResult and ServerInit (desktop 'test-vm'), with nothing sent yet.
  const handshake = await client.read(12 + 2 + 4 + 24 + 'test-vm'.length);
  assert.equal(handshake.toString('latin1', 0, 12), 'RFB 003.008\n');
  assert.deepEqual([...handshake.subarray(12, 18)], [1, 1, 0, 0, 0, 0]);
  assert.equal(handshake.toString('utf8', 42), 'test-vm');
  // The page's own answers, as noVNC sends them. Had they reached the server too, it would have read
  // them as messages (type 82, 'R') and closed the connection.
  client.writeRaw(Buffer.from('RFB 003.008\n', 'latin1'));
  client.writeRaw(Buffer.from([1]));
  client.writeRaw(Buffer.from([1]));
  client.requestUpdate(false, { x: 0, y: 0, w: 1, h: 1 });
  const update = await client.readUpdate();
  assert.deepEqual(update.rects.map((r) => [r.x, r.y, r.w, r.h]), [[0, 0, 1, 1]]);
  const done = closed(ws);
  ws.close(1000);
  assert.equal((await done).closeCode, 1000);
  await settled();
});

test('a page that answers the handshake otherwise than the bridge did is closed with an error (4000)', async () => {
  const { ws, client } = await rfbPage();
  await client.readGreeting();
  const done = closed(ws);
  client.writeRaw(Buffer.from('RFB 003.003\n', 'latin1'));
  const close = await done;
  assert.equal(close.closeCode, 4000);
  assert.equal(close.code, 'CONSOLE_ERROR');
  assert.match(close.message, /handshake/);
  await settled();
});

test('a vt100 console rides the same bridge as bytes', async () => {
  const text = await startTextConsole({ name: 'pv-guest' });
  try {
    const s = source(upstreamAt(server.port, 'vt100'));
    next = () => ({ status: 200, stream: () => text.connect(), greetingInHeaderWrite: false });
    const ticket = await bridge.openConsole(s, { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'vt100' });
    assert.equal(ticket.protocol, 'vt100');
    const ws = await openPage(ticket.url);
    let screen = '';
    ws.on('message', (d: Buffer) => (screen += d.toString('latin1')));
    await waitFor('the login prompt', () => screen.includes('pv-guest login: '));
    ws.send(Buffer.from('root\r'));
    await waitFor('the echo of the user name', () => screen.includes('login: root'));
    const done = closed(ws);
    ws.close();
    await done;
    await settled();
  } finally {
    await text.stop();
  }
});

test('every refused upgrade gets a plain HTTP error and makes no upstream connection', async () => {
  next = rfb;
  const s = source();
  const ticket = await bridge.openConsole(s, { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  const path = new URL(ticket.url).pathname;
  const token = path.split('/')[2] ?? '';
  const port = bridge.port;
  const before = server.connections();
  const cases: [string, string, Record<string, string | undefined>, number][] = [
    ['no token', '/console/', {}, 404],
    ['no token, no slash', '/console', {}, 404],
    ['unknown path', `/vnc/${token}`, {}, 404],
    ['token with a suffix', `${path}/x`, {}, 404],
    ['unknown token', `/console/${randomBytes(32).toString('base64url')}`, {}, 404],
    ['wrong Origin', path, { origin: 'http://evil.example' }, 403],
    ['Origin of another loopback port', path, { origin: 'http://127.0.0.1:6000' }, 403],
    ['missing Origin', path, { origin: undefined }, 403],
    ['wrong Host (DNS rebinding)', path, { host: `evil.example:${port}` }, 403],
    ['localhost instead of 127.0.0.1', path, { host: `localhost:${port}` }, 403],
    ['missing Host', path, { host: undefined }, 403],
    ['not a WebSocket upgrade', path, { upgrade: 'h2c' }, 400],
    ['bad WebSocket key', path, { 'sec-websocket-key': 'nope' }, 400],
  ];
  for (const [name, p, headers, status] of cases) {
    assert.equal(await upgradeStatus(port, p, headers), status, name);
  }
  assert.equal(server.connections(), before, 'no refused upgrade reached the console host');
  // None of those spent the token: the page's own upgrade works once, then never again.
  const ws = await openPage(ticket.url);
  const client = new RfbClient(pageStream(ws));
  await client.readGreeting();
  assert.equal(server.connections(), before + 1);
  assert.equal(await upgradeStatus(port, path, {}), 410, 'reused token');
  assert.equal(await upgradeStatus(port, path, { origin: 'http://127.0.0.1:5999' }), 410, 'reused token, other allowed origin');
  assert.equal(server.connections(), before + 1);
  const done = closed(ws);
  ws.close();
  await done;
  await settled();
});

test('an unused token expires and is refused (410) with no upstream connection', async () => {
  const short = await createBridge({ allowedOrigins: [PAGE_ORIGIN], tokenTtlMs: 100 });
  extraBridges.push(short);
  const ticket = await short.openConsole(source(), { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  assert.equal(short.stats().pendingTokens, 1);
  assert.equal(short.stats().timers, 1);
  await waitFor('the token to expire', () => short.stats().pendingTokens === 0);
  const before = server.connections();
  assert.equal(await upgradeStatus(short.port, new URL(ticket.url).pathname, {}), 410);
  assert.equal(server.connections(), before);
  assert.deepEqual([short.stats().pendingTokens, short.stats().timers], [0, 0]);
});

test('console:open reports VM errors to the caller and validates its argument', async () => {
  const s = source();
  s.current = new PortholeError('VM_NOT_RUNNING');
  await assert.rejects(bridge.openConsole(s, { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' }), { code: 'VM_NOT_RUNNING' });
  await assert.rejects(bridge.openConsole(s, { poolId: 'p1', vmUuid: '', protocol: 'rfb' }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(bridge.openConsole(s, JSON.parse('{"poolId":"p1","vmUuid":"x","protocol":"rdp"}') as never), { code: 'INVALID_ARGUMENT' });
  s.current = { ...upstreamAt(server.port), location: 'http://127.0.0.1/console?uuid=x' };
  await assert.rejects(bridge.openConsole(s, { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' }), { code: 'CONSOLE_ERROR' });
  assert.equal(bridge.stats().pendingTokens, 0);
});

async function closeFor(s: FakeSource): Promise<{ closeCode: number; code: string; message: string }> {
  const ticket = await bridge.openConsole(s, { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  const ws = await openPage(ticket.url);
  return closed(ws);
}

test('each error answer reaches the page as its close code and message', async () => {
  next = () => ({ status: 401 });
  const s401 = source();
  assert.deepEqual(await closeFor(s401), { closeCode: 4001, kind: 'unauthorized', code: 'CONSOLE_UNAUTHORIZED', message: 'The console refused the session, even after logging in again.' });
  assert.equal(s401.refreshes, 1);
  next = () => ({ status: 403 });
  assert.deepEqual(await closeFor(source()), { closeCode: 4003, kind: 'forbidden', code: 'CONSOLE_FORBIDDEN', message: 'The console of test-vm needs the pool-admin role.' });
  next = () => ({ status: 404 });
  assert.deepEqual(await closeFor(source()), { closeCode: 4004, kind: 'not-found', code: 'CONSOLE_NOT_FOUND', message: 'There is no console server for test-vm.' });
  next = () => ({ status: 503, users: ['alice', "o'neil"] });
  assert.deepEqual(await closeFor(source()), { closeCode: 4005, kind: 'in-use', code: 'CONSOLE_IN_USE', message: "The console is in use by alice, o'neil." });
  next = () => ({ status: 500 });
  const halted = source();
  const ticket = await bridge.openConsole(halted, { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  halted.current = new PortholeError('VM_NOT_RUNNING', 'test-vm is not running.');
  const ws = await openPage(ticket.url);
  assert.deepEqual(await closed(ws), { closeCode: 4006, kind: 'vm-not-running', code: 'VM_NOT_RUNNING', message: 'test-vm is not running.' });
  await settled();
});

test('401 once: a fresh login and the console opens; 500 with a moved console: retried at the new place', async () => {
  const first = server.requests.length;
  next = (i) => (i === first ? { status: 401 } : rfb());
  const s = source();
  const ticket = await bridge.openConsole(s, { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  let ws = await openPage(ticket.url);
  assert.equal(await new RfbClient(pageStream(ws)).readGreeting(), 'RFB 003.008\n');
  assert.equal(s.refreshes, 1);
  let done = closed(ws);
  ws.close();
  await done;

  const moved = upstreamAt(server.port, 'rfb', 'c0000000-0000-4000-8000-0000000000aa');
  const second = server.requests.length;
  next = (i) => (i === second ? { status: 500 } : rfb());
  const m = source();
  const t2 = await bridge.openConsole(m, { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  m.current = moved;
  ws = await openPage(t2.url);
  assert.equal(await new RfbClient(pageStream(ws)).readGreeting(), 'RFB 003.008\n');
  assert.equal(server.requests[second + 1]?.path, `/console?uuid=${moved.consoleUuid}`);
  done = closed(ws);
  ws.close();
  await done;
  await settled();
});

test('a changed certificate on the console host is refused before any CONNECT is sent', async () => {
  next = rfb;
  const s = source();
  s.pins.set(`127.0.0.1:${server.port}`, 'AB:'.repeat(31) + 'AB');
  const before = server.requests.length;
  const c = await closeFor(s);
  assert.equal(c.closeCode, 4008);
  assert.equal(c.code, 'CERT_CHANGED');
  assert.equal(server.requests.length, before);
  s.pins.delete(`127.0.0.1:${server.port}`);
  assert.equal((await closeFor(s)).code, 'CERT_UNTRUSTED');
  assert.equal(server.requests.length, before);
});

test('why the console server ended a console: idle timeout, VM stopped, console moved, plain close', async () => {
  next = rfb;
  const run = async (setup: (s: FakeSource, client: RfbClient) => Promise<void>): Promise<{ closeCode: number; message: string }> => {
    const s = source();
    const ticket = await bridge.openConsole(s, { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
    const ws = await openPage(ticket.url);
    const client = new RfbClient(pageStream(ws));
    await client.handshake('3.8');
    const done = closed(ws);
    await setup(s, client);
    server.cut();
    return done;
  };
  // Waits until the bridge has read `n` more page messages (so the input is counted before the cut).
  const pageMessagesReach = (n: number): Promise<void> => waitFor(`${n} page messages at the bridge`, () => bridge.stats().pageMessages >= n);
  const idle = await run(async (_s, c) => {
    const seen = bridge.stats().pageMessages;
    c.requestUpdate(true); // update requests are not input
    await pageMessagesReach(seen + 1);
    clockMs += 450;
  });
  assert.equal(idle.closeCode, 4011);
  assert.match(idle.message, /^Console idle timeout: no keyboard or mouse input for 0 s\.$/);
  const typing = await run(async (_s, c) => {
    clockMs += 450;
    const seen = bridge.stats().pageMessages;
    c.pointer(10, 10);
    await pageMessagesReach(seen + 1);
  });
  assert.deepEqual([typing.closeCode, typing.message], [4010, 'The console server closed the connection.']);
  const stopped = await run((s) => {
    s.current = new PortholeError('VM_NOT_RUNNING');
    return Promise.resolve();
  });
  assert.deepEqual([stopped.closeCode, stopped.message], [4006, 'test-vm stopped.']);
  const moved = await run((s) => {
    s.current = upstreamAt(server.port, 'rfb', 'c0000000-0000-4000-8000-0000000000bb');
    return Promise.resolve();
  });
  assert.equal(moved.closeCode, 4012);
  await settled();
});

/** Makes the next tunnel a pattern console of `total` bytes (support/pattern.ts). */
function patternConsole(total: number): PatternConsole {
  const c = startPatternConsole(total);
  next = c.answer;
  return c;
}

test('64 MiB to a slowly reading page: byte-exact, backpressure engaged, bytes in flight bounded', async () => {
  const total = 64 * MIB;
  const upstreamBytes = patternConsole(total);
  const b = await createBridge({ allowedOrigins: [PAGE_ORIGIN] });
  extraBridges.push(b);
  const ticket = await b.openConsole(source(), { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  const ws = await openPage(ticket.url);
  const got = createHash('sha256');
  let received = 0;
  let maxInFlight = 0;
  // The page stops reading at a few points and resumes only once the bridge has paused TLS reading
  // for it (a counter, not a timer): the pause must happen, however fast or loaded the machine is.
  // Either brake counts: the page socket's queue reaching the high-water mark, or the send window
  // (the stopped page sends no pongs) — whichever the kernel's buffer sizes let come first.
  const paused = (): number => b.stats().upstreamPauses + b.stats().windowPauses;
  const stops = [1, 8, 24, 40].map((m) => m * MIB);
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (d: Buffer) => {
      got.update(d);
      received += d.length;
      maxInFlight = Math.max(maxInFlight, upstreamBytes.produced - received);
      if (stops.length > 0 && received >= (stops[0] ?? 0)) {
        stops.shift();
        const before = paused();
        ws.pause();
        waitFor('the bridge to pause TLS reading for the stopped page', () => paused() > before, 20_000).then(
          () => ws.resume(),
          reject,
        );
      }
      if (received === total) resolve();
    });
    ws.on('close', (code: number, reason: Buffer) => (received === total ? resolve() : reject(new Error(`closed (${code} ${reason.toString()}) after ${received} bytes`))));
  });
  assert.equal(got.digest('hex'), upstreamBytes.sent.digest('hex'));
  const stats = b.stats();
  assert.ok(stats.upstreamPauses + stats.windowPauses >= 4, 'TLS reading was paused each time the page stopped');
  assert.ok(stats.maxPageQueueBytes < 1 * MIB + 256 * 1024, `bridge queued ${stats.maxPageQueueBytes} bytes for the page`);
  assert.ok(maxInFlight < 32 * MIB, `at most ${maxInFlight} bytes were between the console and the page`);
  process.stderr.write(`64 MiB slow reader: bridge queue peak ${stats.maxPageQueueBytes} B, console→page in flight peak ${maxInFlight} B\n`);
  const done = closed(ws);
  ws.close();
  await done;
  await settled(b);
});

test('the send window: a page that reads but does not acknowledge stops the console after the window; its pong lets the rest through', async () => {
  const total = 16 * MIB;
  const window = 1 * MIB;
  const upstreamBytes = patternConsole(total);
  const b = await createBridge({ allowedOrigins: [PAGE_ORIGIN], sendWindowBytes: window });
  extraBridges.push(b);
  const ticket = await b.openConsole(source(), { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  // This page reads every byte but sends no pong until told to: the bridge must stop at the window.
  const ws = await openPage(ticket.url, { autoPong: false });
  // Watched from the start: once the console's stream ends, the bridge may close the page first.
  const done = closed(ws);
  const pings: Buffer[] = [];
  ws.on('ping', (d: Buffer) => pings.push(d));
  const got = createHash('sha256');
  let received = 0;
  ws.on('message', (d: Buffer) => {
    got.update(d);
    received += d.length;
  });
  await waitFor('the bridge to stop at the send window', () => b.stats().windowPauses === 1, 20_000);
  // Everything the bridge sent before pausing arrives; then nothing more, however long we look at it:
  // the bytes sent are the ones counted against the window (at most one read past it).
  await waitFor('the bytes sent before the pause to arrive', () => pings.length >= 4 && received >= window, 20_000);
  assert.ok(received < window + 256 * 1024, `the page got ${received} bytes without acknowledging any`);
  assert.deepEqual(
    pings.map((p) => p.length),
    pings.map(() => 8),
    'each acknowledgement ping carries an 8-byte count',
  );
  // Acknowledge what arrived: the bridge goes on; every pong from then on lets the stream finish.
  ws.on('ping', (d: Buffer) => ws.pong(d));
  for (const p of pings) ws.pong(p);
  await waitFor('all bytes at the page', () => received === total, 30_000);
  assert.equal(got.digest('hex'), upstreamBytes.sent.digest('hex'));
  assert.ok(b.stats().windowPauses >= 1);
  ws.close();
  await done;
  await settled(b);
});

test('a console that reads slowly stops the bridge reading the page; every byte arrives', async () => {
  const total = 16 * MIB;
  const got = createHash('sha256');
  let received = 0;
  // A console that stops taking bytes at a few points, until the bridge has stopped reading the page
  // (a counter, not a timer): the pause must happen however the machine is loaded.
  const stops = [2, 8].map((m) => m * MIB);
  const b = await createBridge({ allowedOrigins: [PAGE_ORIGIN] });
  next = () => ({
    status: 200,
    greetingInHeaderWrite: false,
    stream: () =>
      new Duplex({
        read() {
          /* nothing to send */
        },
        write(c: Buffer, _e, cb) {
          got.update(c);
          received += c.length;
          if (stops.length > 0 && received >= (stops[0] ?? 0)) {
            stops.shift();
            const before = b.stats().pagePauses;
            waitFor('the bridge to stop reading the page', () => b.stats().pagePauses > before, 20_000).then(() => cb(), cb);
          } else cb();
        },
      }),
  });
  extraBridges.push(b);
  const ticket = await b.openConsole(source(), { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  const ws = await openPage(ticket.url);
  const sent = createHash('sha256');
  for (let i = 0; i < total / (64 * 1024); i++) {
    const data = patternChunk(i, 64 * 1024);
    sent.update(data);
    ws.send(data);
    if (ws.bufferedAmount > 4 * MIB) await new Promise((r) => setTimeout(r, 2));
  }
  await waitFor('all bytes at the console', () => received === total, 20_000);
  assert.equal(got.digest('hex'), sent.digest('hex'));
  assert.ok(b.stats().pagePauses >= 2, 'page reading was paused each time the console stopped');
  const done = closed(ws);
  ws.close();
  await done;
  await settled(b);
});

test('a page that stops answering pings is dropped with its upstream', async () => {
  next = rfb;
  const b = await createBridge({ allowedOrigins: [PAGE_ORIGIN], pingIntervalMs: 100 });
  extraBridges.push(b);
  const ticket = await b.openConsole(source(), { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  const ws = await openPage(ticket.url, { autoPong: false });
  await new RfbClient(pageStream(ws)).readGreeting();
  const c = await closed(ws);
  assert.equal(c.closeCode, 1006);
  await settled(b);
  assert.equal(b.stats().timers, 0);
});

test('closePool and close() end consoles with the shutdown code', async () => {
  next = rfb;
  const b = await createBridge({ allowedOrigins: [PAGE_ORIGIN] });
  const s = source();
  const t1 = await b.openConsole(s, { poolId: 'a', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  const t2 = await b.openConsole(s, { poolId: 'b', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  const unused = await b.openConsole(s, { poolId: 'a', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  const w1 = await openPage(t1.url);
  const w2 = await openPage(t2.url);
  await new RfbClient(pageStream(w1)).readGreeting();
  await new RfbClient(pageStream(w2)).readGreeting();
  const c1 = closed(w1);
  b.closePool('a');
  assert.deepEqual(await c1, { closeCode: 4013, kind: 'shutdown', code: 'NOT_CONNECTED', message: 'The pool was disconnected.' });
  assert.equal(await upgradeStatus(b.port, new URL(unused.url).pathname, {}), 410);
  const c2 = closed(w2);
  await b.close();
  assert.equal((await c2).closeCode, 4013);
  assert.deepEqual(b.stats(), { sockets: 0, pendingSockets: 0, refusedSockets: 0, timedOutSockets: 0, consoles: 0, upstreams: 0, pendingTokens: 0, timers: 0, upstreamPauses: 0, pagePauses: 0, maxPageQueueBytes: b.stats().maxPageQueueBytes, pageMessages: b.stats().pageMessages, windowPauses: 0 });
});

function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

test('200 open/close cycles leave no sockets, tokens or timers behind', async () => {
  next = rfb;
  await settled();
  const baseline = handles();
  const s = source();
  for (let i = 0; i < 200; i++) {
    const ticket = await bridge.openConsole(s, { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
    const ws = await openPage(ticket.url);
    await new RfbClient(pageStream(ws)).readGreeting();
    const done = closed(ws);
    // Alternate who ends it: the page, or the console host.
    if (i % 2 === 0) ws.close();
    else server.cut();
    const c = await done;
    assert.ok(i % 2 === 0 ? c.closeCode === 1005 || c.closeCode === 1000 : c.closeCode === 4010, `cycle ${i}: ${c.closeCode}`);
  }
  await settled();
  assert.deepEqual(bridge.stats().pendingTokens + bridge.stats().timers, 0);
  await waitFor('handles back to the baseline', () => {
    const now = handles();
    return ['TCPSocketWrap', 'TLSWrap', 'Timeout'].every((k) => (now[k] ?? 0) <= (baseline[k] ?? 0));
  });
});

test('a host that answers 200 and then stays silent, or never answers the CONNECT, ends as "silent" (4014) in words', async () => {
  const b = await createBridge({ allowedOrigins: [PAGE_ORIGIN], firstBytesTimeoutMs: 150, answerTimeoutMs: 150 });
  extraBridges.push(b);
  const silentConsole = (): Duplex =>
    new Duplex({
      read() {
        /* never a greeting */
      },
      write(_c, _e, cb) {
        cb();
      },
    });
  next = () => ({ status: 200, greetingInHeaderWrite: false, stream: silentConsole });
  let ticket = await b.openConsole(source(), { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  assert.deepEqual(await closed(await openPage(ticket.url)), {
    closeCode: 4014,
    kind: 'silent',
    code: 'CONSOLE_ERROR',
    message: 'The console host accepted the connection but sent no screen data within 0.15 s.',
  });
  next = () => ({ status: 'hang' });
  ticket = await b.openConsole(source(), { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  assert.deepEqual(await closed(await openPage(ticket.url)), {
    closeCode: 4014,
    kind: 'silent',
    code: 'CONSOLE_ERROR',
    message: 'The console host accepted the connection but did not answer within 0.15 s.',
  });
  // A vt100 console may stay quiet until a key is pressed: no first-bytes bound there.
  next = () => ({ status: 200, greetingInHeaderWrite: false, stream: silentConsole });
  ticket = await b.openConsole(source(upstreamAt(server.port, 'vt100')), { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'vt100' });
  const ws = await openPage(ticket.url);
  await waitFor('the vt100 tunnel open', () => b.stats().upstreams === 1);
  const done = closed(ws);
  ws.close(1000);
  assert.equal((await done).closeCode, 1000, 'the quiet vt100 console stayed open until the page closed it');
  await settled(b);
  assert.equal(b.stats().timers, 0);
});

test('idle connections are capped and cut: 1,000 sockets that never upgrade hold at most the cap, briefly', async () => {
  const b = await createBridge({ allowedOrigins: [PAGE_ORIGIN], maxPendingSockets: 16, upgradeTimeoutMs: 300 });
  extraBridges.push(b);
  const total = 1000;
  let closedCount = 0;
  let peakPending = 0;
  const all: net.Socket[] = [];
  const allClosed = new Promise<void>((resolve) => {
    for (let i = 0; i < total; i++) {
      const socket = net.connect(b.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.once('close', () => {
        peakPending = Math.max(peakPending, b.stats().pendingSockets);
        if (++closedCount === total) resolve();
      });
      all.push(socket);
    }
  });
  await allClosed;
  await waitFor('the bridge to close its side of them', () => b.stats().sockets === 0);
  const s = b.stats();
  assert.ok(peakPending <= 16, `at most the cap was pending (${peakPending})`);
  assert.equal(s.refusedSockets + s.timedOutSockets, total, 'every idle socket was cut by the bridge');
  assert.ok(s.timedOutSockets <= 16 * Math.ceil(total / 16), 'the held ones were cut by the upgrade timeout');
  assert.deepEqual([s.sockets, s.pendingSockets, s.timers], [0, 0, 0]);
  // A slow-loris header is cut the same way, and the bridge still serves its page afterwards.
  const loris = net.connect(b.port, '127.0.0.1');
  loris.on('error', () => undefined);
  loris.write('GET /console/x HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  await new Promise((r) => loris.once('close', r));
  next = rfb;
  const ticket = await b.openConsole(source(), { poolId: 'p1', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
  const ws = await openPage(ticket.url);
  assert.equal(await new RfbClient(pageStream(ws)).readGreeting(), 'RFB 003.008\n');
  const done = closed(ws);
  ws.close();
  await done;
  await settled(b);
});
