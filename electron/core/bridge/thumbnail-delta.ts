/**
 * Which rows of a thumbnail changed since the last one sent, so the wall sends the page only those
 * (shared/wall-protocol.ts) and nothing for a screen that did not change — a login prompt, a desktop
 * idling — which is most of a wall most of the time.
 *
 * How it works: the two RGBA pictures (same size) are compared row by row with Buffer's native
 * compare (memcmp, no copy), from the top down to the first differing row and from the bottom up to
 * the last one; the band between is what changed (one band: a screen's changes are usually a few
 * lines close together, and one message per picture keeps the page's bookkeeping trivial). Exact, no
 * hashing: a changed pixel is never missed. A JavaScript word loop took three times as long.
 */

/** Rows `top` … `end - 1` changed. */
export interface ChangedRows {
  top: number;
  end: number;
}

/** The band of rows where `next` differs from `prev` (both `width`×`height` RGBA), or undefined when equal. */
export function changedRows(prev: Uint8Array, next: Uint8Array, width: number, height: number): ChangedRows | undefined {
  const a = Buffer.from(prev.buffer, prev.byteOffset, width * height * 4);
  const b = Buffer.from(next.buffer, next.byteOffset, width * height * 4);
  const row = width * 4;
  const same = (y: number): boolean => a.compare(b, y * row, (y + 1) * row, y * row, (y + 1) * row) === 0;
  let top = 0;
  while (top < height && same(top)) top++;
  if (top === height) return undefined;
  let end = height;
  while (end > top + 1 && same(end - 1)) end--;
  return { top, end };
}
