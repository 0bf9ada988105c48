/**
 * The TCP sockets this process is listening on, read from Linux's /proc (so a test can check
 * where a component really bound, not where it says it bound).
 *
 * How it works: the inodes of this process's socket descriptors come from /proc/self/fd; the rows of
 * /proc/net/tcp and /proc/net/tcp6 in state 0A (LISTEN) with those inodes give the local addresses
 * (hex, each 32-bit word little-endian). `undefined` where there is no /proc (macOS, Windows).
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** TCP state LISTEN in /proc/net/tcp. */
const TCP_LISTEN = '0A';

function ownSocketInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    let target = '';
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m?.[1] !== undefined) inodes.add(m[1]);
  }
  return inodes;
}

/** `a.b.c.d:port` or `[v6 words]:port` from a /proc/net/tcp* local address. */
function decodeAddress(hex: string): string {
  const [addr = '', port = '0'] = hex.split(':');
  const words = addr.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  const host = bytes.length === 4 ? bytes.join('.') : `[${words.join(':')}]`;
  return `${host}:${parseInt(port, 16)}`;
}

/** Local addresses (`host:port`) of this process's listening TCP sockets; undefined without /proc. */
export function listeningSockets(): string[] | undefined {
  if (!existsSync('/proc/net/tcp') || !existsSync('/proc/self/fd')) return undefined;
  const inodes = ownSocketInodes();
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const [, local, , state] = f;
      const inode = f[9];
      if (local === undefined || state !== TCP_LISTEN || inode === undefined || !inodes.has(inode)) continue;
      out.push(decodeAddress(local));
    }
  }
  return out.sort();
}
