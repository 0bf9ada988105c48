/**
 * Bench runner: `npm run bench -- <name>` runs `test/bench/<name>.ts`'s exported `run()`; with no name
 * it runs every bench in this folder, one after the other. Benches print figures; they assert nothing.
 * The targets they checked end the output as one table (summary.ts).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { printSummary } from './summary';

const dir = import.meta.dirname;
const names = process.argv.slice(2);
/** Modules of this folder that are shared by the benches, not benches. */
const SHARED = new Set(['run.ts', 'summary.ts', 'proc.ts', 'sim-process.ts']);
const all = readdirSync(dir).filter((f) => f.endsWith('.ts') && !SHARED.has(f) && !f.endsWith('.d.ts')).map((f) => f.slice(0, -3)).sort();
const chosen = names.length === 0 ? all : names;
for (const name of chosen) {
  if (!all.includes(name)) {
    process.stderr.write(`no bench named ${name} (have: ${all.join(', ')})\n`);
    process.exit(2);
  }
  const mod = (await import(pathToFileURL(join(dir, `${name}.ts`)).href)) as { run?: () => Promise<void> };
  if (typeof mod.run !== 'function') {
    process.stderr.write(`${name}.ts exports no run()\n`);
    process.exit(2);
  }
  process.stdout.write(`== ${name}\n`);
  await mod.run();
}
printSummary();
