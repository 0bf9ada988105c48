// The CONNECT tunnel against a real TLS server speaking xapi's bytes: exact request, greeting in the
// same read, every refusal turned into its action or error.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { connectOnce, openTunnel, parseLocation } from './tunnel';
import { PortholeError } from '../../../shared/errors';
import { FakeSource, startConsoleServer, upstreamAt, type ConnectAnswer } from '../../../test/bridge/support/console-server';

let next: (index: number) => ConnectAnswer = () => ({ status: 404 });
const greeter = (): PassThrough => {
  const s = new PassThrough();
  s.write('RFB 003.008\n');
  return s;
};
const server = await startConsoleServer((_req, i) => next(i));
after(() => server.close());

function source(): FakeSource {
  const s = new FakeSource(upstreamAt(server.port));
  s.pins.set(`127.0.0.1:${server.port}`, server.fingerprint);
  return s;
}

test('locations: host, port (443 default), path and query as given', () => {
  assert.deepEqual(parseLocation('https://10.0.0.5/console?uuid=abc'), { host: '10.0.0.5', port: 443, path: '/console?uuid=abc', hostHeader: '10.0.0.5' });
  assert.deepEqual(parseLocation('https://[fd00::1]:8443/console?ref=OpaqueRef:x'), { host: 'fd00::1', port: 8443, path: '/console?ref=OpaqueRef:x', hostHeader: '[fd00::1]:8443' });
  assert.throws(() => parseLocation('http://10.0.0.5/console?uuid=abc'), { code: 'CONSOLE_ERROR' });
  assert.throws(() => parseLocation('not a url'), { code: 'CONSOLE_ERROR' });
});

test('exact CONNECT bytes; the greeting that shares the 200 read comes back as head', async () => {
  next = () => ({ status: 200, stream: greeter });
  const s = source();
  const before = server.requests.length;
  const tunnel = await openTunnel(s, upstreamAt(server.port));
  try {
    const req = server.requests[before];
    assert.equal(req?.raw, `CONNECT /console?uuid=${upstreamAt(server.port).consoleUuid} HTTP/1.0\r\nHost: 127.0.0.1:${server.port}\r\nCookie: session_id=${s.sid}`);
    assert.equal(tunnel.head.toString('latin1'), 'RFB 003.008\n');
    assert.equal(tunnel.socket.isPaused(), true);
  } finally {
    tunnel.socket.destroy();
  }
});

test('401 → one fresh login and a retry with the new cookie; a second 401 is CONSOLE_UNAUTHORIZED', async () => {
  const s = source();
  const before = server.requests.length;
  const firstSid = s.sid;
  next = (i) => (i === before ? { status: 401 } : { status: 200, stream: greeter });
  const tunnel = await openTunnel(s, upstreamAt(server.port));
  tunnel.socket.destroy();
  assert.equal(s.refreshes, 1);
  assert.equal(server.requests[before]?.cookie, `session_id=${firstSid}`);
  assert.equal(server.requests[before + 1]?.cookie, `session_id=${s.sid}`);
  assert.notEqual(s.sid, firstSid);
  next = () => ({ status: 401 });
  await assert.rejects(openTunnel(s, upstreamAt(server.port)), { code: 'CONSOLE_UNAUTHORIZED' });
  assert.equal(s.refreshes, 2);
});

test('403, 404 and 503 (with the names from the body) become plain errors', async () => {
  const s = source();
  next = () => ({ status: 403 });
  await assert.rejects(openTunnel(s, upstreamAt(server.port)), (e: unknown) => e instanceof PortholeError && e.code === 'CONSOLE_FORBIDDEN' && /pool-admin/.test(e.message));
  next = () => ({ status: 404 });
  await assert.rejects(openTunnel(s, upstreamAt(server.port)), (e: unknown) => e instanceof PortholeError && e.code === 'CONSOLE_NOT_FOUND' && /no console server/.test(e.message));
  next = () => ({ status: 503, users: ['alice', 'bob <admin>'] });
  await assert.rejects(openTunnel(s, upstreamAt(server.port)), (e: unknown) => {
    assert.ok(e instanceof PortholeError);
    assert.equal(e.code, 'CONSOLE_IN_USE');
    assert.equal(e.message, 'The console is in use by alice, bob <admin>.');
    return true;
  });
});

test('500 → resolve again: halted VM, moved console (one retry), or the same location', async () => {
  const s = source();
  next = () => ({ status: 500 });
  s.current = new PortholeError('VM_NOT_RUNNING');
  await assert.rejects(openTunnel(s, upstreamAt(server.port)), { code: 'VM_NOT_RUNNING' });
  s.current = upstreamAt(server.port);
  await assert.rejects(openTunnel(s, upstreamAt(server.port)), { code: 'CONSOLE_ERROR' });
  const moved = upstreamAt(server.port, 'rfb', 'c0000000-0000-4000-8000-0000000000ff');
  s.current = moved;
  const before = server.requests.length;
  next = (i) => (i === before ? { status: 500 } : { status: 200, stream: greeter });
  const tunnel = await openTunnel(s, upstreamAt(server.port));
  tunnel.socket.destroy();
  assert.equal(tunnel.upstream.consoleUuid, moved.consoleUuid);
  assert.equal(server.requests[before + 1]?.path, `/console?uuid=${moved.consoleUuid}`);
});

test('a silent server times out; a changed certificate sends nothing', async () => {
  const s = source();
  next = () => ({ status: 'hang' });
  await assert.rejects(connectOnce(s, upstreamAt(server.port), s.sid, { answerTimeoutMs: 150 }), { code: 'CONSOLE_ERROR', name: 'ConsoleSilentError' });
  s.pins.set(`127.0.0.1:${server.port}`, '00:'.repeat(31) + '00');
  const before = server.requests.length;
  await assert.rejects(openTunnel(s, upstreamAt(server.port)), { code: 'CERT_CHANGED' });
  // Once the host has seen the connection close, nothing more can arrive: then count the requests.
  while (server.open() > 0) await new Promise((r) => setTimeout(r, 10));
  assert.equal(server.requests.length, before);
  s.pins.clear();
  await assert.rejects(openTunnel(s, upstreamAt(server.port)), { code: 'CERT_UNTRUSTED' });
});

test('a session id that could inject header lines is never sent', async () => {
  const s = source();
  const before = server.connections();
  await assert.rejects(connectOnce(s, upstreamAt(server.port), 'OpaqueRef:x\r\nX-Evil: 1'), { code: 'CONSOLE_UNAUTHORIZED' });
  assert.equal(server.connections(), before);
});
