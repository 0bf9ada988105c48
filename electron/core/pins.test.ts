// PinBook: the list is in numeric address order, set() reports changes (and keeps a user's pin as
// the user's), and a 64-host pool's pins all reach onChange in that order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PinnedHost } from '../../shared/contract';
import { PinBook } from './pins';

test('list() orders addresses numerically and set() reports what changed', () => {
  const seen: string[][] = [];
  const book = new PinBook([], (pins) => seen.push(pins.map((p) => p.address)));
  assert.equal(book.set('127.0.0.10', 'aa', 'pool'), true);
  assert.equal(book.set('127.0.0.2', 'bb', 'pool'), true);
  assert.equal(book.set('host-b', 'cc', 'user'), true);
  assert.equal(book.set('host-a', 'dd', 'pool'), true);
  assert.deepEqual(seen.at(-1), ['127.0.0.2', '127.0.0.10', 'host-a', 'host-b']);
  assert.equal(book.set('127.0.0.2', 'bb', 'pool'), false, 'the same pin again is no change');
  assert.equal(book.set('host-b', 'cc', 'pool'), false, "the pool's word does not demote the user's pin");
  assert.equal(book.get('host-b')?.source, 'user');
  assert.equal(book.forget('host-a'), true);
  assert.deepEqual(book.list().map((p) => p.address), ['127.0.0.2', '127.0.0.10', 'host-b']);
});

test('pinning 64 hosts one by one ends with all of them, in order', () => {
  let last: PinnedHost[] = [];
  const book = new PinBook([], (pins) => (last = pins));
  const addresses = Array.from({ length: 64 }, (_, i) => `127.0.0.${11 + i}`);
  for (const a of [...addresses].reverse()) book.set(a, `fp-${a}`, 'pool');
  assert.deepEqual(last.map((p) => p.address), addresses);
});
