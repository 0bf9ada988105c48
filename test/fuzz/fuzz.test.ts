// The fuzz targets (targets.ts), a quick run each in `npm test` (a fixed seed per run would hide
// nothing new; fast-check prints the seed and the shrunk input when a property fails). The long run is
// `npm run fuzz` (test/fuzz/run.ts).
import { test } from 'node:test';
import fc from 'fast-check';
import { FUZZ_TARGETS } from './targets';

/** Inputs per target in `npm test`. */
const QUICK_RUNS = 2_000;

for (const target of FUZZ_TARGETS) {
  test(`fuzz: ${target.name} (${QUICK_RUNS} inputs)`, () => {
    fc.assert(target.property(), { numRuns: QUICK_RUNS });
  });
}
