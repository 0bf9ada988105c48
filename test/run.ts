/**
 * Runs every test file with node's own test runner (through tsx, so TypeScript runs as is).
 *
 * Node 20 has no glob support in `node --test`, so this finds `*.test.ts` under electron/, shared/,
 * renderer/ and test/ itself. Extra arguments filter file paths by substring:
 * `npm run test:only -- bridge` runs the files whose path contains "bridge".
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const roots = ['shared', 'electron', 'renderer', 'test'];
const filters = process.argv.slice(2);

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, full));
  }
}

const files: string[] = [];
for (const r of roots) walk(join(root, r), files);
files.sort();
const chosen = filters.length === 0 ? files : files.filter((f) => filters.some((x) => f.includes(x)));
if (chosen.length === 0) {
  process.stderr.write('no test files matched\n');
  process.exit(1);
}
/** A test (or suite) still running after this long fails, rather than holding the whole run (CI has 90 minutes), ms. */
const TEST_TIMEOUT_MS = 300_000;
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', `--test-timeout=${TEST_TIMEOUT_MS}`, ...chosen],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
