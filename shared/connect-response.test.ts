// The CONNECT answer parser on xapi's real answers, on random bytes and on every truncation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { consoleUsersFromBody, findHeaderEnd, headerValue, MAX_CONNECT_HEADER_BYTES, parseConnectResponse } from './connect-response';

const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const OK = 'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nCache-Control: no-cache, no-store\r\n\r\n';

test("xapi's 200 with the RFB greeting in the same read", () => {
  const bytes = enc(OK + 'RFB 003.008\n');
  const r = parseConnectResponse(bytes);
  assert.equal(r.state, 'complete');
  if (r.state !== 'complete') return;
  assert.equal(r.status, 200);
  assert.equal(r.version, '1.1');
  assert.equal(r.reason, 'OK');
  assert.equal(headerValue(r, 'cache-control'), 'no-cache, no-store');
  assert.equal(Buffer.from(bytes.subarray(r.headerBytes)).toString('latin1'), 'RFB 003.008\n');
});

test('error answers and their bodies', () => {
  const body = "<html><body><h1>Connection Limit Exceeded</h1><p>Users 'alice, o&#x27;neil &amp; co' are currently connected to this console.</p></body></html>";
  const r = parseConnectResponse(enc(`HTTP/1.1 503 Connection Limit Exceeded\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n${body}`));
  assert.equal(r.state, 'complete');
  if (r.state !== 'complete') return;
  assert.equal(r.status, 503);
  assert.equal(r.reason, 'Connection Limit Exceeded');
  assert.equal(headerValue(r, 'content-length'), String(body.length));
  assert.deepEqual(consoleUsersFromBody(body), ['alice', "o'neil & co"]);
  assert.deepEqual(consoleUsersFromBody("<p>User 'root' is currently connected</p>"), ['root']);
  assert.deepEqual(consoleUsersFromBody('<p>something else</p>'), []);
  const unauthorised = parseConnectResponse(enc('HTTP/1.1 401 Unauthorised\r\nWWW-Authenticate: Basic realm="connect_console"\r\n\r\n'));
  assert.equal(unauthorised.state === 'complete' && unauthorised.status, 401);
});

test('not HTTP, malformed lines and oversized headers are invalid', () => {
  assert.equal(parseConnectResponse(enc('RFB 003.008\n')).state, 'invalid');
  assert.equal(parseConnectResponse(enc('HTTP/1.1 2000 OK\r\n\r\n')).state, 'invalid');
  assert.equal(parseConnectResponse(enc('HTTP/1.1 200 OK\r\nno colon here\r\n\r\n')).state, 'invalid');
  assert.equal(parseConnectResponse(enc('HTTP/1.1 200 OK\r\nX-A: ' + 'a'.repeat(MAX_CONNECT_HEADER_BYTES))).state, 'invalid');
  assert.equal(parseConnectResponse(enc('HTTP/1.1 200 OK\r\nX-A: ' + 'a'.repeat(100))).state, 'incomplete');
  assert.equal(parseConnectResponse(new Uint8Array(0)).state, 'incomplete');
  assert.equal(parseConnectResponse(enc('HT')).state, 'incomplete');
});

test('property: never throws on random bytes; a complete answer ends at the first CRLFCRLF', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), (random, asHttp) => {
      const bytes = asHttp ? new Uint8Array([...enc('HTTP/1.1 '), ...random]) : random;
      const r = parseConnectResponse(bytes);
      assert.ok(['incomplete', 'invalid', 'complete'].includes(r.state));
      if (r.state === 'complete') {
        assert.equal(r.headerBytes, findHeaderEnd(bytes));
        assert.ok(r.status >= 0 && r.status <= 999);
      }
      if (r.state === 'incomplete') assert.equal(findHeaderEnd(bytes), -1);
    }),
    { numRuns: 2000 },
  );
});

const token = fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/);
const value = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,40}[\x21-\x7e])?$/);
const answer = fc.record({
  status: fc.integer({ min: 100, max: 599 }),
  reason: fc.stringMatching(/^[A-Za-z ]{0,30}$/),
  headers: fc.array(fc.tuple(token, value), { maxLength: 8 }),
  rest: fc.uint8Array({ maxLength: 256 }),
});

test('property: a generated answer parses back exactly; every truncation is incomplete', () => {
  fc.assert(
    fc.property(answer, ({ status, reason, headers, rest }) => {
      const head = `HTTP/1.1 ${status} ${reason}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
      const bytes = new Uint8Array([...enc(head), ...rest]);
      const r = parseConnectResponse(bytes);
      assert.equal(r.state, 'complete');
      if (r.state !== 'complete') return;
      assert.equal(r.status, status);
      assert.equal(r.reason, reason);
      assert.deepEqual(r.headers, headers.map(([n, v]) => [n.toLowerCase(), v]));
      assert.equal(r.headerBytes, head.length);
      assert.deepEqual(bytes.subarray(r.headerBytes), rest);
      for (let cut = 0; cut < head.length; cut++) assert.equal(parseConnectResponse(bytes.subarray(0, cut)).state, 'incomplete', `cut at ${cut}`);
    }),
    { numRuns: 500 },
  );
});

test('property: feeding an answer in random chunks gives the same result as all at once', () => {
  fc.assert(
    fc.property(answer, fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }), ({ status, reason, headers, rest }, sizes) => {
      const bytes = new Uint8Array([...enc(`HTTP/1.1 ${status} ${reason}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`), ...rest]);
      const whole = parseConnectResponse(bytes);
      let have = 0;
      let i = 0;
      let last = parseConnectResponse(bytes.subarray(0, 0));
      while (last.state === 'incomplete' && have < bytes.length) {
        have = Math.min(bytes.length, have + (sizes[i++ % sizes.length] ?? 1));
        last = parseConnectResponse(bytes.subarray(0, have));
      }
      assert.deepEqual(last, whole);
    }),
    { numRuns: 300 },
  );
});
