import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Database, parseSubscription } from './db';

function setup(): Database {
  const db = new Database();
  db.declare('VM');
  db.declare('host');
  db.add('VM', 'OpaqueRef:a', { uuid: 'a', n: 1 });
  db.add('host', 'OpaqueRef:h', { uuid: 'h' });
  return db;
}

test('since 0: every live object as add', () => {
  const db = setup();
  const { events, last } = db.changesSince(0, [{ kind: 'all' }]);
  assert.deepEqual(events.map((e) => [e.class, e.operation, e.ref]), [['vm', 'add', 'OpaqueRef:a'], ['host', 'add', 'OpaqueRef:h']]);
  assert.equal(last, db.generation);
});

test('one event per object with its current snapshot; add+del since the token gives nothing', () => {
  const db = setup();
  const since = db.generation;
  db.modify('VM', 'OpaqueRef:a', { n: 2 });
  db.modify('VM', 'OpaqueRef:a', { n: 3 });
  db.add('VM', 'OpaqueRef:b', { uuid: 'b' });
  db.add('VM', 'OpaqueRef:c', { uuid: 'c' });
  db.remove('VM', 'OpaqueRef:c');
  db.remove('host', 'OpaqueRef:h');
  const { events } = db.changesSince(since, [parseSubscription('vm')!, parseSubscription('HOST')!]);
  assert.deepEqual(events.map((e) => [e.operation, e.ref, e.snapshot?.n]), [['mod', 'OpaqueRef:a', 3], ['add', 'OpaqueRef:b', undefined], ['del', 'OpaqueRef:h', undefined]]);
  const only = db.changesSince(since, [parseSubscription('vm/OpaqueRef:b')!]);
  assert.deepEqual(only.events.map((e) => e.ref), ['OpaqueRef:b']);
});

test('snapshots handed out are not changed by later writes', () => {
  const db = setup();
  const before = db.get('VM', 'OpaqueRef:a');
  db.modify('VM', 'OpaqueRef:a', { n: 9 });
  assert.equal(before?.n, 1);
  assert.equal(db.get('VM', 'OpaqueRef:a')?.n, 9);
});

test('forgetting history makes old tokens unanswerable', () => {
  const db = setup();
  const since = db.generation;
  db.touch('VM', 'OpaqueRef:a');
  assert.ok(db.answerable(since));
  db.forgetHistory();
  assert.ok(!db.answerable(since));
  assert.ok(db.answerable(0));
  assert.ok(db.answerable(db.generation));
});

test('subscriptions parse as xapi does', () => {
  assert.deepEqual(parseSubscription('*'), { kind: 'all' });
  assert.deepEqual(parseSubscription('VM'), { kind: 'class', cls: 'vm' });
  assert.deepEqual(parseSubscription('VM/OpaqueRef:x'), { kind: 'object', cls: 'vm', ref: 'OpaqueRef:x' });
  assert.equal(parseSubscription(''), undefined);
});
