// The fault table: each fault a pool can throw at an open console, through the real pool manager, the
// bridge and the simulator (or, for a silent host, the fake console host), ends in a stated state
// within a stated bound. The run checks the state, enforces the bound as a deadline (the test fails
// when the state is not reached in time) and prints what it measured.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { createBridge, type Bridge } from '../../electron/core/bridge';
import { listenTcp } from '../../electron/core/bridge/tcp-listener';
import type { PoolManager } from '../../electron/core/pool-manager';
import { startSimulator } from '../../electron/sim';
import type { Simulator } from '../../electron/sim/types';
import { addTrusted, makeManager, waitState } from '../core/helpers';
import { FakeSource, startConsoleServer, upstreamAt } from '../bridge/support/console-server';
import { closed, openPage, PAGE_ORIGIN, pageStream } from '../bridge/support/ws';
import { RfbClient } from '../support/rfb-client';
import { printTable, type Row } from '../support/table';
import type { VmNode } from '../../shared/inventory';

let sim: Simulator;
let manager: PoolManager;
let poolId: string;
let bridge: Bridge;
let cleanup: () => Promise<void>;
const rows: Row[] = [];

before(async () => {
  sim = await startSimulator({ hosts: 3, vms: 9, vnc: 'synthetic', powerOpMs: 20 });
  const m = await makeManager();
  manager = m.manager;
  cleanup = m.cleanup;
  poolId = await addTrusted(manager, sim, { pinAll: true });
  manager.connect(poolId);
  await manager.waitReady(poolId);
  bridge = await createBridge({ allowedOrigins: [PAGE_ORIGIN], firstBytesTimeoutMs: 1_000, answerTimeoutMs: 1_000 });
});

after(async () => {
  printTable('Faults with a console open: end state and time to reach it', rows);
  await bridge.close();
  await cleanup();
  await sim.stop();
});

type Close = Awaited<ReturnType<typeof closed>>;

/** Resolves with what `p` resolves to and the time it took; rejects once `boundMs` pass. */
async function within<T>(boundMs: number, what: string, p: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not reached within ${boundMs} ms`)), boundMs);
  });
  try {
    const value = await Promise.race([p, deadline]);
    return { value, ms: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

/** Connects as an RFB viewer would and resolves with the reason of an RFB 3.3 security-type-0 refusal. */
async function rfbRefusal(port: number): Promise<string> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  let got = Buffer.alloc(0);
  let sentVersion = false;
  try {
    for await (const chunk of socket) {
      got = Buffer.concat([got, chunk as Buffer]);
      if (!sentVersion && got.length >= 12) {
        assert.equal(got.subarray(0, 12).toString('latin1'), 'RFB 003.003\n');
        socket.write('RFB 003.003\n');
        sentVersion = true;
      }
      if (got.length >= 20 && got.length >= 20 + got.readUInt32BE(16)) {
        assert.equal(got.readUInt32BE(12), 0, 'security type 0: the connection failed');
        return got.subarray(20, 20 + got.readUInt32BE(16)).toString('utf8');
      }
    }
    throw new Error(`the viewer's socket ended after ${got.length} bytes without a refusal`);
  } finally {
    socket.destroy();
  }
}

function record(fault: string, expected: string, observed: string, boundMs: number, ms: number): void {
  rows.push({ fault, 'stated end state': expected, observed, 'bound (ms)': boundMs, 'took (ms)': ms });
}

/** The simulator host serving the VM's rfb console now. */
function consoleHostOf(vm: string): string {
  const c = sim.vm(vm).consoles.find((x) => x.protocol === 'rfb');
  const host = sim.hosts.find((h) => c !== undefined && h.address === new URL(c.location).hostname);
  assert.ok(host !== undefined);
  return host.name;
}

