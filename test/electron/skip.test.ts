// `npm run test:electron` where the Electron binary is absent: it must say plainly that the suite was
// skipped and exit 0 (CI has no binary). Where a binary exists this test has nothing to check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, SKIPPED_MESSAGE, electronBinary } from './binary';

test('the Electron suite says plainly that it was skipped when there is no Electron binary', { skip: electronBinary() !== undefined ? 'an Electron binary is installed: run npm run test:electron' : false }, () => {
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'test', 'electron', 'run.ts')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PORTHOLE_ELECTRON: '' } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, SKIPPED_MESSAGE + '\n');
  assert.match(r.stdout, /^SKIPPED: the Electron end-to-end suite did not run/);
});
