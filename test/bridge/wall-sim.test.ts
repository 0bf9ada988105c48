// The console wall's backend half against the XAPI simulator: a page socket on /overview/<token>
// watches VMs and gets thumbnails through the same pinned tunnels as consoles, at most N per host at a
// time; a console someone else holds is reported as in use and never taken (the simulator counts every
// CONNECT); closing the page socket closes every thumbnail tunnel. With frozen screens: a picture equal
// to the last one sent is not sent again, a change sends only the rows that changed (patched in, they
// equal a whole picture of the new screen), a resize or a status sends the whole picture again. Real
// vncterm-like (RFB 3.3) and QEMU servers are covered too when installed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { createBridge, type Bridge } from '../../electron/core/bridge';
import type { PoolManager } from '../../electron/core/pool-manager';
import { startSimulator } from '../../electron/sim';
import type { Simulator } from '../../electron/sim/types';
import type { VmNode } from '../../shared/inventory';
import { startSyntheticVnc, type SyntheticVncBackend } from '../../electron/sim/vnc';
import { decodeFrame, encodeWatch, isWholeFrame, parseStatus, wallKey, type WallFrame, type WallStatus } from '../../shared/wall-protocol';
import { RfbClient } from '../support/rfb-client';
import { addTrusted, holdConsoleAs, makeManager } from '../core/helpers';
import { LAUNCHERS, VNC_KIND_TOOLS } from '../backends/index';
import { needTools } from '../support/tools';
import { openPage, PAGE_ORIGIN } from './support/ws';

const DUMPS = join(import.meta.dirname, '..', 'fixtures', 'xapi-db');

async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A page's wall socket and everything it received. */
interface WallPage {
  ws: WebSocket;
  frames: WallFrame[];
  statuses: WallStatus[];
}

async function openWall(bridge: Bridge, manager: PoolManager, perHost: number, intervalMs: number): Promise<WallPage> {
  const { url } = bridge.openWall({ source: (id) => manager.consoleSource(id), perHost, intervalMs });
  const ws = await openPage(url);
  const page: WallPage = { ws, frames: [], statuses: [] };
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) {
      const frame = decodeFrame(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
      assert.ok(frame !== undefined, 'a well-formed thumbnail');
      page.frames.push(frame);
    } else {
      const status = parseStatus(data.toString('utf8'));
      assert.ok(status !== undefined, 'a well-formed status');
      page.statuses.push(status);
    }
  });
  return page;
}

function closeWall(page: WallPage): Promise<void> {
  return new Promise((resolve) => {
    page.ws.once('close', () => resolve());
    page.ws.close();
  });
}

/** The simulator's pool added to a fresh manager (every host pinned), connected, and a bridge. */
interface Rig {
  manager: PoolManager;
  poolId: string;
  bridge: Bridge;
  stop(): Promise<void>;
}

async function rig(sim: Simulator, wall: { inUseRetryMs?: number } = {}): Promise<Rig> {
  const m = await makeManager();
  const poolId = await addTrusted(m.manager, sim, { pinAll: true });
  m.manager.connect(poolId, sim.password);
  await m.manager.waitReady(poolId, { timeoutMs: 20_000 });
  const bridge = await createBridge({ allowedOrigins: [PAGE_ORIGIN], wall });
  return {
    manager: m.manager,
    poolId,
    bridge,
    async stop() {
      await bridge.close();
      await m.cleanup();
      await sim.stop();
    },
  };
}

function runningGuests(manager: PoolManager, poolId: string): VmNode[] {
  const nodes = manager.snapshot().nodes;
  const dom0 = new Set(nodes.flatMap((n) => (n.kind === 'host' && n.controlDomainUuid !== undefined ? [n.controlDomainUuid] : [])));
  return nodes.filter((n): n is VmNode => n.kind === 'vm' && n.poolId === poolId && n.powerState === 'Running' && !dom0.has(n.uuid));
}

