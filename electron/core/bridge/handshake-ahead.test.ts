// HandshakeAhead: which answers the bridge sends the console server for the page, and when — a 3.8
// greeting, a None-only list and a good SecurityResult each get theirs at once (bytes split anywhere or
// all in one chunk); the page's copies are dropped and what follows them goes on; other servers (3.3,
// 3.7, a choice of types, a failed result) stop the look-ahead where it is; a page that answers
// otherwise is a mismatch; a page that does not wait for the server stops it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HandshakeAhead } from './handshake-ahead';

const GREETING = Buffer.from('RFB 003.008\n', 'latin1');
const NONE_ONLY = Buffer.from([1, 1]);
const RESULT_OK = Buffer.alloc(4);
const SERVER_INIT = Buffer.concat([Buffer.alloc(20), Buffer.from([0, 0, 0, 4]), Buffer.from('demo')]);
const SET_ENCODINGS = Buffer.from([2, 0, 0, 1, 0, 0, 0, 7]);

/** A look-ahead with the bytes it sent upstream collected. */
function ahead(): { ahead: HandshakeAhead; sent: Buffer[] } {
  const sent: Buffer[] = [];
  return { ahead: new HandshakeAhead((bytes) => sent.push(bytes)), sent };
}

const server38 = Buffer.concat([GREETING, NONE_ONLY, RESULT_OK, SERVER_INIT]);

test('RFB 3.8 with None: version, None and a shared ClientInit go upstream as the server messages arrive', () => {
  const { ahead: a, sent } = ahead();
  a.fromServer(GREETING);
  assert.deepEqual(sent, [GREETING]);
  a.fromServer(NONE_ONLY);
  assert.deepEqual(Buffer.concat(sent), Buffer.concat([GREETING, Buffer.from([1])]));
  a.fromServer(Buffer.concat([RESULT_OK, SERVER_INIT]));
  assert.deepEqual(Buffer.concat(sent), Buffer.concat([GREETING, Buffer.from([1, 1])]));
  assert.equal(a.active, true, 'the page has not answered yet');
  // The page's own answers, one message each as noVNC sends them, are dropped; the rest goes on.
  assert.equal(a.fromPage(GREETING).length, 0);
  assert.equal(a.fromPage(Buffer.from([1])).length, 0);
  assert.equal(a.fromPage(Buffer.from([1])).length, 0);
  assert.equal(a.active, false);
  assert.equal(sent.length, 3);
});

test('server bytes split one by one, or all in one chunk, give the same answers', () => {
  const byByte = ahead();
  for (const b of server38) byByte.ahead.fromServer(Buffer.from([b]));
  const whole = ahead();
  whole.ahead.fromServer(server38);
  const expected = Buffer.concat([GREETING, Buffer.from([1, 1])]);
  assert.deepEqual(Buffer.concat(byByte.sent), expected);
  assert.deepEqual(Buffer.concat(whole.sent), expected);
});

test('page messages that hold an expected answer and more: the answer is dropped, the rest returned', () => {
  const { ahead: a } = ahead();
  a.fromServer(server38);
  assert.equal(a.fromPage(GREETING.subarray(0, 5)).length, 0, 'an answer split across messages');
  assert.equal(a.fromPage(GREETING.subarray(5)).length, 0);
  assert.deepEqual(a.fromPage(Buffer.concat([Buffer.from([1, 1]), SET_ENCODINGS])), SET_ENCODINGS);
  assert.equal(a.active, false);
});

test('other servers stop the look-ahead where it is', () => {
  const cases: { name: string; bytes: Buffer; answered: Buffer }[] = [
    { name: 'RFB 3.3', bytes: Buffer.from('RFB 003.003\n\x00\x00\x00\x01', 'latin1'), answered: Buffer.alloc(0) },
    { name: 'RFB 3.7', bytes: Buffer.concat([Buffer.from('RFB 003.007\n', 'latin1'), NONE_ONLY]), answered: Buffer.alloc(0) },
    { name: 'a choice of VNC auth and None', bytes: Buffer.concat([GREETING, Buffer.from([2, 2, 1])]), answered: GREETING },
    { name: 'VNC auth only', bytes: Buffer.concat([GREETING, Buffer.from([1, 2])]), answered: GREETING },
    { name: 'no types (a failure reason follows)', bytes: Buffer.concat([GREETING, Buffer.from([0, 0, 0, 0, 2]), Buffer.from('no')]), answered: GREETING },
    { name: 'a failed SecurityResult', bytes: Buffer.concat([GREETING, NONE_ONLY, Buffer.from([0, 0, 0, 1])]), answered: Buffer.concat([GREETING, Buffer.from([1])]) },
  ];
  for (const c of cases) {
    const { ahead: a, sent } = ahead();
    a.fromServer(c.bytes);
    a.fromServer(SERVER_INIT);
    assert.deepEqual(Buffer.concat(sent), c.answered, c.name);
    // The page's answers to what was sent are dropped; everything after them goes upstream.
    if (c.answered.length > 0) assert.equal(a.fromPage(c.answered).length, 0, c.name);
    assert.equal(a.active, false, c.name);
  }
});

test('a page that answers otherwise is a mismatch', () => {
  const { ahead: a } = ahead();
  a.fromServer(GREETING);
  assert.equal(a.fromPage(Buffer.from('RFB 003.003\n', 'latin1')), 'mismatch');
  const b = ahead();
  b.ahead.fromServer(server38);
  b.ahead.fromPage(GREETING);
  b.ahead.fromPage(Buffer.from([1]));
  assert.equal(b.ahead.fromPage(Buffer.from([0])), 'mismatch', 'an exclusive ClientInit after the bridge sent a shared one');
});

test('a page that does not wait for the server stops the look-ahead: nothing is answered twice', () => {
  const { ahead: a, sent } = ahead();
  a.fromServer(GREETING);
  // Version and security choice in one message, before the server's list arrived.
  assert.deepEqual(a.fromPage(Buffer.concat([GREETING, Buffer.from([1])])), Buffer.from([1]));
  a.fromServer(Buffer.concat([NONE_ONLY, RESULT_OK]));
  assert.deepEqual(sent, [GREETING]);
  assert.equal(a.active, false);
  // Bytes before any greeting: passed on untouched, and no answer is guessed afterwards.
  const early = ahead();
  assert.deepEqual(early.ahead.fromPage(GREETING), GREETING);
  early.ahead.fromServer(server38);
  assert.equal(early.sent.length, 0);
});
