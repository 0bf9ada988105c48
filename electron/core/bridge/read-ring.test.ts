// The read ring driven as Node drives it (`buffer()` before each read, `callback` after it): a consumer
// that releases at once reuses one slot however much flows; held chunks keep their bytes while new
// slots serve later reads; past the slot limit one-off buffers take over; chunks that arrive before a
// consumer is attached are copied and handed over in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadRing, SLOT_BYTES } from './read-ring';

/** One read as Node does it: asks for a buffer, fills `text` into it, reports the byte count. */
function read(ring: ReadRing, text: string): void {
  const { onread } = ring;
  const buffer = typeof onread.buffer === 'function' ? onread.buffer() : onread.buffer;
  assert.ok(buffer.length >= SLOT_BYTES);
  const bytes = Buffer.from(text).copy(buffer);
  onread.callback(bytes, buffer);
}

test('released at once: one slot serves every read', () => {
  const ring = new ReadRing(8);
  const got: string[] = [];
  ring.attach((chunk, release) => {
    got.push(chunk.toString());
    release();
  });
  for (let i = 0; i < 100; i++) read(ring, `chunk ${i}`);
  assert.equal(got.length, 100);
  assert.equal(got[99], 'chunk 99');
  assert.equal(ring.allocated, 1);
  assert.equal(ring.busy, 0);
});

test('held chunks keep their bytes; past the limit reads use one-off buffers', () => {
  const ring = new ReadRing(3);
  const held: { chunk: Buffer; release: () => void }[] = [];
  ring.attach((chunk, release) => held.push({ chunk, release }));
  for (let i = 0; i < 5; i++) read(ring, `held ${i}`);
  assert.equal(ring.allocated, 3);
  assert.equal(ring.overflows, 2);
  assert.deepEqual(
    held.map((h) => h.chunk.toString()),
    ['held 0', 'held 1', 'held 2', 'held 3', 'held 4'],
  );
  // Releasing out of order frees exactly that slot, and the next read reuses it without touching the others.
  held[1]!.release();
  held[1]!.release(); // twice is harmless
  assert.equal(ring.busy, 2);
  read(ring, 'reused');
  assert.equal(ring.allocated, 3);
  assert.equal(held[5]!.chunk.buffer, held[1]!.chunk.buffer, 'the freed slot');
  assert.deepEqual([held[0]!.chunk.toString(), held[2]!.chunk.toString()], ['held 0', 'held 2']);
});

test('chunks before attach are copied and passed first, in order', () => {
  const ring = new ReadRing(2);
  read(ring, 'early 1');
  read(ring, 'early 2');
  assert.equal(ring.busy, 0, 'copies do not hold slots');
  const got: string[] = [];
  ring.attach((chunk, release) => {
    got.push(chunk.toString());
    release();
  });
  read(ring, 'late');
  assert.deepEqual(got, ['early 1', 'early 2', 'late']);
  assert.equal(ring.allocated, 1);
});
