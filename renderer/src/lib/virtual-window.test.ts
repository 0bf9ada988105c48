import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowsPerPage, scrollToReveal, visibleRange } from './virtual-window';

test('visible range covers the viewport plus overscan and is clamped to the list', () => {
  assert.deepEqual(visibleRange(0, 100, 20, 10_000, 0), { start: 0, end: 5, totalHeightPx: 200_000 });
  assert.deepEqual(visibleRange(1000, 100, 20, 10_000, 3), { start: 47, end: 58, totalHeightPx: 200_000 });
  // A partial row at the bottom is included.
  assert.deepEqual(visibleRange(10, 100, 20, 10_000, 0), { start: 0, end: 6, totalHeightPx: 200_000 });
  // Scrolled past the end (list shrank): clamp to the last page.
  assert.deepEqual(visibleRange(999_999, 100, 20, 10, 0), { start: 5, end: 10, totalHeightPx: 200 });
  assert.deepEqual(visibleRange(0, 100, 20, 0, 5), { start: 0, end: 0, totalHeightPx: 0 });
});

test('the window never renders more than the viewport plus overscan, anywhere in a long list', () => {
  for (let top = 0; top < 200_000; top += 7_919) {
    const r = visibleRange(top, 600, 24, 10_000, 10);
    assert.ok(r.end - r.start <= Math.ceil(600 / 24) + 1 + 20);
    assert.ok(r.start * 24 <= top && r.end * 24 >= Math.min(top + 600, 240_000));
  }
});

test('scrollToReveal moves the least needed', () => {
  assert.equal(scrollToReveal(5, 0, 100, 20), 20);
  assert.equal(scrollToReveal(2, 0, 100, 20), undefined);
  assert.equal(scrollToReveal(1, 100, 100, 20), 20);
  assert.equal(rowsPerPage(100, 24), 4);
  assert.equal(rowsPerPage(10, 24), 1);
});
