/**
 * Process-tree figures for benches, from /proc (Linux): RSS and CPU time of a process and all its
 * descendants, read from `/proc/<pid>/stat` and each task's `children` list.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** A process tree's RSS (bytes), CPU (s) and the kernel's share of that CPU (s), from /proc. */
export function treeUsage(pid: number): { rss: number; cpu: number; sys: number } {
  const tick = 100;
  const page = 4096;
  let rss = 0;
  let cpu = 0;
  let sys = 0;
  const visit = (p: number, self: boolean): void => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime stime (+ reaped children's cutime cstime for the root only) and rss pages.
      cpu += (Number(f[11]) + Number(f[12]) + (self ? Number(f[13]) + Number(f[14]) : 0)) / tick;
      sys += (Number(f[12]) + (self ? Number(f[14]) : 0)) / tick;
      rss += Number(f[21]) * page;
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const kids = readFileSync(`/proc/${p}/task/${task}/children`, 'latin1').trim();
        for (const k of kids === '' ? [] : kids.split(' ')) visit(Number(k), false);
      }
    } catch {
      // the process went away
    }
  };
  visit(pid, true);
  return { rss, cpu, sys };
}

