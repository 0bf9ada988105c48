// The leak cycles (leaks.ts) at a CI-sized count: sockets, TLS sockets, timers, bridge counts, XAPI
// sessions and console tunnels at the pool all back to the baseline; RSS and heap growth are printed, not
// asserted (a GC-dependent figure). `npm run soak` runs the full 500 / 100 cycles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consoleCycles, isMemoryMeasure, poolCycles } from './leaks';
import { printTable } from '../support/table';

for (const [name, run, count] of [
  ['console open/close', consoleCycles, 50],
  ['pool add/connect/disconnect/remove', poolCycles, 10],
] as const) {
  test(`${count} ${name} cycles leave nothing behind`, { timeout: 120_000 }, async () => {
    const rows = await run(count);
    printTable(`Leaks: ${count} ${name} cycles`, rows);
    for (const r of rows) if (!isMemoryMeasure(r.measure)) assert.ok(Number(r.growth) <= 0, `${String(r.measure)} grew by ${String(r.growth)}`);
  });
}
