// Certificates made with node:crypto alone: Node's own X.509 parser reads them back field by field,
// the signature verifies with the certificate's key, and a real TLS handshake that checks the chain
// and the IP address against them succeeds (and fails for another address).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { makeSelfSigned } from './certificate';

const DAY_MS = 24 * 3600 * 1000;

test('fields, signature and fingerprint as X.509 readers see them', () => {
  const notBefore = new Date('2026-01-02T03:04:05Z');
  const notAfter = new Date('2036-01-02T03:04:05Z');
  const made = makeSelfSigned({ name: 'host-1', address: '127.0.0.1', notBefore, notAfter });
  const x = new X509Certificate(made.cert);
  assert.equal(x.subject, 'CN=host-1');
  assert.equal(x.issuer, 'CN=host-1');
  assert.equal(new Date(x.validFrom).getTime(), notBefore.getTime());
  assert.equal(new Date(x.validTo).getTime(), notAfter.getTime());
  assert.equal(x.subjectAltName, 'IP Address:127.0.0.1, DNS:host-1');
  assert.equal(x.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(x.checkIP('127.0.0.2'), undefined);
  assert.equal(x.ca, false);
  assert.deepEqual(x.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extended key usage: serverAuth');
  assert.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(x.verify(x.publicKey), 'self-signature verifies');
  assert.match(x.serialNumber, /^[0-9A-F]{32}$/);
  const der = createHash('sha256').update(x.raw).digest('hex').toUpperCase().match(/../g)!.join(':');
  assert.equal(made.fingerprint, der);
  assert.match(made.key, /^-----BEGIN PRIVATE KEY-----/);
});

test('GeneralizedTime from 2050 on; names that are not DNS names stay out of the SAN', () => {
  const made = makeSelfSigned({ name: 'Host One', address: '10.1.2.3', notBefore: new Date('2049-12-31T23:59:59Z'), notAfter: new Date('2051-06-01T00:00:00Z') });
  const x = new X509Certificate(made.cert);
  assert.equal(new Date(x.validFrom).toISOString(), '2049-12-31T23:59:59.000Z');
  assert.equal(new Date(x.validTo).toISOString(), '2051-06-01T00:00:00.000Z');
  assert.equal(x.subject, 'CN=Host One');
  assert.equal(x.subjectAltName, 'IP Address:10.1.2.3');
  assert.throws(() => makeSelfSigned({ name: 'x', address: 'example.org', notBefore: new Date(), notAfter: new Date() }), /not an IPv4 address/);
});

test('a TLS client that verifies the chain and the address accepts it', async () => {
  const now = Date.now();
  const made = makeSelfSigned({ name: 'localhost', address: '127.0.0.1', notBefore: new Date(now - DAY_MS), notAfter: new Date(now + DAY_MS) });
  const server = tls.createServer({ key: made.key, cert: made.cert }, (s) => s.end('hello'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    const greeting = await new Promise<string>((resolve, reject) => {
      const c = tls.connect({ host: '127.0.0.1', port, ca: made.cert }, () => c.once('data', (d: Buffer) => resolve(d.toString())));
      c.once('error', reject);
    });
    assert.equal(greeting, 'hello');
    // The same certificate presented for another address fails the identity check.
    await assert.rejects(
      new Promise((resolve, reject) => {
        const c = tls.connect({ host: '127.0.0.1', port, ca: made.cert, checkServerIdentity: (_h, cert) => tls.checkServerIdentity('127.0.0.9', cert) }, () => resolve(c));
        c.once('error', reject);
      }),
      /IP: 127\.0\.0\.9 is not in the cert's list/,
    );
  } finally {
    server.close();
  }
});
