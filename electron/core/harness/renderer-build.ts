/**
 * Finds the built renderer for the web harness, and builds it on demand when it is missing.
 *
 * How it works: the harness runs either from source (tsx, this file under electron/core/harness/) or
 * bundled (dist/cli/porthole.mjs); each has one place where `dist/renderer/index.html` sits relative to
 * it. When none has it, `npx vite build` runs once in the project root (the folder holding
 * vite.config.ts) and the check is repeated.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { getLogger } from '../../../shared/log';

const log = getLogger('harness');

/** Longest a renderer build may take, ms. */
export const BUILD_TIMEOUT_MS = 180_000;

/** Folders that may hold the built renderer, most specific first. */
function candidates(): string[] {
  const here = import.meta.dirname;
  return [
    resolve(here, '../renderer'), // bundled: dist/cli → dist/renderer
    resolve(here, '../../../dist/renderer'), // source: electron/core/harness → dist/renderer
    resolve(process.cwd(), 'dist/renderer'),
  ];
}

/** The project root (has vite.config.ts) above this file or the working directory, if any. */
export function projectRoot(): string | undefined {
  for (const start of [import.meta.dirname, process.cwd()]) {
    let dir = start;
    for (;;) {
      if (existsSync(join(dir, 'vite.config.ts')) && existsSync(join(dir, 'renderer', 'index.html'))) return dir;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}

/** The built renderer folder, if there is one. */
export function findRendererDir(): string | undefined {
  return candidates().find((dir) => existsSync(join(dir, 'index.html')));
}

/** Runs `npx vite build` in `root`; rejects when it fails or takes too long. */
export function buildRenderer(root: string): Promise<void> {
  log.info('building the renderer (dist/renderer is missing)');
  return new Promise((resolvePromise, reject) => {
    const child = spawn('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), BUILD_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise();
      else reject(new Error(`vite build failed (${signal ?? `exit ${code ?? '?'}`}): ${stderr.trim()}`));
    });
  });
}

/** The built renderer folder, building it first when it is missing. */
export async function ensureRendererDir(): Promise<string> {
  const found = findRendererDir();
  if (found !== undefined) return found;
  const root = projectRoot();
  if (root === undefined) throw new Error('the renderer is not built (dist/renderer/index.html) and no project folder was found to build it');
  await buildRenderer(root);
  const built = join(root, 'dist', 'renderer');
  if (!existsSync(join(built, 'index.html'))) throw new Error('vite build did not produce dist/renderer/index.html');
  return built;
}
