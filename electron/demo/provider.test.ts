// The demo provider against the real in-process simulator: one pool per process, the address and
// fingerprint it reports are the ones the master really serves, every socket it listens on is on
// 127.0.0.1 (the only loopback address macOS and Windows have), and stop is final.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { listeningSockets } from '../../test/support/listening';
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

const noProc = listeningSockets() === undefined ? 'no /proc/net/tcp on this OS: cannot list listening sockets' : false;

describe('demo provider', () => {
  const provider = createDemoProvider({ hosts: 3, vms: 4 });
  after(() => provider.stop());

  test('starts one simulator and describes its master truthfully', async () => {
    const [a, b] = await Promise.all([provider.start(), provider.start()]);
    assert.deepEqual(a, b, 'concurrent starts share one pool');
    assert.match(a.address, /^127\.0\.0\.1:\d+$/);
    assert.ok(a.user !== '' && a.password !== '');
    assert.equal(await servedFingerprint(a.address), a.fingerprint);
    assert.deepEqual(await provider.start(), a, 'a later start returns the running pool');
  });

  test('every socket the demo listens on is on 127.0.0.1, one port per host', { skip: noProc }, async () => {
    await provider.stop();
    const fresh = createDemoProvider({ hosts: 3, vms: 4 });
    const before = new Set(listeningSockets());
    try {
      const pool = await fresh.start();
      const opened = (listeningSockets() ?? []).filter((s) => !before.has(s));
      assert.equal(opened.length, 3, `one listener per host: ${opened.join(', ')}`);
      for (const s of opened) assert.match(s, /^127\.0\.0\.1:\d+$/, `listens on ${s}`);
      assert.ok(opened.includes(pool.address), 'the master is one of them');
      // Every host presents the one demo certificate, so a pin on 127.0.0.1 holds for each port.
      for (const s of opened) assert.equal(await servedFingerprint(s), pool.fingerprint);
    } finally {
      await fresh.stop();
    }
  });

  test('stop closes the pool and is final', async () => {
    const again = createDemoProvider({ hosts: 1, vms: 1 });
    const { address } = await again.start();
    await again.stop();
    await again.stop();
    await assert.rejects(servedFingerprint(address));
    await assert.rejects(again.start(), /stopped/);
  });
});
