// Pinning against a real TLS server with real self-signed certificates: the pin decides, and a host
// that presents another certificate receives no application byte.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { EventEmitter, once } from 'node:events';
import { generate } from 'selfsigned';
import { request } from 'undici';
import { CertificateError, connectPinned, describePem, fingerprintFromPem, normalizeFingerprint, pinnedAgent, probeCertificate } from './tls-pin';

async function makeServer(): Promise<{ port: number; pem: string; received: () => string; closes: EventEmitter; close: () => Promise<void> }> {
  const pems = await generate([{ name: 'commonName', value: 'xs-host.example' }], { keySize: 2048, notAfterDate: new Date(Date.now() + 30 * 86_400_000) });
  let received = '';
  // 'closed' once per server-side socket that ended: after it, every byte its client sent has been read.
  const closes = new EventEmitter();
  const server = tls.createServer({ key: pems.private, cert: pems.cert }, (socket) => {
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok');
    });
    socket.on('error', () => undefined);
  });
  // On the TCP socket: a client that drops right after its handshake may never reach 'secureConnection'.
  server.on('connection', (raw: Socket) => raw.once('close', () => closes.emit('closed')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    pem: pems.cert,
    received: () => received,
    closes,
    close: () => new Promise<void>((r) => { server.close(() => r()); }),
  };
}

const a = await makeServer();
const b = await makeServer();
after(async () => { await a.close(); await b.close(); });

test('fingerprints are SHA-256 of the DER in XAPI format', () => {
  const fp = fingerprintFromPem(a.pem);
  assert.match(fp, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal(normalizeFingerprint('sha-256:' + fp.replace(/:/g, '').toLowerCase()), fp);
  assert.equal(normalizeFingerprint('AB:CD'), undefined);
  const d = describePem(a.pem);
  assert.match(d.subject, /xs-host\.example/);
  assert.ok(Date.parse(d.validTo) > Date.parse(d.validFrom));
});

test('probe reads the certificate without writing anything', async () => {
  const closed = once(a.closes, 'closed');
  const cert = await probeCertificate({ host: '127.0.0.1', port: a.port });
  assert.equal(cert.fingerprint, fingerprintFromPem(a.pem));
  await closed; // the server has read everything the probe's connection carried
  assert.equal(a.received(), '');
});

test('connectPinned accepts the pinned certificate and refuses others before sending', async () => {
  const good = await connectPinned({ host: '127.0.0.1', port: a.port, expected: fingerprintFromPem(a.pem) });
  good.destroy();
  await assert.rejects(connectPinned({ host: '127.0.0.1', port: b.port, expected: fingerprintFromPem(a.pem) }), (e: unknown) => {
    assert.ok(e instanceof CertificateError);
    assert.equal(e.code, 'CERT_CHANGED');
    assert.equal(e.presented.fingerprint, fingerprintFromPem(b.pem));
    assert.equal(e.details?.previousFingerprint, fingerprintFromPem(a.pem));
    return true;
  });
  await assert.rejects(connectPinned({ host: '127.0.0.1', port: b.port, expected: undefined }), { code: 'CERT_UNTRUSTED' });
});

test('unreachable hosts give HOST_UNREACHABLE', async () => {
  await assert.rejects(connectPinned({ host: '127.0.0.1', port: 1, expected: undefined }), { code: 'HOST_UNREACHABLE' });
});

test('the pinned undici agent sends no request to a host with another certificate', async () => {
  const pins = new Map([[`127.0.0.1:${a.port}`, fingerprintFromPem(a.pem)], [`127.0.0.1:${b.port}`, fingerprintFromPem(a.pem)]]);
  const refused: string[] = [];
  const agent = pinnedAgent((h, p) => pins.get(`${h}:${p}`), (e) => refused.push(e.code));
  try {
    const ok = await request(`https://127.0.0.1:${a.port}/jsonrpc`, { dispatcher: agent, method: 'POST', body: 'secret-password' });
    assert.equal(await ok.body.text(), 'ok');
    assert.match(a.received(), /secret-password/);
    await assert.rejects(request(`https://127.0.0.1:${b.port}/jsonrpc`, { dispatcher: agent, method: 'POST', body: 'secret-password' }));
    assert.deepEqual(refused, ['CERT_CHANGED']);
    assert.equal(b.received(), '');
  } finally {
    await agent.close();
  }
});