describe('console wall → simulator (synthetic consoles)', () => {
  let sim: Simulator;
  let r: Rig;
  let manager: PoolManager;
  let poolId: string;
  let bridge: Bridge;

  before(async () => {
    sim = await startSimulator({ hosts: 2, vms: 12, vnc: 'synthetic', powerOpMs: 40 });
    r = await rig(sim, { inUseRetryMs: 60_000 });
    ({ manager, poolId, bridge } = r);
  });
  after(() => r.stop());

  test('every watched VM gets a thumbnail of its screen, never more than N tunnels per host', async () => {
    const vms = runningGuests(manager, poolId);
    assert.ok(vms.length >= 4, `enough running guests (${vms.length})`);
    const page = await openWall(bridge, manager, 1, 60_000);
    page.ws.send(encodeWatch(vms.map((v) => wallKey(poolId, v.uuid))));
    await waitFor('a thumbnail of every VM', () => new Set(page.frames.map((f) => f.key)).size === vms.length);
    for (const frame of page.frames) {
      // The synthetic screen is 800×600: the thumbnail keeps its aspect inside 240×180.
      assert.deepEqual([frame.screenWidth, frame.screenHeight, frame.width, frame.height], [800, 600, 240, 180]);
      const colours = new Set<number>();
      for (let i = 0; i < frame.rgba.length; i += 4) colours.add((frame.rgba[i]! << 16) | (frame.rgba[i + 1]! << 8) | frame.rgba[i + 2]!);
      assert.ok(colours.size > 16, 'the thumbnail shows the test pattern, not a blank screen');
    }
    assert.deepEqual(page.statuses, []);
    assert.equal(bridge.wallStats().maxPerHost, 1, 'one tunnel per host at a time with perHost = 1');
    await closeWall(page);
  });

  test('a console someone else holds is shown as in use and never taken', async () => {
    const [held, free] = runningGuests(manager, poolId);
    assert.ok(held !== undefined && free !== undefined);
    // Another user holds `held`'s console from another client.
    const holder = await holdConsoleAs(sim, 'alice', held.uuid);
    sim.faults.limitConsoleSessions(true);
    try {
      const before = sim.stats().connectsByVm[held.uuid] ?? {};
      const before200Free = sim.stats().connectsByVm[free.uuid]?.['200'];
      const page = await openWall(bridge, manager, 2, 200);
      page.ws.send(encodeWatch([wallKey(poolId, held.uuid), wallKey(poolId, free.uuid)]));
      await waitFor('the in-use status', () => page.statuses.length > 0);
      assert.deepEqual(
        page.statuses.map((s) => [s.key, s.status, s.users]),
        [[wallKey(poolId, held.uuid), 'in-use', 'alice']],
      );
      // The free VM refreshes every 200 ms (a CONNECT each: an unchanged picture is not sent); the
      // held one is left alone meanwhile.
      const freeConnects = (): number => (sim.stats().connectsByVm[free.uuid]?.['200'] ?? 0) - (before200Free ?? 0);
      await waitFor('five pictures of the free VM', () => freeConnects() >= 5);
      const afterCounts = sim.stats().connectsByVm[held.uuid] ?? {};
      assert.equal((afterCounts['503'] ?? 0) - (before['503'] ?? 0), 1, 'one refused CONNECT, not one per refresh');
      assert.equal(afterCounts['200'] ?? 0, before['200'] ?? 0, 'no CONNECT to the held console succeeded');
      assert.ok(page.frames.every((f) => f.key !== wallKey(poolId, held.uuid)), 'no picture of the held console');
      await closeWall(page);
    } finally {
      sim.faults.limitConsoleSessions(false);
      await holder.release();
    }
  });

  test('closing the page socket closes every thumbnail tunnel', async () => {
    const vms = runningGuests(manager, poolId);
    const page = await openWall(bridge, manager, 4, 100);
    page.ws.send(encodeWatch(vms.map((v) => wallKey(poolId, v.uuid))));
    await waitFor('thumbnail tunnels open', () => bridge.wallStats().tunnels > 0);
    await closeWall(page);
    await waitFor('the wall gone', () => bridge.wallStats().walls === 0);
    await waitFor('no thumbnail tunnel left', () => bridge.wallStats().tunnels === 0 && sim.stats().consoleTunnels === 0);
    // Nothing can be scheduled again: a wall leaves the bridge's set only once closed, and a closed
    // wall has cleared its timer and aborted its fetches (thumbnail-wall.ts onClose).
    assert.equal(bridge.wallStats().walls, 0);
  });

  test('a malformed watch message closes the wall', async () => {
    const page = await openWall(bridge, manager, 1, 1000);
    const closedWith = new Promise<number>((resolve) => page.ws.once('close', (code: number) => resolve(code)));
    page.ws.send(JSON.stringify({ type: 'watch', vms: ['not a key'] }));
    assert.equal(await closedWith, 4000);
    await waitFor('the wall gone', () => bridge.wallStats().walls === 0);
  });

  test('a wall token works once', async () => {
    const { url } = bridge.openWall({ source: (id) => manager.consoleSource(id), perHost: 1, intervalMs: 1000 });
    const first = await openPage(url);
    await assert.rejects(openPage(url), /410/);
    first.close();
  });
});

/** A whole picture with `frame`'s rows patched in (as the page does). */
function patched(whole: WallFrame, frame: WallFrame): WallFrame {
  const rgba = whole.rgba.slice();
  rgba.set(frame.rgba, frame.top * frame.width * 4);
  return { ...whole, rgba };
}

