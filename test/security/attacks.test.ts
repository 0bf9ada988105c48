// The attack table: every way in that should be shut, tried against the real bridge (real sockets and
// pinned TLS to a fake console host), the real harness web server, and the simulator's member hosts.
// For each attempt the run counts what it got back and what reached the other side: TCP connections
// and CONNECT requests at the console host (a CONNECT carries the session id) and calls that reached
// the harness backend. Every attempt must be refused with nothing reaching the other side, except
// the TLS cases, where a TCP connection and handshake are needed to see the certificate, so
// there the count that must be 0 is CONNECTs sent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { WebSocket } from 'ws';
import { createBridge, type Bridge } from '../../electron/core/bridge';
import { startWebServer, type WebServer } from '../../electron/core/harness/web-server';
import type { HarnessBackend } from '../../electron/core/harness/api-socket';
import { startSimulator } from '../../electron/sim';
import { startSyntheticVnc } from '../../electron/sim/vnc';
import type { Simulator } from '../../electron/sim/types';
import { addTrusted, makeManager } from '../core/helpers';
import { FakeSource, startConsoleServer, upstreamAt, type ConsoleServer } from '../bridge/support/console-server';
import { closed, openPage, PAGE_ORIGIN, pageStream, rawStatus, upgradeStatus } from '../bridge/support/ws';
import { RfbClient } from '../support/rfb-client';
import { printTable, type Row } from '../support/table';

const VM = upstreamAt(0).vmUuid;
const workDir = await mkdtemp(join(tmpdir(), 'porthole-attacks-'));
const synthetic = await startSyntheticVnc({ name: 'test-vm', workDir, tickMs: 0 });
let consoleHost: ConsoleServer;
let bridge: Bridge;
let shortLived: Bridge;
let web: WebServer;
let backendCalls = 0;
const rows: Row[] = [];

before(async () => {
  consoleHost = await startConsoleServer(() => ({ status: 200, stream: () => synthetic.connect() }));
  bridge = await createBridge({ allowedOrigins: [PAGE_ORIGIN], maxPayloadBytes: 1024 * 1024 });
  shortLived = await createBridge({ allowedOrigins: [PAGE_ORIGIN], tokenTtlMs: 50 });
  const root = join(workDir, 'renderer');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>Porthole</title>');
  await writeFile(join(root, 'assets', 'app.js'), 'export {};');
  await writeFile(join(workDir, 'secret.txt'), 'outside');
  web = await startWebServer({ port: 0, rendererDir: root });
  const backend: HarnessBackend = {
    handle() {
      backendCalls++;
      return Promise.resolve([]);
    },
    on() {
      /* no events */
    },
  };
  web.attach(backend, bridge.port);
});

after(async () => {
  const sum = (column: string): number =>
    rows.reduce((n, r) => {
      const v = r[column];
      return n + (typeof v === 'number' ? v : 0);
    }, 0);
  printTable('Attacks: attempts refused, and what reached the other side', [
    ...rows,
    {
      surface: 'all',
      attack: 'total',
      attempts: sum('attempts'),
      refused: sum('refused'),
      answer: '',
      'TCP to console host': sum('TCP to console host'),
      'CONNECTs sent': sum('CONNECTs sent'),
      'backend calls': sum('backend calls'),
    },
  ]);
  await web.close();
  await shortLived.close();
  await bridge.close();
  await consoleHost.close();
  await synthetic.stop();
  await rm(workDir, { recursive: true, force: true });
});

function source(server: ConsoleServer = consoleHost, fingerprint = server.fingerprint): FakeSource {
  const s = new FakeSource(upstreamAt(server.port));
  s.pins.set(`127.0.0.1:${server.port}`, fingerprint);
  return s;
}

/** Runs one attack, counts its outcome and what reached the far side, and records the row. */
async function attack(surface: string, name: string, attempt: () => Promise<{ refused: boolean; answer: string }>, host: ConsoleServer = consoleHost): Promise<Row> {
  const tcp = host.connections();
  const connects = host.requests.length;
  const calls = backendCalls;
  const { refused, answer } = await attempt();
  const row: Row = {
    surface,
    attack: name,
    attempts: 1,
    refused: refused ? 1 : 0,
    answer,
    'TCP to console host': host.connections() - tcp,
    'CONNECTs sent': host.requests.length - connects,
    'backend calls': backendCalls - calls,
  };
  rows.push(row);
  return row;
}

/** An HTTP answer as a table cell: refused when 4xx/5xx or cut (0). */
const httpRefused = (status: number): { refused: boolean; answer: string } => ({ refused: status === 0 || status >= 400, answer: status === 0 ? 'cut' : String(status) });


