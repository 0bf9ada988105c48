// The hostile-XAPI table: a pool that answers with prototype keys, wrong types, huge strings or a null
// event token (the simulator's tamperReplies fault), and a fake host whose login answer is truncated
// JSON, truncated XML, an HTML error page or nothing for a (controllable) 10 s. For each: the process
// stays up (no uncaught error), the pool ends in a stated state whose message says what is wrong, and
// the work stays bounded (requests the host saw per reconnect). No real 10 s wait: the call timeout is
// shortened to 300 ms, the host's delay is a promise the test releases.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { fingerprintFromPem } from '../../electron/core/tls-pin';
import { startSimulator } from '../../electron/sim';
import type { Simulator } from '../../electron/sim/types';
import type { PoolState } from '../../shared/contract';
import type { VmNode } from '../../shared/inventory';
import { MAX_NAME_CHARS } from '../../shared/inventory-build';
import { FAST, addTrusted, makeManager, waitState } from '../core/helpers';
import { printTable, type Row } from '../support/table';

const TIMING = { ...FAST, callTimeoutMs: 300, eventTimeoutS: 0.2 };
const rows: Row[] = [];
let sim: Simulator;
const uncaught: unknown[] = [];
const onUncaught = (e: unknown): void => void uncaught.push(e);

before(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  sim = await startSimulator({ hosts: 1, vms: 3, vnc: 'synthetic', powerOpMs: 20 });
});
after(async () => {
  printTable('Hostile XAPI: what the host answered, where the pool ended, and how much work it caused', rows);
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  sim.faults.tamperReplies(undefined);
  await sim.stop();
});

const stateText = (s: PoolState): string =>
  s.kind === 'reconnecting' ? `reconnecting: ${s.reason}` : s.kind === 'failed' ? `failed: ${s.message}` : s.kind === 'needs-password' ? `needs-password: ${s.message}` : s.kind;

/** Rewrites every record of `VM.get_all_records` / event snapshots of class vm with `patch`. */
function patchVms(patch: (rec: Record<string, unknown>) => Record<string, unknown>): (method: string, result: unknown) => unknown {
  return (method, result) => {
    if (method === 'event.from') {
      const r = result as { events: { class: string; snapshot?: Record<string, unknown> }[] };
      return { ...r, events: r.events.map((e) => (e.class.toLowerCase() === 'vm' && e.snapshot !== undefined && e.snapshot.is_control_domain !== true && e.snapshot.is_a_template !== true ? { ...e, snapshot: patch(e.snapshot) } : e)) };
    }
    return result;
  };
}

for (const c of [
  {
    name: 'prototype keys (__proto__ / constructor classes and refs)',
    tamper: (method: string, result: unknown): unknown =>
      method === 'event.from'
        ? { ...(result as object), events: [...['__proto__', 'constructor'].flatMap((cls) => ['__proto__', 'constructor'].map((ref) => ({ class: cls, operation: 'add', ref, snapshot: { polluted: true } }))), ...(result as { events: unknown[] }).events] }
        : result,
    check: (vms: VmNode[]): string => {
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      return `${vms.length} VMs, Object.prototype clean`;
    },
  },
  {
    name: 'wrong types (name_label 42, power_state {}, consoles "x", tags null)',
    tamper: patchVms((rec) => ({ ...rec, name_label: 42, power_state: {}, consoles: 'x', tags: null })),
    check: (vms: VmNode[]): string => {
      assert.ok(vms.every((v) => v.powerState === 'Halted' && v.consoles.length === 0 && Array.isArray(v.tags)));
      return `${vms.length} VMs shown as Halted, no consoles, names "${vms[0]?.name ?? ''}"`;
    },
  },
  {
    name: 'huge strings (5 MB name_label)',
    tamper: patchVms((rec) => ({ ...rec, name_label: 'x'.repeat(5 * 1024 * 1024) })),
    check: (vms: VmNode[]): string => {
      assert.ok(vms.every((v) => v.name.length === MAX_NAME_CHARS && v.name.endsWith('…')));
      return `names capped at ${MAX_NAME_CHARS} chars with "…"`;
    },
  },
]) {
  test(`hostile records: ${c.name}: the pool stays connected and shows what it can`, { timeout: 60_000 }, async (t) => {
    sim.faults.tamperReplies(c.tamper);
    t.after(() => sim.faults.tamperReplies(undefined));
    const { manager, cleanup } = await makeManager(undefined, undefined, TIMING);
    t.after(cleanup);
    const id = await addTrusted(manager, sim);
    const logins = sim.stats().loginAttempts;
    manager.connect(id);
    await manager.waitReady(id);
    const vms = manager.snapshot().nodes.filter((n): n is VmNode => n.kind === 'vm');
    const observed = c.check(vms);
    assert.equal(manager.state(id).kind, 'connected');
    assert.deepEqual(uncaught, []);
    rows.push({ 'the host answers': c.name, 'end state': stateText(manager.state(id)), 'what the app shows': observed, 'logins': sim.stats().loginAttempts - logins, 'process up': uncaught.length === 0 });
  });
}

