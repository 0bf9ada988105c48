// Password storage policy with real ciphers: keychain → sealed; basic_text → memory unless opted in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BASIC_TEXT_REASON, SecretStore, memoryOnlyCipher } from './secret-store';
import { aesGcmCipher } from '../../test/core/ciphers';

test('a real keychain seals passwords; the blob does not contain them', () => {
  const key = randomBytes(32);
  const store = new SecretStore(aesGcmCipher('gnome_libsecret', key));
  assert.equal(store.backend(), 'os');
  assert.deepEqual(store.decide(true, false), { storage: 'saved' });
  const blob = store.seal('hunter2-secret');
  assert.ok(!Buffer.from(blob, 'base64').toString('latin1').includes('hunter2'));
  assert.ok(!blob.includes('hunter2'));
  assert.equal(store.open(blob), 'hunter2-secret');
  assert.equal(new SecretStore(aesGcmCipher('gnome_libsecret')).open(blob), undefined, 'another key cannot open it');
  assert.equal(store.decide(false, true).storage, 'memory');
});

test('basic_text keeps passwords in memory with a reason unless the user opted in', () => {
  const store = new SecretStore(aesGcmCipher('basic_text'));
  assert.equal(store.backend(), 'basic_text');
  assert.deepEqual(store.decide(true, false), { storage: 'memory', reason: BASIC_TEXT_REASON });
  assert.deepEqual(store.decide(true, true), { storage: 'saved' });
});

test('under plain Node nothing can be stored', () => {
  const store = new SecretStore(memoryOnlyCipher);
  assert.equal(store.backend(), 'unavailable');
  assert.equal(store.decide(true, true).storage, 'memory');
  assert.equal(store.open('AAAA'), undefined);
  assert.throws(() => store.seal('x'), { code: 'INTERNAL' });
});
