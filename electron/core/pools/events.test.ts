// event.from replies as a hostile or broken pool could send them: shape checks, and refs named like prototype keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PoolInventory } from '../../../shared/inventory-build';
import { PinBook } from '../pins';
import { MalformedEventReply, PIN_CALLS_IN_FLIGHT, parseEventReply, pinMembers, watchEvents, type EventLoopContext } from './events';
import type { XapiConnection } from './xapi-adapter';

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString'];

test('a reply that is not {events, token} is malformed (no silent reload with token "")', () => {
  for (const reply of [null, undefined, 'x', 42, [], {}, { events: [] }, { events: [], token: '' }, { events: [], token: 7 }, { events: null, token: 't' }, { events: {}, token: 't' }]) {
    assert.throws(() => parseEventReply(reply), (e: unknown) => e instanceof MalformedEventReply && e.code === 'XAPI_ERROR' && /malformed event reply/.test(e.message), JSON.stringify(reply) ?? 'undefined');
  }
  assert.deepEqual(parseEventReply({ events: [], token: '1,2' }), { events: [], dropped: 0, token: '1,2' });
});

test('events of the wrong shape are dropped and counted; class names are lower-cased', () => {
  const reply = parseEventReply({
    token: 't',
    events: [
      null,
      'x',
      { class: 'VM', ref: 'OpaqueRef:1', operation: 'add', snapshot: { uuid: 'u' } },
      { class: 'vm', ref: 'OpaqueRef:2', operation: 'del' },
      { class: 'vm', ref: 'OpaqueRef:3', operation: 'mod', snapshot: null },
      { class: 'vm', ref: 'OpaqueRef:4', operation: 'mod', snapshot: [1] },
      { class: 'vm', ref: 'OpaqueRef:5', operation: 'explode', snapshot: {} },
      { class: 7, ref: 'OpaqueRef:6', operation: 'add', snapshot: {} },
      { class: 'task', ref: { toString: 'x' }, operation: 'add', snapshot: {} },
    ],
  });
  assert.deepEqual(reply.events.map((e) => [e.class, e.ref, e.operation]), [['vm', 'OpaqueRef:1', 'add'], ['vm', 'OpaqueRef:2', 'del']]);
  assert.equal(reply.dropped, 7);
});

test('classes and refs named like prototype keys are plain keys: nothing is polluted, nothing throws', () => {
  const before = Object.getOwnPropertyNames(Object.prototype).sort();
  const classes = [...PROTO_KEYS, 'vm'];
  const events = classes.flatMap((cls) =>
    PROTO_KEYS.map((ref) => ({ class: cls, ref, operation: 'add', snapshot: { name_label: `${cls}/${ref}`, uuid: `u-${ref}`, power_state: 'Halted', polluted: true } })),
  );
  const parsed = parseEventReply(JSON.parse(JSON.stringify({ token: 't', events })));
  const inventory = new PoolInventory('p');
  inventory.loadEvents(parsed.events);
  const { upserts } = inventory.takeDiff();
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  // Only the watched class became nodes, one per ref, named as sent.
  assert.deepEqual(upserts.map((n) => `${n.id}=${n.name}`).sort(), PROTO_KEYS.map((ref) => `p/${ref}=vm/${ref}`).sort());
});

test('a first load hands the tree on before any certificate call is made; console lookups can wait from the start', async () => {
  // A scripted connection: one full load (a host and a VM), then event.from blocks until the test ends.
  const calls: string[] = [];
  let endWait: (error: Error) => void = () => undefined;
  const conn = {
    master: '10.0.0.1',
    call(method: string, ...args: unknown[]): Promise<unknown> {
      calls.push(method);
      if (method === 'event.from' && args[1] === '') {
        return Promise.resolve({
          token: '1',
          events: [
            { class: 'host', ref: 'OpaqueRef:h', operation: 'add', snapshot: { uuid: 'hu', name_label: 'h', address: '10.0.0.1', enabled: true } },
            { class: 'VM', ref: 'OpaqueRef:v', operation: 'add', snapshot: { uuid: 'vu', name_label: 'v', power_state: 'Halted' } },
          ],
        });
      }
      if (method === 'event.from') return new Promise((_resolve, reject) => (endWait = reject));
      return Promise.resolve(7); // host.get_server_certificate: not a PEM, so nothing is pinned
    },
  } as unknown as XapiConnection;
  let handOn: () => void = () => undefined;
  const handedOn = new Promise<void>((resolve) => (handOn = resolve));
  let stale = false;
  let pinning: Promise<void> | undefined;
  let loaded = false;
  const ended = watchEvents({
    poolId: 'p',
    conn,
    inventory: new PoolInventory('p'),
    pins: new PinBook([]),
    eventTimeoutS: 5.1,
    stale: () => stale,
    onMembers: () => undefined,
    onEvents: () => undefined,
    onInventory: () => {
      calls.push('inventory handed over');
      return handedOn;
    },
    onPinning: (p) => {
      pinning = p;
    },
    onLoaded: () => (loaded = true),
  });
  while (!calls.includes('inventory handed over')) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls, ['event.from', 'inventory handed over'], 'no certificate call while the tree is being sent');
  assert.ok(pinning !== undefined, 'a console lookup already has the pinning to wait for');
  handOn();
  await pinning;
  assert.deepEqual(calls.slice(0, 3), ['event.from', 'inventory handed over', 'host.get_server_certificate']);
  while (!loaded) await new Promise((r) => setImmediate(r));
  stale = true;
  endWait(new Error('closed'));
  assert.equal((await ended).reason, 'disconnected');
});

test('members are pinned a few calls at a time (each call in flight is a TLS handshake of its own), every host once', async () => {
  const inventory = new PoolInventory('p');
  inventory.loadEvents(Array.from({ length: 10 }, (_, i) => ({ class: 'host', ref: `OpaqueRef:h${i}`, operation: 'add', snapshot: { uuid: `hu${i}`, name_label: `h${i}`, address: `10.0.0.${i + 1}` } })));
  let inFlight = 0;
  let most = 0;
  const asked: unknown[] = [];
  const conn = {
    master: '10.0.0.1',
    async call(method: string, ref: unknown): Promise<unknown> {
      assert.equal(method, 'host.get_server_certificate');
      asked.push(ref);
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return 7;
    },
  } as unknown as XapiConnection;
  const ctx = { poolId: 'p', conn, inventory, pins: new PinBook([]), stale: () => false, onMembers: () => undefined } as unknown as EventLoopContext;
  await pinMembers(ctx);
  assert.equal(most, PIN_CALLS_IN_FLIGHT);
  assert.deepEqual([...asked].sort(), Array.from({ length: 10 }, (_, i) => `OpaqueRef:h${i}`).sort());
});
