/**
 * `npm run test:electron`: the end-to-end suite against the real Electron app (test/electron/
 * *.electron.ts, which `npm test` does not collect). Where there is no Electron binary it says so
 * plainly and exits 0 — these machines cannot download it, so CI does not run this suite; run it on a
 * workstation before a release (docs/RELEASE-CHECKLIST.md). Otherwise it builds the bundles and the
 * renderer, then runs the suite with node's test runner.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, SKIPPED_MESSAGE, electronBinary } from './binary';

const binary = electronBinary();
if (binary === undefined) {
  process.stdout.write(SKIPPED_MESSAGE + '\n');
  process.exit(0);
}
const files = readdirSync(join(ROOT, 'test', 'electron'))
  .filter((f) => f.endsWith('.electron.ts'))
  .map((f) => join('test', 'electron', f));
const built = spawnSync('npm', ['run', 'build:bundles'], { cwd: ROOT, stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, PORTHOLE_ELECTRON: binary },
});
process.exit(result.status ?? 1);
