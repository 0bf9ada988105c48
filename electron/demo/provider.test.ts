// The demo provider against the real in-process simulator: one pool per process, the address and
// fingerprint it reports are the ones the master really serves, and stop is final.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { createDemoProvider } from './provider';

/** The SHA-256 fingerprint (XAPI format) the server at host:port presents. */
function servedFingerprint(address: string): Promise<string> {
  const url = new URL(`https://${address}`);
  return new Promise((resolve, reject) => {
    // Handshake only, to read the certificate; nothing is sent. Verification is what this test does.
    const socket = tls.connect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe('demo provider', () => {
  const provider = createDemoProvider({ hosts: 1, vms: 3 });
  after(() => provider.stop());

  test('starts one simulator and describes its master truthfully', async () => {
    const [a, b] = await Promise.all([provider.start(), provider.start()]);
    assert.deepEqual(a, b, 'concurrent starts share one pool');
    assert.match(a.address, /^127\.\d+\.\d+\.\d+:\d+$/);
    assert.ok(a.user !== '' && a.password !== '');
    assert.equal(await servedFingerprint(a.address), a.fingerprint);
    assert.deepEqual(await provider.start(), a, 'a later start returns the running pool');
  });

  test('stop closes the pool and is final', async () => {
    const { address } = await provider.start();
    await provider.stop();
    await provider.stop();
    await assert.rejects(servedFingerprint(address));
    await assert.rejects(provider.start(), /stopped/);
  });
});
