// PinBook: the list is in numeric address order, set() reports changes (and keeps a user's pin as
// the user's), a 64-host pool's pins all reach onChange in that order, and the certificate facts a
// pin keeps: old config files (fingerprint only) load unchanged, the facts are filled in when the same
// certificate is seen again, and they survive a save and a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PinnedHost } from '../../shared/contract';
import { ConfigStore } from './config-store';
import { PinBook, pinnedFacts } from './pins';

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

test('a config saved with fingerprint-only pins loads as it is; the facts are recorded when that certificate is seen again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-pins-'));
  try {
    const fp = 'AA:'.repeat(31) + 'AA';
    // The file as Porthole wrote it before pins kept facts.
    const old = { version: 1, pools: [{ id: 'p1', name: 'lab', address: '10.0.0.1', username: 'root', pins: [{ address: '10.0.0.1', fingerprint: fp, source: 'user' }] }], ui: { tabs: [] } };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(old));
    const store = new ConfigStore(dir);
    const loaded = await store.load();
    assert.deepEqual(loaded.warnings, [], 'an old file is not moved aside');
    const pool = loaded.data.pools[0]!;
    const book = new PinBook(pool.pins, (pins) => (pool.pins = pins));
    assert.deepEqual(book.get('10.0.0.1'), { address: '10.0.0.1', fingerprint: fp, source: 'user' });
    assert.deepEqual(pinnedFacts(book.get('10.0.0.1')), {}, 'no facts: the dialog says "not recorded"');
    // The same certificate again without facts: nothing changes.
    assert.equal(book.set('10.0.0.1', fp, 'pool'), false);
    // The pool reports that certificate with its facts: recorded, the user's pin stays the user's.
    const facts = { subject: 'CN=host-1', issuer: 'CN=host-1', validFrom: '2026-01-01T00:00:00.000Z', validTo: '2036-01-01T00:00:00.000Z' };
    const described = { ...facts, fingerprint: fp }; // as describePem gives it
    assert.equal(book.set('10.0.0.1', fp, 'pool', described), true);
    assert.deepEqual(book.get('10.0.0.1'), { address: '10.0.0.1', fingerprint: fp, source: 'user', ...facts });
    assert.equal(book.set('10.0.0.1', fp, 'pool', facts), false, 'the same facts again are no change');
    assert.equal(book.set('10.0.0.1', fp, 'pool'), false, 'seen again without facts: the recorded ones stay');
    assert.equal(book.get('10.0.0.1')?.issuer, 'CN=host-1');
    await store.save(loaded.data);
    const again = await new ConfigStore(dir).load();
    assert.deepEqual(new PinBook(again.data.pools[0]!.pins).get('10.0.0.1'), { address: '10.0.0.1', fingerprint: fp, source: 'user', ...facts });
    // A new certificate replaces the facts with its own (none given: none kept from the old one).
    book.set('10.0.0.1', 'BB:'.repeat(31) + 'BB', 'user');
    assert.deepEqual(pinnedFacts(book.get('10.0.0.1')), {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stored facts that are not strings are dropped, the pin is kept', () => {
  const stored = { address: 'h', fingerprint: 'F', source: 'pool', subject: 42, issuer: 'CN=h', validTo: '' } as unknown as PinnedHost;
  assert.deepEqual(new PinBook([stored]).get('h'), { address: 'h', fingerprint: 'F', source: 'pool', issuer: 'CN=h' });
});
