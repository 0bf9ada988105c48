import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBridgeOrigin, buildCsp, cspDirectives } from './csp';

test('the CSP has exactly the agreed directives, in order', () => {
  assert.equal(
    buildCsp(['ws://127.0.0.1:41234']),
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; " +
      "connect-src ws://127.0.0.1:41234; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  );
});

test('scripts never get unsafe-inline or unsafe-eval, and nothing allows remote hosts', () => {
  const directives = new Map(cspDirectives(['ws://127.0.0.1:1']));
  assert.equal(directives.get('script-src'), "'self'");
  for (const [name, value] of directives) {
    assert.doesNotMatch(value, /unsafe-eval|\*|https?:/, name);
    if (name !== 'style-src') assert.doesNotMatch(value, /unsafe-inline/, name);
  }
});

test('without a bridge yet, connect-src is none', () => {
  assert.match(buildCsp([]), /connect-src 'none';/);
});

test('several loopback origins (the harness: its API socket and the bridge) are listed once each', () => {
  assert.match(buildCsp(['ws://127.0.0.1:1000', 'ws://127.0.0.1:2000', 'ws://127.0.0.1:1000']), /connect-src ws:\/\/127\.0\.0\.1:1000 ws:\/\/127\.0\.0\.1:2000;/);
  assert.throws(() => buildCsp(['ws://127.0.0.1:1000', 'ws://evil.example:1']), /not a loopback bridge origin/);
});

test('only a ws loopback origin with a valid port is accepted for connect-src', () => {
  assertBridgeOrigin('ws://127.0.0.1:65535');
  for (const bad of [
    'ws://127.0.0.1',
    'ws://127.0.0.1:0',
    'ws://127.0.0.1:65536',
    'wss://127.0.0.1:443',
    'ws://localhost:8080',
    'ws://0.0.0.0:8080',
    'ws://10.0.0.1:8080',
    'ws://127.0.0.1:8080/path',
    "ws://127.0.0.1:8080; script-src 'unsafe-inline'",
    '*',
  ]) {
    assert.throws(() => buildCsp([bad]), /not a loopback bridge origin/, bad);
  }
});
