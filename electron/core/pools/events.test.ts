// event.from replies as a hostile or broken pool could send them: shape checks, and refs named like prototype keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PoolInventory } from '../../../shared/inventory-build';
import { MalformedEventReply, parseEventReply } from './events';

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