/** Moves the VM's console to `host` (if it is elsewhere) and waits until the inventory shows it. */
async function placeOn(vm: string, host: string): Promise<void> {
  if (consoleHostOf(vm) !== host) await sim.act(vm, { migrateTo: host });
  const want = sim.vm(vm).consoles.find((x) => x.protocol === 'rfb')?.uuid;
  const source = manager.consoleSource(poolId);
  while ((await source.resolve(sim.vm(vm).uuid, 'rfb').catch(() => undefined))?.consoleUuid !== want) await new Promise((r) => setTimeout(r, 10));
}

/** Opens the VM's console through the bridge and completes the RFB handshake. */
async function openConsole(vm: string): Promise<{ end: Promise<Close>; client: RfbClient }> {
  const ticket = await bridge.openConsole(manager.consoleSource(poolId), { poolId, vmUuid: sim.vm(vm).uuid, protocol: 'rfb' });
  const ws = await openPage(ticket.url);
  const end = closed(ws);
  const client = new RfbClient(pageStream(ws));
  await client.handshake('3.8');
  return { end, client };
}

const describe = (c: Close): string => `${c.closeCode} ${c.kind}: ${c.message}`;
/** Names of the running VMs with a graphical console, in a stable order. */
const runningVms = (): string[] =>
  manager
    .snapshot()
    .nodes.filter((n): n is VmNode => n.kind === 'vm' && n.powerState === 'Running' && n.consoles.some((c) => c.protocol === 'rfb'))
    .map((n) => n.name)
    .sort();

test('VNC server killed: 4010 "closed" at once, and a reopen says there is no console server (4004)', async () => {
  const vm = runningVms()[0]!;
  const { end } = await openConsole(vm);
  await sim.faults.stopVncServer(vm);
  const { value, ms } = await within(5_000, 'the close', end);
  assert.equal(value.closeCode, 4010);
  const again = await bridge.openConsole(manager.consoleSource(poolId), { poolId, vmUuid: sim.vm(vm).uuid, protocol: 'rfb' });
  const reopen = await within(5_000, 'the reopen refusal', closed(await openPage(again.url)));
  assert.equal(reopen.value.closeCode, 4004);
  record('VNC server killed', '4010 closed; reopen → 4004', `${describe(value)} / reopen ${describe(reopen.value)}`, 5_000, ms + reopen.ms);
});

test('session expired with a console open: the console keeps streaming, the pool logs in again', async () => {
  const vm = runningVms()[1]!;
  const { end, client } = await openConsole(vm);
  let ended: Close | undefined;
  void end.then((c) => (ended = c));
  const logins = sim.stats().loginAttempts;
  sim.faults.expireSessions();
  const { ms } = await within(10_000, 'the pool connected again', (async () => {
    while (sim.stats().loginAttempts === logins) await new Promise((r) => setTimeout(r, 10));
    await waitState(manager, poolId, (s) => s.kind === 'connected');
  })());
  client.requestUpdate(false);
  const update = await within(5_000, 'a framebuffer update after the re-login', client.readUpdate());
  assert.ok(update.value.rects.length > 0);
  assert.equal(ended, undefined, 'the console stayed open');
  record('session expired', 'console stays open; pool connected again', `open, update of ${update.value.rects.length} rect(s); pool connected`, 10_000, ms + update.ms);
});

test('migration and hard reboot with a console open: 4012 "moved" at once', async () => {
  const vm = runningVms()[2]!;
  const to = sim.hosts.find((h) => h.name !== consoleHostOf(vm))!.name;
  let { end } = await openConsole(vm);
  await sim.act(vm, { migrateTo: to });
  const migrated = await within(5_000, 'the close', end);
  assert.equal(migrated.value.closeCode, 4012);
  record('migration', '4012 moved', describe(migrated.value), 5_000, migrated.ms);
  await placeOn(vm, to);
  ({ end } = await openConsole(vm));
  await sim.act(vm, 'hard_reboot');
  const rebooted = await within(5_000, 'the close', end);
  assert.equal(rebooted.value.closeCode, 4012);
  record('hard reboot', '4012 moved', describe(rebooted.value), 5_000, rebooted.ms);
});