test('hostile records: event.from answering a null token: reconnecting with a stated reason, backing off', { timeout: 60_000 }, async (t) => {
  let calls = 0;
  sim.faults.tamperReplies((method, result) => {
    if (method !== 'event.from') return result;
    calls++;
    return { ...(result as object), token: null };
  });
  t.after(() => sim.faults.tamperReplies(undefined));
  const { manager, cleanup } = await makeManager(undefined, undefined, TIMING);
  t.after(cleanup);
  const id = await addTrusted(manager, sim);
  const reconnects: PoolState[] = [];
  manager.on('state', (e) => {
    if (e.id === id && e.state.kind === 'reconnecting') reconnects.push(e.state);
  });
  manager.connect(id);
  await waitState(manager, id, () => reconnects.length >= 3, 30_000);
  await manager.disconnect(id);
  assert.match(stateText(reconnects[0]!), /malformed event reply/);
  assert.ok(calls <= 2 * (reconnects.length + 1), `${calls} event.from calls for ${reconnects.length} reconnects`);
  rows.push({ 'the host answers': 'null event token', 'end state': stateText(reconnects[0]!), 'what the app shows': `${reconnects.length} reconnects, back-off ${reconnects.map((r) => (r.kind === 'reconnecting' ? r.retryInMs : 0)).join(', ')} ms`, logins: `${calls} event.from calls`, 'process up': uncaught.length === 0 });
});

/** A TLS host that answers every request with `reply` (or, for 'hold', holds it until `release`). */
async function rawHost(reply: string): Promise<{ port: number; fingerprint: string; requests: () => number; release: () => void; close: () => Promise<void> }> {
  const pems = await generate([{ name: 'commonName', value: 'hostile.test' }], { keySize: 2048 });
  let requests = 0;
  const held: tls.TLSSocket[] = [];
  const all = new Set<tls.TLSSocket>();
  const server = tls.createServer({ key: pems.private, cert: pems.cert }, (socket) => {
    all.add(socket);
    socket.once('close', () => all.delete(socket));
    socket.on('error', () => undefined);
    let buffered = '';
    socket.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(buffered)?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      buffered = buffered.slice(end + 4 + length);
      requests++;
      if (reply === 'hold') held.push(socket);
      else socket.write(reply);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    fingerprint: fingerprintFromPem(pems.cert),
    requests: () => requests,
    release: () => {
      for (const s of held) s.destroy();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of all) s.destroy();
        server.close(() => r());
      }),
  };
}

const htmlError = (status: number, text: string, body: string): string =>
  `HTTP/1.1 ${status} ${text}\r\ncontent-type: text/html\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
const http200 = (type: string, body: string): string => `HTTP/1.1 200 OK\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: keep-alive\r\n\r\n${body}`;

for (const c of [
  { name: 'truncated JSON', reply: http200('application/json', '{"jsonrpc":"2.0","result":"OpaqueRef:'), says: 'not valid JSON' },
  { name: 'truncated XML', reply: http200('text/xml', '<?xml version="1.0"?><methodResponse><params><param><value><struct><member><name>Status</name>'), says: 'not valid XML-RPC' },
  { name: 'an HTML error page (502 from a proxy)', reply: htmlError(502, 'Bad Gateway', '<html><body><h1>502 Bad Gateway</h1></body></html>'), says: 'HTTP 502' },
  // The body stops short of its content-length: undici's unread body stream used to fail later, uncaught.
  { name: 'a truncated HTML error page', reply: htmlError(502, 'Bad Gateway', '<html><body><h1>502 Bad Gateway</h1></body></html>').slice(0, -7) },
  { name: 'nothing for 10 s (held; call timeout 300 ms here)', reply: 'hold' },
] as { name: string; reply: string; says?: string }[]) {
  test(`a host answering the login with ${c.name}: reconnecting with a stated reason, bounded retries`, { timeout: 60_000 }, async (t) => {
    const host = await rawHost(c.reply);
    t.after(() => host.close());
    const { manager, cleanup } = await makeManager(undefined, undefined, TIMING);
    t.after(cleanup);
    const id = await manager.add(
      { name: 'hostile', address: `127.0.0.1:${host.port}`, username: 'root', password: 'secret', remember: false },
      { pins: [{ address: '127.0.0.1', fingerprint: host.fingerprint, source: 'user' }] },
    );
    const ends: PoolState[] = [];
    manager.on('state', (e) => {
      if (e.id === id && (e.state.kind === 'reconnecting' || e.state.kind === 'failed')) ends.push(e.state);
    });
    manager.connect(id);
    await waitState(manager, id, () => ends.length >= 3, 30_000);
    await manager.disconnect(id);
    host.release();
    const first = ends[0]!;
    const text = stateText(first);
    assert.ok(text.length > 'reconnecting: '.length + 10, `the state says why: ${text}`);
    if (c.says !== undefined) assert.ok(text.includes(c.says), `the state names the answer (${c.says}): ${text}`);
    assert.ok(host.requests() <= 3 * (ends.length + 1), `${host.requests()} requests for ${ends.length} attempts`);
    assert.deepEqual(uncaught, []);
    rows.push({ 'the host answers': `login: ${c.name}`, 'end state': text, 'what the app shows': `${ends.length} attempts, each backing off`, logins: `${host.requests()} requests`, 'process up': uncaught.length === 0 });
  });
}
