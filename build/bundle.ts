/**
 * Bundles the Node-side entry points with esbuild:
 * - dist/electron/main.mjs (Electron main, ESM; `electron` stays external),
 * - dist/electron/preload.cjs (sandboxed preloads must be CommonJS),
 * - dist/cli/porthole.mjs (the `porthole` bin).
 *
 * A missing entry is an error, not a skipped bundle. `proxy-agent` (xen-api imports it for its
 * `httpProxy` option, which Porthole never sets) is replaced by a module whose `ProxyAgent` throws,
 * which keeps about 1.6 MB of PAC-script machinery (quickjs, esprima, ftp and socks clients) out.
 * `--report` prints each bundle's size by package / source folder from esbuild's metafile.
 * Type-checking is separate (`npm run typecheck`; `npm run build` runs it first).
 */
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { existsSync } from 'node:fs';

const banner = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

/** Packages replaced at bundle time, with the module text that stands in for them. */
const STUBS: Readonly<Record<string, string>> = {
  'proxy-agent': "export class ProxyAgent { constructor() { throw new Error('proxy-agent is not bundled: Porthole never passes httpProxy to xen-api'); } }",
};

const stubs: Plugin = {
  name: 'stubs',
  setup(b) {
    const filter = new RegExp(`^(${Object.keys(STUBS).join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, (args) => ({ contents: STUBS[args.path] ?? '', loader: 'js' }));
  },
};

// Source maps name their inputs (stack traces, the bundle scan) but carry no source text: smaller, and no
// comment of a non-shipped module ends up beside the app.
const common: BuildOptions = { bundle: true, minifyWhitespace: true, minifySyntax: true, platform: 'node', target: 'node20', sourcemap: true, sourcesContent: false, metafile: true, logLevel: 'warning', plugins: [stubs] };

const JOBS: readonly { entry: string; options: BuildOptions & { outfile: string } }[] = [
  { entry: 'electron/shell/main.ts', options: { outfile: 'dist/electron/main.mjs', format: 'esm', external: ['electron'], banner: { js: banner } } },
  { entry: 'electron/shell/preload.ts', options: { outfile: 'dist/electron/preload.cjs', format: 'cjs', external: ['electron'] } },
  { entry: 'electron/cli/porthole.ts', options: { outfile: 'dist/cli/porthole.mjs', format: 'esm', banner: { js: '#!/usr/bin/env node\n' + banner } } },
];

/** The group an input counts under: its npm package, or its first two source folders. */
function groupOf(input: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
  if (pkg !== undefined) return pkg;
  if (input.startsWith('stub:')) return input;
  return input.split('/').slice(0, input.startsWith('electron/') ? 2 : 1).join('/');
}

/** Size of one output by group, largest first, as text. */
export function sizeReport(outfile: string, meta: Metafile): string {
  const out = Object.entries(meta.outputs).find(([path]) => path === outfile)?.[1];
  if (out === undefined) return `${outfile}: not in the metafile`;
  const groups = new Map<string, number>();
  for (const [path, input] of Object.entries(out.inputs)) groups.set(groupOf(path), (groups.get(groupOf(path)) ?? 0) + input.bytesInOutput);
  const kib = (n: number): string => (n / 1024).toFixed(1).padStart(8) + ' KiB';
  const rows = [...groups].sort((a, b) => b[1] - a[1]).map(([g, n]) => `${kib(n)}  ${g}`);
  return [`${outfile}: ${kib(out.bytes).trim()}`, ...rows].join('\n');
}

const missing = JOBS.filter((j) => !existsSync(j.entry)).map((j) => j.entry);
if (missing.length > 0) {
  process.stderr.write(`build/bundle.ts: missing entry point(s): ${missing.join(', ')}\n`);
  process.exit(1);
}
const results = await Promise.all(JOBS.map((j) => build({ ...common, ...j.options, entryPoints: [j.entry] })));
if (process.argv.includes('--report')) {
  for (const [i, r] of results.entries()) {
    const job = JOBS[i];
    if (job !== undefined && r.metafile !== undefined) process.stdout.write(sizeReport(job.options.outfile, r.metafile) + '\n\n');
  }
}
