/**
 * The targets every bench checks, collected for one closing table (`npm run bench` prints it last).
 *
 * How it works: a bench calls `target()` for each figure it holds against a target, with the figure
 * its peer reached in the same run (websockify, raw TLS, one tab, the target value itself…); the line
 * is printed at once and kept. `printSummary()` (run.ts calls it after the last bench) prints them all
 * as one table: target, figure, peer figure, met / missed (n/a when a figure could not be taken).
 */

/** One checked target. */
export interface TargetRow {
  /** What is promised, e.g. "first frame p50 ≤ 60 ms (Node, QEMU)". */
  target: string;
  /** The figure measured, with its unit. */
  figure: string;
  /** What it is compared with, measured in the same run (or the bound itself when there is no peer). */
  peer: string;
  /** undefined when the figure (or its peer) could not be measured; 'reported' for a figure with no bound. */
  met: boolean | undefined | 'reported';
}

const rows: TargetRow[] = [];

function verdict(met: TargetRow['met']): string {
  if (met === 'reported') return 'info';
  return met === undefined ? 'n/a' : met ? 'met' : 'MISSED';
}

/** Records a target's outcome and prints it. */
export function target(row: TargetRow): void {
  rows.push(row);
  process.stdout.write(`${verdict(row.met).padEnd(6)}  ${row.target}: ${row.figure} (peer: ${row.peer})\n`);
}

/** Formats a number with a unit, or "—" when it is missing. */
export function fig(value: number | undefined, unit: string, digits = 1): string {
  return value === undefined || Number.isNaN(value) ? '—' : `${value.toFixed(digits)} ${unit}`.trim();
}

/** Prints every recorded target as one table. */
export function printSummary(): void {
  if (rows.length === 0) return;
  const header = ['target', 'figure', 'peer figure', 'verdict'];
  const lines = rows.map((r) => [r.target, r.figure, r.peer, verdict(r.met)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const met = rows.filter((r) => r.met === true).length;
  process.stdout.write(`\n== summary: ${met} of ${rows.length} targets met\n${fmt(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${lines.map(fmt).join('\n')}\n`);
}
