// `porthole web`: argument parsing, and the real command as a child process (prints one URL with a
// token; the page refuses without it; SIGTERM stops it cleanly with status 0).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWebArgs } from './web';
import { findRendererDir } from '../core/harness/renderer-build';

describe('porthole web arguments', () => {
  test('defaults, --port, --demo and --help', () => {
    assert.deepEqual(parseWebArgs([]), { port: 0, demo: false });
    assert.deepEqual(parseWebArgs(['--port', '8123', '--demo']), { port: 8123, demo: true });
    assert.deepEqual(parseWebArgs(['--port=0']), { port: 0, demo: false });
    assert.equal(parseWebArgs(['--help']), 'help');
  });
  test('bad values are INVALID_ARGUMENT', () => {
    for (const args of [['--port'], ['--port', 'x'], ['--port', '70000'], ['--port', '-1'], ['--bogus']]) {
      assert.throws(() => parseWebArgs(args), { code: 'INVALID_ARGUMENT' }, args.join(' '));
    }
  });
});

describe('porthole web (child process)', { skip: findRendererDir() === undefined ? 'renderer not built (npm run build:renderer)' : false }, () => {
  const configDir = mkdtempSync(join(tmpdir(), 'porthole-web-cli-'));
  let child: ChildProcess | undefined;
  after(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    rmSync(configDir, { recursive: true, force: true });
  });

  test('prints the tokened URL, gates the page, and stops on SIGTERM', async () => {
    const root = join(import.meta.dirname, '..', '..');
    const proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'electron', 'cli', 'porthole.ts'), 'web', '--port', '0'], {
      cwd: root,
      env: { ...process.env, PORTHOLE_CONFIG_DIR: configDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout?.setEncoding('utf8');
      proc.stdout?.on('data', (chunk: string) => {
        out += chunk;
        const m = /Porthole UI: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)\n/.exec(out);
        if (m !== null) resolve(m[1]!);
      });
      proc.once('exit', (code) => reject(new Error(`exited early with ${code ?? 'signal'}: ${out}`)));
    });
    const parsed = new URL(url);
    assert.ok(parsed.searchParams.get('token')!.length >= 43, '≥ 256-bit token');
    assert.equal((await fetch(url)).status, 200);
    assert.equal((await fetch(`${parsed.origin}/`)).status, 403);
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
    await assert.rejects(fetch(url), 'the port is closed after exit');
  });
});
