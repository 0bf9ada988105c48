/**
 * What reached a console server, read at the server: QEMU's input trace (`-trace input_event_key*`,
 * one line per key as a qcode with `down 1` / `down 0`, and `input_event_btn` per mouse button) and
 * the file an X server's xterm writes what it receives to. Reads start at a byte offset taken before
 * the action under test, so each check sees only its own keys.
 *
 * Waiting is on the file's content (polled by `waitUntil`): the servers are other processes with no
 * event to wait on.
 */
import { readFileSync } from 'node:fs';
import { waitUntil } from './support';

/** How long keys may take to show up at the server, ms. */
export const ARRIVAL_TIMEOUT_MS = 20_000;

/** Reads a file, '' while it does not exist. */
export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** One key event in QEMU's trace. */
export interface TracedKey {
  qcode: string;
  down: boolean;
}

/** The input trace of a QEMU VM from a byte offset: key downs as qcodes, every key event, and every line. */
export function traceSince(path: string, offset: number): { downs: string[]; keys: TracedKey[]; lines: string[] } {
  const lines = readText(path).slice(offset).split('\n').filter((l) => l.startsWith('input_event_'));
  const keys = lines.flatMap((l) => {
    const m = /^input_event_key_qcode .*key qcode (\S+), down ([01])/.exec(l);
    return m === null ? [] : [{ qcode: m[1]!, down: m[2] === '1' }];
  });
  return { downs: keys.filter((k) => k.down).map((k) => k.qcode), keys, lines };
}

/** The keys a sequence of key events leaves pressed (down without a later up), in order. */
export function heldKeys(keys: readonly TracedKey[]): string[] {
  const held: string[] = [];
  for (const k of keys) {
    const at = held.indexOf(k.qcode);
    if (k.down && at < 0) held.push(k.qcode);
    else if (!k.down && at >= 0) held.splice(at, 1);
  }
  return held;
}

/** Waits until QEMU's trace shows at least `count` key downs (or with `what: 'events'`, key events) after `offset`; returns them all. */
async function waitForTraced<T>(trace: string, offset: number, count: number, what: 'downs' | 'events', pick: (t: ReturnType<typeof traceSince>) => T[]): Promise<T[]> {
  let seen: T[] = [];
  await waitUntil(`${count} key ${what} in QEMU's input trace`, ARRIVAL_TIMEOUT_MS, () => {
    seen = pick(traceSince(trace, offset));
    return seen.length >= count ? true : undefined;
  }).catch((error: unknown) => {
    throw new Error(`${String(error)}; saw ${seen.length}: ${JSON.stringify(seen.slice(-40))}`);
  });
  return seen;
}

/** Waits until QEMU's trace shows at least `count` key downs after `offset`; returns all of them. */
export function waitForDowns(trace: string, offset: number, count: number): Promise<string[]> {
  return waitForTraced(trace, offset, count, 'downs', (t) => t.downs);
}

/** Waits until QEMU's trace shows at least `count` key events (downs and ups) after `offset`; returns all of them. */
export function waitForKeyEvents(trace: string, offset: number, count: number): Promise<TracedKey[]> {
  return waitForTraced(trace, offset, count, 'events', (t) => t.keys);
}

/** Waits until an xterm's file has grown by a whole line (or `lines` lines) after `offset`; returns the new part. */
export async function waitForTyped(file: string, offset: number, lines = 1): Promise<string> {
  return waitUntil(`${lines} new line(s) in the xterm file`, ARRIVAL_TIMEOUT_MS, () => {
    const text = readText(file).slice(offset);
    return text.endsWith('\n') && text.split('\n').length - 1 >= lines ? text : undefined;
  });
}

/** The key downs in x11vnc's keyboard log from a byte offset, as keysym names (`# keyboard(down, 0x40 "at")`). */
export function x11vncDownsSince(log: string, offset: number): string[] {
  return [...readText(log).slice(offset).matchAll(/^.*# keyboard\(down, 0x[0-9a-f]+ "([^"]*)"\)/gm)].map((m) => m[1]!);
}

/** How many times x11vnc has (re)read the X server's keyboard map (it does on start and after a layout change). */
export function x11vncKeymapReads(log: string): number {
  return readText(log).split('initialize_xkb_modtweak').length - 1;
}
