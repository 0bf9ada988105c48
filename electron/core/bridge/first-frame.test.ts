// FirstFrameWatch: which servers get the refresh nudge and when — QEMU's ServerInit (3.8, 3.7, 3.3,
// bytes split anywhere) then the first non-incremental update request, once; never for other desktop
// names, other security types, or incremental requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FirstFrameWatch, REFRESH_NUDGE, parseServerInit } from './first-frame';

function serverInit(name: string): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt16BE(720, 0);
  head.writeUInt16BE(400, 2);
  head.writeUInt32BE(Buffer.byteLength(name), 20);
  return Buffer.concat([head, Buffer.from(name)]);
}

function handshake(minor: 3 | 7 | 8, name: string, security: number[] = [1]): Buffer {
  const version = Buffer.from(`RFB 003.00${minor}\n`);
  if (minor === 3) {
    const type = Buffer.alloc(4);
    type.writeUInt32BE(security[0] ?? 1);
    return Buffer.concat([version, type, serverInit(name)]);
  }
  const list = Buffer.from([security.length, ...security]);
  return Buffer.concat([version, list, minor === 8 ? Buffer.alloc(4) : Buffer.alloc(0), serverInit(name)]);
}

const fullRequest = Buffer.from([3, 0, 0, 0, 0, 0, 2, 208, 1, 144]);
const incremental = Buffer.from([3, 1, 0, 0, 0, 0, 2, 208, 1, 144]);

test('the nudge is an empty ClientCutText', () => {
  assert.deepEqual([...REFRESH_NUDGE], [6, 0, 0, 0, 0, 0, 0, 0]);
});

for (const minor of [3, 7, 8] as const) {
  test(`QEMU at RFB 3.${minor}, bytes split one by one: nudge once, after the first full request`, () => {
    const watch = new FirstFrameWatch();
    for (const b of handshake(minor, 'QEMU (web-1)')) watch.fromServer(Buffer.from([b]));
    assert.equal(watch.fromPage(Buffer.from([1])), false, 'ClientInit is not a request');
    assert.equal(watch.fromPage(incremental), false);
    assert.equal(watch.fromPage(fullRequest), true);
    assert.equal(watch.active, false);
    assert.equal(watch.fromPage(fullRequest), false, 'only once');
  });
}

test('a plain "QEMU" desktop name counts; other servers, VNC authentication and a garbled greeting do not', () => {
  const plain = new FirstFrameWatch();
  plain.fromServer(handshake(8, 'QEMU'));
  assert.equal(plain.fromPage(fullRequest), true);
  for (const bytes of [handshake(8, 'demo-vm-01'), handshake(8, 'QEMUX'), handshake(8, 'QEMU (a)', [2]), handshake(3, 'QEMU (a)', [2]), handshake(8, 'QEMU (a)', [1, 2]), Buffer.from('HTTP/1.1 200 OK\r\n\r\n')]) {
    const watch = new FirstFrameWatch();
    watch.fromServer(bytes);
    assert.equal(watch.fromPage(fullRequest), false);
    assert.equal(watch.active, false, 'it stops looking');
  }
});

test('parseServerInit waits for the whole name', () => {
  const bytes = handshake(8, 'QEMU (vm)');
  assert.equal(parseServerInit(bytes.subarray(0, bytes.length - 1)), 'more');
  assert.deepEqual(parseServerInit(bytes), { name: 'QEMU (vm)' });
});
