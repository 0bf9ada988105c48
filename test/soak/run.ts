/**
 * `npm run soak`: the full leak cycles (500 console open/close, 100 pool add/connect/disconnect/remove;
 * see leaks.ts), with a GC before each measure, printing the table. Exits 1 if any count grew (the heap figure is printed only),
 * or RSS grew by more than `RSS_BUDGET_MIB`.
 */
import { consoleCycles, isMemoryMeasure, poolCycles } from './leaks';
import { printTable } from '../support/table';

/** RSS growth allowed over the whole soak, MiB. */
const RSS_BUDGET_MIB = 64;
const rows = [...(await consoleCycles(500)), ...(await poolCycles(100))];
printTable('Leaks: 500 console cycles and 100 pool cycles', rows);
const bad = rows.filter((r) => (r.measure === 'RSS (MiB)' ? Number(r.growth) > RSS_BUDGET_MIB : !isMemoryMeasure(r.measure) && Number(r.growth) > 0));
for (const r of bad) process.stderr.write(`LEAK: ${String(r.cycles)}: ${String(r.measure)} grew by ${String(r.growth)}\n`);
process.exit(bad.length > 0 ? 1 : 0);
