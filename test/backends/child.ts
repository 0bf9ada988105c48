/**
 * Helpers for the console servers that are real programs (QEMU, Xvnc, Xvfb, x11vnc, xterm):
 * spawning with output to a log file, waiting for a socket or file to appear, reading an X server's
 * `-displayfd` answer, stopping a child (SIGTERM, then SIGKILL after a grace period), short unix
 * socket paths, and connecting to a unix socket.
 *
 * How it works: every wait polls the file system on a short interval and gives up early when the child
 * exits (its log tail goes into the error), so a broken program fails fast with a reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Poll interval of the waits, ms. */
const POLL_MS = 25;
/** Time a child gets between SIGTERM and SIGKILL, ms. */
export const STOP_GRACE_MS = 1500;
/** Longest unix socket path used as is, bytes (sun_path holds 108 with its NUL). */
const MAX_SOCKET_PATH_BYTES = 100;

/** A spawned program with its log file. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly logFile: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  hasExited(): boolean;
}

/**
 * Spawns `command` with stdout and stderr appended to `logFile`. `extraPipes` adds that many pipes
 * after stdio (fd 3, 4, ...) for protocols like `-displayfd 3`.
 */
export function spawnChild(name: string, command: string, args: readonly string[], logFile: string, env?: NodeJS.ProcessEnv, extraPipes = 0): Child {
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    const extra: 'pipe'[] = Array.from({ length: extraPipes }, () => 'pipe' as const);
    child = spawn(command, args, { stdio: ['ignore', fd, fd, ...extra], env: env ?? process.env });
  } finally {
    closeSync(fd);
  }
  let done = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      done = true;
      resolve();
    });
    child.once('error', () => {
      done = true;
      resolve();
    });
  });
  return { name, process: child, logFile, exited, hasExited: () => done || child.exitCode !== null || child.signalCode !== null };
}

/** The last lines of a child's log, for error messages. */
export function logTail(child: Child, lines = 8): string {
  try {
    return readFileSync(child.logFile, 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

/** Waits until `path` exists; fails when `child` exits first or after `timeoutMs`. */
export async function waitForPath(path: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (child.hasExited()) throw new Error(`${child.name} exited before creating ${path}: ${logTail(child)}`);
    if (Date.now() > deadline) throw new Error(`${child.name} did not create ${path} within ${timeoutMs} ms: ${logTail(child)}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Reads the display number an X server writes to its `-displayfd` pipe (fd 3) when it is ready. */
export function readDisplayFd(child: Child, timeoutMs: number): Promise<number> {
  const pipe = child.process.stdio[3];
  if (pipe === null || pipe === undefined) return Promise.reject(new Error(`${child.name} has no display pipe`));
  return new Promise<number>((resolve, reject) => {
    let text = '';
    const finish = (err: Error | undefined, display?: number): void => {
      clearTimeout(timer);
      pipe.removeAllListeners('data');
      pipe.removeAllListeners('end');
      pipe.destroy();
      if (err !== undefined) reject(err);
      else resolve(display ?? 0);
    };
    const timer = setTimeout(() => finish(new Error(`${child.name} gave no display within ${timeoutMs} ms: ${logTail(child)}`)), timeoutMs);
    pipe.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const m = /^(\d+)\n/.exec(text);
      if (m !== null) finish(undefined, Number(m[1]));
    });
    pipe.on('end', () => finish(new Error(`${child.name} exited before reporting its display: ${logTail(child)}`)));
    pipe.on('error', () => undefined);
  });
}

/** Stops a child: SIGTERM, then SIGKILL if it is still there after `graceMs`. Resolves once it is gone. */
export async function stopChild(child: Child, graceMs = STOP_GRACE_MS): Promise<void> {
  if (child.hasExited()) return;
  child.process.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<boolean>((r) => {
    timer = setTimeout(() => r(true), graceMs);
  });
  const killed = await Promise.race([child.exited.then(() => false), graceOver]);
  clearTimeout(timer);
  if (killed && !child.hasExited()) {
    child.process.kill('SIGKILL');
    await child.exited;
  }
}

/** Owner of a short directory for sockets when the work directory's path is too long for sun_path. */
export class SocketDir {
  readonly dir: string;
  private readonly own: boolean;

  constructor(workDir: string) {
    this.own = join(workDir, 'xxxxxxxx.sock').length > MAX_SOCKET_PATH_BYTES;
    this.dir = this.own ? mkdtempSync(join(tmpdir(), 'phvnc-')) : workDir;
  }

  /** A socket path inside the directory. */
  path(name: string): string {
    return join(this.dir, name);
  }

  /** Removes the given sockets, and the directory when it was made here. */
  remove(...names: string[]): void {
    for (const n of names) rmSync(this.path(n), { force: true });
    if (this.own) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Opens a client connection to a unix socket. */
export function connectUnix(path: string): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const sock = net.connect(path);
    sock.once('connect', () => {
      sock.removeListener('error', reject);
      resolve(sock);
    });
    sock.once('error', reject);
  });
}
