// The changed-row band of two thumbnails: none when equal, the exact first and last differing rows
// otherwise (a change in one pixel of one channel is found), on aligned and unaligned views.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changedRows } from './thumbnail-delta';

const W = 240;
const H = 180;

function picture(seed: number): Uint8Array {
  const out = new Uint8Array(W * H * 4);
  for (let i = 0; i < out.length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

test('equal pictures have no changed rows', () => {
  assert.equal(changedRows(picture(1), picture(1), W, H), undefined);
});

test('the band runs from the first to the last row with a changed byte', () => {
  const a = picture(1);
  for (const [rows, want] of [
    [[0], { top: 0, end: 1 }],
    [[H - 1], { top: H - 1, end: H }],
    [[47, 60], { top: 47, end: 61 }],
    [[3, 90, 170], { top: 3, end: 171 }],
  ] as const) {
    const b = a.slice();
    // One channel of one pixel per row, at varying columns: the smallest change there is.
    for (const row of rows) b[(row * W + ((row * 7) % W)) * 4 + (row % 3)]! ^= 1;
    assert.deepEqual(changedRows(a, b, W, H), want, `rows ${rows.join(', ')}`);
  }
});

test('unaligned views give the same answer', () => {
  const a = picture(2);
  const b = a.slice();
  b[(100 * W + 239) * 4 + 3]! ^= 0x80;
  const shifted = (p: Uint8Array): Uint8Array => {
    const store = new Uint8Array(p.length + 1);
    store.set(p, 1);
    return store.subarray(1);
  };
  assert.deepEqual(changedRows(shifted(a), shifted(b), W, H), { top: 100, end: 101 });
  assert.equal(changedRows(shifted(a), shifted(a), W, H), undefined);
});