describe('console wall → simulator (frozen synthetic consoles): only changes are sent', () => {
  let sim: Simulator;
  let r: Rig;

  before(async () => {
    // The animation frozen (tickMs 0): a screen changes only when the test changes it.
    sim = await startSimulator({ hosts: 1, vms: 4, vnc: 'synthetic', powerOpMs: 40, launchers: { synthetic: (opts) => startSyntheticVnc({ ...opts, tickMs: 0 }) } });
    r = await rig(sim, { inUseRetryMs: 100 });
  });
  after(() => r.stop());

  test('an unchanged picture is not sent again; a change sends only its rows; a resize sends it whole', async () => {
    const [vm] = runningGuests(r.manager, r.poolId);
    assert.ok(vm !== undefined);
    const key = wallKey(r.poolId, vm.uuid);
    const screen = sim.vnc(vm.uuid) as SyntheticVncBackend;
    const connects = (): number => sim.stats().connectsByVm[vm.uuid]?.['200'] ?? 0;
    const page = await openWall(r.bridge, r.manager, 1, 50);
    page.ws.send(encodeWatch([key]));
    await waitFor('the first picture', () => page.frames.length > 0);
    const first = page.frames[0]!;
    assert.ok(isWholeFrame(first), 'the first picture is whole');
    // Five more pictures taken (a CONNECT each), none sent: the screen did not change.
    const taken = connects();
    await waitFor('five more pictures taken', () => connects() >= taken + 5 && r.bridge.wallStats().unchanged >= 5);
    assert.equal(page.frames.length, 1, 'nothing sent for an unchanged screen');

    // Typing changes the text lines only: the next message carries those rows, not the picture.
    const typist = new RfbClient(await screen.connect());
    await typist.handshake('3.8');
    typist.type('changed');
    await waitFor('the typed text on screen', () => screen.typedText === 'changed');
    await waitFor('the change sent', () => page.frames.length > 1);
    const delta = page.frames[1]!;
    assert.equal(delta.key, key);
    const rows = delta.rgba.length / (delta.width * 4);
    assert.ok(delta.top > 0 && rows < delta.height / 4, `a band of rows (${rows} from ${delta.top}), not the whole picture`);
    assert.deepEqual([delta.width, delta.height, delta.screenWidth, delta.screenHeight], [first.width, first.height, first.screenWidth, first.screenHeight]);
    // Patched in, the rows give exactly the picture a fresh wall gets whole.
    const fresh = await openWall(r.bridge, r.manager, 1, 60_000);
    fresh.ws.send(encodeWatch([key]));
    await waitFor('a fresh whole picture', () => fresh.frames.length > 0);
    assert.ok(isWholeFrame(fresh.frames[0]!));
    assert.ok(Buffer.from(patched(first, delta).rgba).equals(Buffer.from(fresh.frames[0]!.rgba)), 'patched picture = whole picture of the new screen');
    assert.ok(!Buffer.from(first.rgba).equals(Buffer.from(fresh.frames[0]!.rgba)), 'the screen did change');
    await closeWall(fresh);
    typist.close();

    // A new size: the whole picture again, at the new size.
    const sent = page.frames.length;
    screen.resize(640, 400);
    await waitFor('the resized picture', () => page.frames.length > sent);
    const resized = page.frames[sent]!;
    assert.ok(isWholeFrame(resized));
    assert.deepEqual([resized.screenWidth, resized.screenHeight, resized.width, resized.height], [640, 400, 240, 150]);
    await closeWall(page);
  });

  test('after a status the picture is sent whole again, though it did not change', async () => {
    const [vm] = runningGuests(r.manager, r.poolId);
    assert.ok(vm !== undefined);
    const key = wallKey(r.poolId, vm.uuid);
    const page = await openWall(r.bridge, r.manager, 1, 50);
    page.ws.send(encodeWatch([key]));
    await waitFor('the first picture', () => page.frames.length > 0);
    const holder = await holdConsoleAs(sim, 'bob', vm.uuid);
    sim.faults.limitConsoleSessions(true);
    try {
      await waitFor('the in-use status', () => page.statuses.some((s) => s.status === 'in-use'));
    } finally {
      sim.faults.limitConsoleSessions(false);
      await holder.release();
    }
    // The tile shows "in use" now: the same picture must come again, whole, to show it live.
    await waitFor('a picture after the status', () => page.frames.length > 1);
    assert.ok(isWholeFrame(page.frames[1]!));
    assert.ok(Buffer.from(page.frames[1]!.rgba).equals(Buffer.from(page.frames[0]!.rgba)), 'the same screen');
    await closeWall(page);
  });
});

for (const kind of ['rfb33', 'qemu'] as const) {
  describe(`console wall → simulator → real ${kind} server`, { skip: needTools(...VNC_KIND_TOOLS[kind]) }, () => {
    let sim: Simulator;
    let r: Rig;
    before(async () => {
      sim = await startSimulator({ db: join(DUMPS, 'single-host-old-schema.xml'), vnc: (name) => (name === 'alpine-pv' ? kind : 'synthetic'), launchers: LAUNCHERS });
      r = await rig(sim);
      await waitFor(`${kind} server up`, () => sim.vnc('alpine-pv') !== undefined);
    });
    after(() => r.stop());

    test(`a thumbnail comes from the ${kind} server`, async () => {
      const page = await openWall(r.bridge, r.manager, 1, 60_000);
      page.ws.send(encodeWatch([wallKey(r.poolId, sim.vm('alpine-pv').uuid)]));
      await waitFor('the thumbnail', () => page.frames.length > 0 || page.statuses.length > 0, 30_000);
      assert.deepEqual(page.statuses, []);
      const frame = page.frames[0]!;
      assert.ok(frame.width > 0 && frame.width <= 240 && frame.height <= 180);
      await closeWall(page);
    });
  });
}
