/**
 * Bundles the Node-side entry points with esbuild:
 * - dist/electron/main.mjs (Electron main, ESM; `electron` stays external),
 * - dist/electron/preload.cjs (sandboxed preloads must be CommonJS),
 * - dist/cli/porthole.mjs (the `porthole` bin).
 * Type-checking is separate (`npm run typecheck`); this only transpiles and bundles.
 */
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const banner = { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" };

const jobs: Promise<unknown>[] = [];
if (existsSync('electron/shell/main.ts')) {
  jobs.push(
    build({ entryPoints: ['electron/shell/main.ts'], outfile: 'dist/electron/main.mjs', bundle: true, platform: 'node', format: 'esm', target: 'node20', external: ['electron'], banner, sourcemap: true, logLevel: 'warning' }),
  );
}
if (existsSync('electron/shell/preload.ts')) {
  jobs.push(
    build({ entryPoints: ['electron/shell/preload.ts'], outfile: 'dist/electron/preload.cjs', bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['electron'], sourcemap: true, logLevel: 'warning' }),
  );
}
if (existsSync('electron/cli/porthole.ts')) {
  jobs.push(
    build({ entryPoints: ['electron/cli/porthole.ts'], outfile: 'dist/cli/porthole.mjs', bundle: true, platform: 'node', format: 'esm', target: 'node20', banner: { js: '#!/usr/bin/env node\n' + banner.js }, sourcemap: true, logLevel: 'warning' }),
  );
}
await Promise.all(jobs);
