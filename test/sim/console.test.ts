/**
 * The console CONNECT tunnel, byte for byte as xapi answers it: the exact 200 header with the RFB
 * greeting in the same TLS read, every failure code (401, 403, 404, 500 variants, 503), the idle
 * timeout, vt100 text consoles, and console rows replaced on reboot and migration. Uses the
 * in-process `synthetic` server; real QEMU / vncterm-style (RFB 3.3) servers run when installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSimulator } from '../../electron/sim';
import type { Simulator } from '../../electron/sim/types';
import { needTools } from '../support/tools';
import { LAUNCHERS } from '../backends/index';
import { OWN_DUMPS_DIR, connectRequest, login, rawConnect, waitFor } from './support';

const OK_HEAD = 'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nCache-Control: no-cache, no-store\r\n\r\n';
const DUMP = join(OWN_DUMPS_DIR, 'three-host-pool.xml');

function hostOf(sim: Simulator, location: string): string {
  return new URL(location).hostname;
}

describe('console CONNECT', () => {
  let sim: Simulator;
  let session: string;
  before(async () => {
    sim = await startSimulator({ db: DUMP, powerOpMs: 40, vnc: 'synthetic' });
    session = await login(sim);
    sim.addUser('operator', 'op-pw', 'vm-operator');
  });
  after(() => sim.stop());

  const rfbOf = (vm: string): string => {
    const c = sim.vm(vm).consoles.find((x) => x.protocol === 'rfb');
    assert.ok(c !== undefined, `${vm} has an rfb console`);
    return c.location;
  };

  test('200: exact header, RFB greeting in the same TLS read, then a live stream', async (t) => {
    const loc = rfbOf('win-desktop');
    const c = await rawConnect(sim, hostOf(sim, loc), connectRequest(loc, session));
    t.after(() => c.socket.destroy());
    assert.equal(c.head, OK_HEAD);
    assert.equal(c.rest.subarray(0, 12).toString('latin1'), 'RFB 003.008\n');
    assert.equal(sim.stats().consoleTunnels, 1);
    // The stream is live: answer 3.8 and get the security types list.
    c.socket.write('RFB 003.008\n');
    const more = await c.read(13);
    assert.ok(more.length >= 13);
    c.socket.destroy();
    await waitFor(() => sim.stats().consoleTunnels === 0, 2000, 'tunnel closed');
  });

  test('session from the query string, and a VM uuid resolving to its rfb console', async (t) => {
    const vm = sim.vm('debian-web');
    const host = hostOf(sim, rfbOf('debian-web'));
    const c = await rawConnect(sim, host, `CONNECT /console?uuid=${vm.uuid}&session_id=${session} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    t.after(() => c.socket.destroy());
    assert.equal(c.status, 200);
    const greeting = await c.read(12);
    assert.equal(greeting.subarray(0, 12).toString('latin1'), 'RFB 003.008\n');
  });

  test('vt100 console: a text stream', async (t) => {
    const loc = sim.vm('debian-web').consoles.find((x) => x.protocol === 'vt100')!.location;
    const c = await rawConnect(sim, hostOf(sim, loc), connectRequest(loc, session));
    t.after(() => c.socket.destroy());
    assert.equal(c.head, OK_HEAD);
    assert.ok(!c.rest.toString('latin1').startsWith('RFB'));
  });

  test('401: no session, and a dead session', async () => {
    const loc = rfbOf('win-desktop');
    for (const s of [undefined, 'OpaqueRef:00000000-0000-0000-0000-000000000000']) {
      const c = await rawConnect(sim, hostOf(sim, loc), connectRequest(loc, s));
      assert.match(c.head, /^HTTP\/1\.0 401 Unauthorised\r\n/);
      assert.ok(c.head.includes('WWW-Authenticate: Basic realm="connect_console"\r\n'));
      assert.ok(/connection: close/i.test(c.head));
      await c.closed;
      assert.match((await c.read(0)).toString(), /<html>/);
    }
  });

  test('403: a dom0 console needs pool-admin', async () => {
    const op = await login(sim, 'operator', 'op-pw');
    const dom0 = sim.vm('Control domain on host: alder');
    const rfb = dom0.consoles.find((c) => c.protocol === 'rfb')!;
    assert.ok(rfb.location.includes('?ref='), 'dom0 keeps the ?ref= form');
    const c = await rawConnect(sim, hostOf(sim, rfb.location), connectRequest(rfb.location, op));
    assert.match(c.head, /^HTTP\/1\.0 403 Forbidden\r\n/);
    const admin = await rawConnect(sim, hostOf(sim, rfb.location), connectRequest(rfb.location, session));
    assert.equal(admin.status, 200);
    admin.socket.destroy();
    // An operator may open a guest console.
    const guest = await rawConnect(sim, hostOf(sim, rfbOf('win-desktop')), connectRequest(rfbOf('win-desktop'), op));
    assert.equal(guest.status, 200);
    guest.socket.destroy();
  });

  test('500: unknown console, missing parameter, VM not running, VM on another host', async () => {
    const master = sim.hosts[0]!.address;
    const unknown = await rawConnect(sim, master, connectRequest(`https://${master}/console?uuid=00000000-0000-4000-8000-000000000000`, session));
    assert.match(unknown.head, /^HTTP\/1\.0 500 Internal Error\r\n/);
    const missing = await rawConnect(sim, master, connectRequest(`https://${master}/console`, session));
    assert.equal(missing.status, 500);
    const halted = sim.vm('centos-halted');
    const notRunning = await rawConnect(sim, master, connectRequest(`https://${master}/console?uuid=${halted.uuid}`, session));
    assert.equal(notRunning.status, 500);
    const loc = rfbOf('debian-web'); // on birch, not on the master
    assert.notEqual(hostOf(sim, loc), master);
    const elsewhere = await rawConnect(sim, master, connectRequest(loc, session));
    assert.equal(elsewhere.status, 500);
    assert.ok(!/location:/i.test(elsewhere.head), 'no redirect');
  });

  test('404: no VNC server behind the console', async () => {
    const loc = rfbOf('ubuntu-nodrivers');
    await sim.faults.stopVncServer('ubuntu-nodrivers');
    const c = await rawConnect(sim, hostOf(sim, loc), connectRequest(loc, session));
    assert.equal(c.head, 'HTTP/1.1 404 Not Found\r\nConnection: close\r\nCache-Control: no-cache, no-store\r\n\r\n');
  });

  test('503: limit_console_sessions names who is connected', async (t) => {
    const loc = rfbOf('win-desktop');
    sim.faults.limitConsoleSessions(true);
    t.after(() => sim.faults.limitConsoleSessions(false));
    const first = await rawConnect(sim, hostOf(sim, loc), connectRequest(loc, session));
    t.after(() => first.socket.destroy());
    assert.equal(first.status, 200);
    const second = await rawConnect(sim, hostOf(sim, loc), connectRequest(loc, session));
    assert.match(second.head, /^HTTP\/1\.0 503 Connection Limit Exceeded\r\n/);
    await second.closed;
    assert.ok((await second.read(0)).toString().includes(`User '${sim.user}' is currently connected`));
  });

  test('idle timeout closes a tunnel without key/pointer input, not one with it', async (t) => {
    // 2 s against input every 250 ms: a loaded machine may delay the timer a lot before the busy tunnel looks idle.
    sim.faults.consoleIdleTimeout(2);
    t.after(() => sim.faults.consoleIdleTimeout(0));
    const loc = rfbOf('win-desktop');
    const idle = await rawConnect(sim, hostOf(sim, loc), connectRequest(loc, session));
    const busy = await rawConnect(sim, hostOf(sim, loc), connectRequest(loc, session));
    t.after(() => busy.socket.destroy());
    busy.socket.write(Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([1]), Buffer.from([1])]));
    const pointer = Buffer.from([5, 0, 0, 10, 0, 10]);
    const timer = setInterval(() => busy.socket.write(pointer), 250);
    t.after(() => clearInterval(timer));
    // No clock in the assertion: the idle tunnel is closed by the server, the one with input is not.
    await idle.closed;
    assert.ok(!busy.socket.destroyed, 'the active tunnel stays open');
  });

  test('console rows are replaced on reboot and migration; old tunnels are cut', async () => {
    const before1 = sim.vm('debian-web');
    const loc = before1.consoles.find((c) => c.protocol === 'rfb')!.location;
    const tunnel = await rawConnect(sim, hostOf(sim, loc), connectRequest(loc, session));
    assert.equal(tunnel.status, 200);
    await sim.act('debian-web', 'clean_reboot');
    await tunnel.closed;
    const after1 = sim.vm('debian-web');
    assert.equal(after1.consoles.length, before1.consoles.length);
    for (const c of after1.consoles) assert.ok(!before1.consoles.some((o) => o.ref === c.ref || o.uuid === c.uuid));
    const stale = await rawConnect(sim, hostOf(sim, loc), connectRequest(loc, session));
    assert.equal(stale.status, 500);
    const target = sim.hosts.find((h) => h.ref !== after1.residentOn)!;
    await sim.act('debian-web', { migrateTo: target.name });
    const after2 = sim.vm('debian-web');
    assert.equal(after2.residentOn, target.ref);
    for (const c of after2.consoles) {
      assert.equal(hostOf(sim, c.location), target.address);
      assert.ok(!after1.consoles.some((o) => o.ref === c.ref));
    }
    const moved = after2.consoles.find((c) => c.protocol === 'rfb')!.location;
    const c = await rawConnect(sim, target.address, connectRequest(moved, session));
    assert.equal(c.status, 200);
    c.socket.destroy();
  });

  test('shutdown removes console rows; start makes new ones', async () => {
    const vm = sim.vm('win-desktop');
    await sim.act('win-desktop', 'clean_shutdown');
    assert.deepEqual(sim.vm('win-desktop').consoles, []);
    assert.equal(sim.vnc('win-desktop'), undefined);
    await sim.act('win-desktop', 'start');
    const now = sim.vm('win-desktop');
    assert.equal(now.consoles.length, 1);
    assert.notEqual(now.consoles[0]!.ref, vm.consoles[0]!.ref);
  });

  test('no tunnel leaks', async () => {
    await waitFor(() => sim.stats().consoleTunnels === 0, 3000, 'all tunnels closed');
    const s = sim.stats();
    assert.ok((s.connectsByStatus['200'] ?? 0) > 0 && (s.connectsByStatus['500'] ?? 0) >= 4);
  });
});

for (const [kind, tools, greeting] of [
  ['qemu', ['qemu-system-x86_64'], 'RFB 003.008\n'],
  ['rfb33', ['Xvfb', 'xterm', 'x11vnc'], 'RFB 003.003\n'],
] as const) {
  describe(`console CONNECT to a real ${kind} server`, { skip: needTools(...tools) }, () => {
    test(`greets ${greeting.trim()}`, async (t) => {
      const sim = await startSimulator({ db: join(OWN_DUMPS_DIR, 'single-host-old-schema.xml'), vnc: (name) => (name === 'alpine-pv' ? kind : 'synthetic'), launchers: LAUNCHERS });
      t.after(() => sim.stop());
      const session = await login(sim);
      await waitFor(() => sim.vnc('alpine-pv') !== undefined, 20_000, `${kind} server up`);
      const loc = sim.vm('alpine-pv').consoles.find((c) => c.protocol === 'rfb')!.location;
      const c = await rawConnect(sim, hostOf(sim, loc), connectRequest(loc, session));
      t.after(() => c.socket.destroy());
      assert.equal(c.head, OK_HEAD);
      assert.equal((await c.read(12, 10_000)).subarray(0, 12).toString('latin1'), greeting);
    });
  });
}
