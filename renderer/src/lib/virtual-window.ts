/**
 * Window math for the virtualised tree: with a fixed row height, which rows intersect the viewport
 * (plus some overscan above and below), and how far to scroll to bring one row into view. Pure, so the
 * 10,000-row behaviour is unit-tested without a browser.
 */

/** The rows to render: `[start, end)` and the total scroll height, in px. */
export interface VisibleRange {
  start: number;
  end: number;
  totalHeightPx: number;
}

/** Rows in view for a scroll offset. `overscan` rows are added on each side. */
export function visibleRange(scrollTopPx: number, viewportHeightPx: number, rowHeightPx: number, count: number, overscan: number): VisibleRange {
  const totalHeightPx = count * rowHeightPx;
  if (count === 0 || rowHeightPx <= 0) return { start: 0, end: 0, totalHeightPx };
  const top = Math.max(0, Math.min(scrollTopPx, Math.max(0, totalHeightPx - viewportHeightPx)));
  const first = Math.floor(top / rowHeightPx);
  const last = Math.ceil((top + Math.max(0, viewportHeightPx)) / rowHeightPx);
  return {
    start: Math.max(0, first - overscan),
    end: Math.min(count, Math.max(last, first + 1) + overscan),
    totalHeightPx,
  };
}

/**
 * The scroll offset that brings row `index` fully into view with the least movement, or undefined
 * when it already is.
 */
export function scrollToReveal(index: number, scrollTopPx: number, viewportHeightPx: number, rowHeightPx: number): number | undefined {
  const rowTop = index * rowHeightPx;
  const rowBottom = rowTop + rowHeightPx;
  if (rowTop < scrollTopPx) return rowTop;
  if (rowBottom > scrollTopPx + viewportHeightPx) return Math.max(0, rowBottom - viewportHeightPx);
  return undefined;
}

/** How many whole rows fit in the viewport (at least 1), for PageUp/PageDown. */
export function rowsPerPage(viewportHeightPx: number, rowHeightPx: number): number {
  return Math.max(1, Math.floor(viewportHeightPx / rowHeightPx));
}