/** Opens the harness API socket with these headers; resolves with 101 or the refusal status. */
function apiStatus(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${web.port}${path}`, { headers });
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', () => resolve(0));
  });
}

const tokenPath = async (b: Bridge = bridge): Promise<string> => new URL((await b.openConsole(source(), { poolId: 'p', vmUuid: VM, protocol: 'rfb' })).url).pathname;

test('the bridge refuses every upgrade but its own page with a live token', async () => {
  const path = await tokenPath();
  const token = path.split('/')[2] ?? '';
  const port = bridge.port;
  const cases: [string, string, Record<string, string | undefined>][] = [
    ['missing token', '/console/', {}],
    ['wrong token (random 256 bits)', `/console/${randomBytes(32).toString('base64url')}`, {}],
    ['token of another bridge', await tokenPath(shortLived), {}],
    ['foreign Origin', path, { origin: 'http://evil.example' }],
    ['Origin "null" (sandboxed frame, file://)', path, { origin: 'null' }],
    ['missing Origin (not a page)', path, { origin: undefined }],
    ['page on another loopback port', path, { origin: 'http://127.0.0.1:6000' }],
    ['look-alike Origin', path, { origin: 'app://porthole.evil.example' }],
    ['DNS rebinding Host', path, { host: `evil.example:${port}` }],
    ['Host localhost instead of 127.0.0.1', path, { host: `localhost:${port}` }],
    ['Host without the port', path, { host: '127.0.0.1' }],
    ['encoded path /%63onsole/<token>', `/%63onsole/${token}`, {}],
    ['encoded slash /console%2F<token>', `/console%2F${token}`, {}],
    ['dot segments /console/../console/<token>', `/console/../console/${token}`, {}],
    ['NUL after the token', `/console/${token}%00`, {}],
    ['query after the token', `${path}?x=1`, {}],
    ['token in lower case', `/console/${token.toLowerCase()}`, {}],
    ['wrong WebSocket version', path, { 'sec-websocket-version': '8' }],
    ['oversized handshake (64 KiB header)', path, { 'x-pad': 'a'.repeat(64 * 1024) }],
  ];
  for (const [name, p, headers] of cases) {
    const row = await attack('bridge', name, async () => httpRefused(await upgradeStatus(port, p, headers).catch(() => 0)));
    assert.equal(row.refused, 1, name);
  }
  await attack('bridge', 'plain GET with the token', async () => httpRefused(await rawStatus(port, path, { origin: PAGE_ORIGIN })));
  // None of those spent the token: the page's own upgrade works once, then the token is dead.
  const ws = await openPage(`ws://127.0.0.1:${port}${path}`);
  await new RfbClient(pageStream(ws)).readGreeting();
  await attack('bridge', 'reused token (after the page used it)', async () => httpRefused(await upgradeStatus(port, path, {})));
  // An oversized frame from the page ends the console (1009) and never reaches the console host.
  const before = consoleHost.requests.length;
  await attack('bridge', 'oversized frame (2 MiB) on an open console', async () => {
    const done = closed(ws);
    ws.send(Buffer.alloc(2 * 1024 * 1024));
    const c = await done;
    return { refused: c.closeCode === 1009, answer: `close ${c.closeCode}` };
  });
  assert.equal(consoleHost.requests.length, before);
  const expired = await tokenPath(shortLived);
  while (shortLived.stats().pendingTokens > 0) await new Promise((r) => setTimeout(r, 10));
  await attack('bridge', 'expired token', async () => httpRefused(await upgradeStatus(shortLived.port, expired, {})));
  await attack('bridge', 'slow-loris header (never finished)', async () => {
    const b = await createBridge({ allowedOrigins: [PAGE_ORIGIN], upgradeTimeoutMs: 100 });
    const socket = net.connect(b.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${b.port}\r\n`);
    await new Promise((r) => socket.once('close', r));
    const cut = b.stats().timedOutSockets;
    await b.close();
    return { refused: cut === 1, answer: 'cut' };
  });
  for (const r of rows) assert.deepEqual([r.refused, r['TCP to console host'], r['CONNECTs sent']], [1, 0, 0], String(r.attack));
});

test('TLS: a swapped or unpinned certificate gets no CONNECT (the session id is never sent)', async () => {
  const port = consoleHost.port;
  const original = consoleHost.fingerprint;
  // First connection works; then the host at the same address presents another certificate.
  const ok = await openPage((await bridge.openConsole(source(), { poolId: 'p', vmUuid: VM, protocol: 'rfb' })).url);
  await new RfbClient(pageStream(ok)).readGreeting();
  const done = closed(ok);
  ok.close();
  await done;
  await consoleHost.close();
  const other = await generate([{ name: 'commonName', value: 'xs-console.test' }], { keySize: 2048 });
  const swapped = await startConsoleServer(() => ({ status: 200, stream: () => synthetic.connect() }), other, port);
  try {
    assert.notEqual(swapped.fingerprint, original);
    for (const [name, s] of [
      ['certificate swapped after the first connection', source(swapped, original)],
      ['host with no pin at all', (() => { const x = source(swapped); x.pins.clear(); return x; })()],
    ] as const) {
      const row = await attack(
        'TLS',
        name,
        async () => {
          const c = await closed(await openPage((await bridge.openConsole(s, { poolId: 'p', vmUuid: VM, protocol: 'rfb' })).url));
          return { refused: c.closeCode === 4008, answer: `close ${c.closeCode} ${c.code}` };
        },
        swapped,
      );
      assert.deepEqual([row.refused, row['CONNECTs sent']], [1, 0], name);
    }
    const plain = source(swapped);
    plain.current = { ...upstreamAt(port), location: `http://127.0.0.1:${port}/console?uuid=x` };
    await attack('TLS', 'console location over plain http', async () => {
      const refusedError = await bridge.openConsole(plain, { poolId: 'p', vmUuid: VM, protocol: 'rfb' }).then(() => '', (e: unknown) => (e instanceof Error ? e.message : String(e)));
      return { refused: refusedError !== '', answer: 'CONSOLE_ERROR' };
    }, swapped);
  } finally {
    consoleHost = swapped;
  }
});

test('TLS: a member host whose certificate differs from the master\'s record gets no CONNECT', { timeout: 60_000 }, async () => {
  const sim: Simulator = await startSimulator({ hosts: 2, vms: 6, vnc: 'synthetic', powerOpMs: 20 });
  const m = await makeManager();
  try {
    const poolId = await addTrusted(m.manager, sim);
    m.manager.connect(poolId);
    await m.manager.waitReady(poolId);
    const member = sim.hosts[1]!;
    // Find a running VM whose console is on the member; move one there if needed.
    const names = ['web-1', 'db-2', 'app-3', 'web-4', 'db-5', 'app-6'];
    const onMember = (n: string): boolean => {
      try {
        const c = sim.vm(n).consoles.find((x) => x.protocol === 'rfb');
        return c !== undefined && new URL(c.location).hostname === member.address;
      } catch {
        return false;
      }
    };
    let vm = names.find(onMember);
    if (vm === undefined) {
      vm = 'web-1';
      await sim.act(vm, { migrateTo: member.name });
    }
    const uuid = sim.vm(vm).uuid;
    const source = m.manager.consoleSource(poolId);
    while ((await source.resolve(uuid, 'rfb').catch(() => undefined))?.location.includes(member.address) !== true) await new Promise((r) => setTimeout(r, 10));
    const connects = (): number => Object.values(sim.stats().connectsByStatus).reduce((a, b) => a + b, 0);
    const before = connects();
    await sim.faults.rotateCertificate(member.name);
    const row = await attack('TLS', 'member certificate differs from the master\'s record', async () => {
      const c = await closed(await openPage((await bridge.openConsole(source, { poolId, vmUuid: uuid, protocol: 'rfb' })).url));
      return { refused: c.closeCode === 4008, answer: `close ${c.closeCode} ${c.code}` };
    });
    row['TCP to console host'] = 'n/a (simulator)';
    row['CONNECTs sent'] = connects() - before;
    assert.deepEqual([row.refused, row['CONNECTs sent']], [1, 0]);
  } finally {
    await m.cleanup();
    await sim.stop();
  }
});

test('the harness refuses every request but its own page with its token', async () => {
  const token = new URL(web.url).searchParams.get('token') ?? '';
  const port = web.port;
  const origin = web.origin;
  const pageCases: [string, string, Record<string, string | undefined>, string?][] = [
    ['page without the token', '/', {}],
    ['page with a wrong token', `/?token=${randomBytes(32).toString('base64url')}`, {}],
    ['encoded page path /index%2ehtml, no token', '/index%2ehtml', {}],
    ['encoded page path /%69ndex.html, no token', '/%69ndex.html', {}],
    ['DNS rebinding Host on the page', `/?token=${token}`, { host: `evil.example:${port}` }],
    ['Host localhost on the page', `/?token=${token}`, { host: `localhost:${port}` }],
    ['path traversal to a file outside', '/assets/..%2f..%2fsecret.txt', {}],
    ['POST to the page', `/?token=${token}`, {}, 'POST'],
  ];
  for (const [name, path, headers, method] of pageCases) {
    const row = await attack('harness', name, async () => httpRefused(await rawStatus(port, path, headers, method)));
    assert.equal(row.refused, 1, name);
  }
  const apiCases: [string, string, Record<string, string>][] = [
    ['API socket without the token', '/api', { origin }],
    ['API socket with a wrong token', `/api?token=${randomBytes(32).toString('base64url')}`, { origin }],
    ['API socket from a foreign Origin', `/api?token=${token}`, { origin: 'http://evil.example' }],
    ['API socket with Origin "null"', `/api?token=${token}`, { origin: 'null' }],
    ['API socket from another loopback port', `/api?token=${token}`, { origin: 'http://127.0.0.1:6000' }],
    ['API socket with a rebinding Host', `/api?token=${token}`, { origin, host: `evil.example:${port}` }],
  ];
  for (const [name, path, headers] of apiCases) {
    const row = await attack('harness', name, async () => httpRefused(await apiStatus(path, headers)));
    assert.equal(row.refused, 1, name);
  }
  assert.equal(await rawStatus(port, `/?token=${token}`, {}), 200, 'the real page still loads');
  for (const r of rows.filter((x) => x.surface === 'harness')) assert.equal(r['backend calls'], 0, String(r.attack));
});