test('host stopped under an open console: 4010 "closed", a reopen says the host is unreachable (4009)', async () => {
  const member = sim.hosts[2]!.name;
  const vm = runningVms()[3]!;
  await placeOn(vm, member);
  const { end } = await openConsole(vm);
  await sim.faults.stopHost(member);
  const { value, ms } = await within(5_000, 'the close', end);
  assert.equal(value.closeCode, 4010, describe(value));
  const again = await bridge.openConsole(manager.consoleSource(poolId), { poolId, vmUuid: sim.vm(vm).uuid, protocol: 'rfb' });
  const reopen = await within(15_000, 'the reopen refusal', closed(await openPage(again.url)));
  assert.equal(reopen.value.closeCode, 4009, describe(reopen.value));
  record('host stopped', '4010 closed; reopen → 4009 unreachable', `${describe(value)} / reopen ${describe(reopen.value)}`, 20_000, ms + reopen.ms);
  await sim.faults.startHost(member);
});

test('master failover: the pool reconnects to the new master; a console on a member stays open', { timeout: 60_000 }, async () => {
  const newMaster = sim.hosts[1]!.name;
  const vm = runningVms()[4]!;
  await placeOn(vm, newMaster);
  const { end, client } = await openConsole(vm);
  let ended: Close | undefined;
  void end.then((c) => (ended = c));
  await sim.faults.failover(newMaster);
  const { ms } = await within(20_000, 'connected to the new master', waitState(manager, poolId, (s) => s.kind === 'connected' && s.master.includes(sim.hosts[1]!.address), 20_000));
  client.requestUpdate(false);
  await within(5_000, 'a framebuffer update', client.readUpdate());
  assert.equal(ended, undefined, 'the console on the member stayed open');
  record('master failover', 'pool connected to the new master; member console stays open', 'connected to the new master; console open', 20_000, ms);
});

test('200 then silence, and TLS up but no CONNECT answer: 4014 "silent" within the first-bytes / answer bound', async () => {
  const silentConsole = (): Duplex =>
    new Duplex({
      read() {
        /* never a greeting */
      },
      write(_c, _e, cb) {
        cb();
      },
    });
  let hang = false;
  const host = await startConsoleServer(() => (hang ? { status: 'hang' } : { status: 200, greetingInHeaderWrite: false, stream: silentConsole }));
  try {
    const source = new FakeSource(upstreamAt(host.port));
    source.pins.set(`127.0.0.1:${host.port}`, host.fingerprint);
    for (const [fault, isHang] of [
      ['200 then silence', false],
      ['TLS stalled after the handshake', true],
    ] as const) {
      hang = isHang;
      const ticket = await bridge.openConsole(source, { poolId: 'p', vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb' });
      const { value, ms } = await within(3_000, 'the silent close', closed(await openPage(ticket.url)));
      assert.equal(value.closeCode, 4014, describe(value));
      record(fault, '4014 silent (bound 1 s here; 10 s by default)', describe(value), 3_000, ms);
    }
    // The same silent host seen by an external viewer (`porthole console --listen`): told why in RFB 3.3.
    hang = false;
    const listener = await listenTcp({ host: '127.0.0.1', port: 0, source, vmUuid: upstreamAt(0).vmUuid, protocol: 'rfb', firstBytesTimeoutMs: 1_000 });
    try {
      const { value, ms } = await within(3_000, 'the viewer told why', rfbRefusal(listener.port));
      assert.match(value, /sent no screen data within 1 s/);
      record('200 then silence (external viewer)', 'RFB 3.3 failure with the reason (bound 1 s here)', value, 3_000, ms);
    } finally {
      await listener.close();
    }
  } finally {
    await host.close();
  }
});
