/**
 * `npm run fuzz [-- --runs N] [target-substring…]`: runs every fuzz target (targets.ts) for N inputs
 * (default 1,000,000) outside CI and prints the table: inputs checked, failures, time, inputs/s. A
 * failure prints fast-check's seed and shrunk counterexample, and the exit status is 1.
 */
import fc from 'fast-check';
import { FUZZ_TARGETS } from './targets';
import { printTable, type Row } from '../support/table';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 1_000_000;
const filters = args.filter((a, i) => a !== '--runs' && i !== runsAt + 1);
const rows: Row[] = [];
let failed = false;

for (const target of FUZZ_TARGETS.filter((t) => filters.length === 0 || filters.some((f) => t.name.includes(f)))) {
  const started = performance.now();
  const details = fc.check(target.property(), { numRuns: runs });
  const seconds = (performance.now() - started) / 1000;
  const checked = details.numRuns;
  if (details.failed) {
    failed = true;
    process.stderr.write(`\n${target.name}: FAILED\n${fc.defaultReportMessage(details) ?? ''}\n`);
  }
  rows.push({ target: target.name, inputs: checked, failures: details.failed ? 1 : 0, seconds: seconds.toFixed(1), 'inputs/s': Math.round(checked / seconds) });
  process.stderr.write(`${target.name}: ${checked} inputs in ${seconds.toFixed(1)} s${details.failed ? ' — FAILED' : ''}\n`);
}
printTable(`Fuzz: ${runs.toLocaleString('en')} inputs per target (fast-check)`, rows);
process.exit(failed ? 1 : 0);
