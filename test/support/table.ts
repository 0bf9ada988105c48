/**
 * Prints a figure table from a test run (the proof suites' tables: attacks, secrets, faults, leaks,
 * fuzz). The rows hold what the run counted; this only formats them as a Markdown table on stderr,
 * under a title, so the figures in a report are copied from real output and never typed.
 */

/** One row: column name → value as counted. */
export type Row = Record<string, string | number | boolean>;

/** Formats `rows` as a Markdown table under `title` (columns in the first row's key order). */
export function formatTable(title: string, rows: readonly Row[]): string {
  const columns = Object.keys(rows[0] ?? {});
  const cell = (v: string | number | boolean | undefined): string => String(v ?? '').replace(/\|/g, '\\|');
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    `\n### ${title}\n`,
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(columns.map((c) => cell(r[c])))),
    '',
  ].join('\n');
}

/** Prints the table to stderr (the test runner passes it through). */
export function printTable(title: string, rows: readonly Row[]): void {
  process.stderr.write(`${formatTable(title, rows)}\n`);
}
