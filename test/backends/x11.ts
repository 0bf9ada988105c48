/**
 * X11 pieces shared by the `xvnc` and `rfb33` console servers: starting an X server on a free display
 * and running the xterm whose typed input lands in a file.
 *
 * How it works: the X server is started with `-displayfd 3` and no display number, so the server
 * itself picks the first free display and claims it with its lock file (/tmp/.X<n>-lock) — no guessing
 * and no race between concurrent VMs. It writes the number to fd 3 when it accepts clients. TCP is
 * off (`-nolisten tcp`). The xterm fills the screen (without a window manager, keyboard focus follows
 * the pointer, so a full-screen window gets the keys wherever the pointer is) and runs
 * `cat > typedFile`; its creating the file tells us the terminal is up.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readDisplayFd, spawnChild, stopChild, waitForPath, type Child } from './child';

/** Time an X server gets to report its display, ms. */
const X_START_TIMEOUT_MS = 15_000;
/** Time xterm gets to start its shell, ms. */
const XTERM_START_TIMEOUT_MS = 15_000;
/** xterm's default font cell ("fixed", 6x13), px, used to size the window to the screen. */
const XTERM_CELL_W_PX = 6;
const XTERM_CELL_H_PX = 13;

/** A running X server. */
export interface XServer {
  readonly child: Child;
  readonly display: number;
}

/** Starts an X server (`Xvnc` or `Xvfb`) on a display of its own choosing. */
export async function startXServer(name: string, command: string, args: readonly string[], logFile: string): Promise<XServer> {
  const child = spawnChild(name, command, ['-displayfd', '3', '-nolisten', 'tcp', ...args], logFile, undefined, 1);
  try {
    const display = await readDisplayFd(child, X_START_TIMEOUT_MS);
    return { child, display };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

/** Stops an X server; if it had to be killed, removes the lock file and socket it left (only if still its own). */
export async function stopXServer(server: XServer): Promise<void> {
  await stopChild(server.child);
  const lock = `/tmp/.X${server.display}-lock`;
  let owner = '';
  try {
    owner = readFileSync(lock, 'latin1').trim();
  } catch {
    return; // the server cleaned up after itself
  }
  if (owner === String(server.child.process.pid)) {
    rmSync(lock, { force: true });
    rmSync(`/tmp/.X11-unix/X${server.display}`, { force: true });
  }
}

/** Starts a screen-filling xterm on `display` running `cat > typedFile`; resolves once the file exists. */
export async function startXterm(display: number, typedFile: string, width: number, height: number, workDir: string): Promise<Child> {
  const cols = Math.max(20, Math.ceil(width / XTERM_CELL_W_PX));
  const rows = Math.max(5, Math.ceil(height / XTERM_CELL_H_PX));
  // The file name travels as $0, so no quoting of the path is needed.
  const args = ['-display', `:${display}`, '-geometry', `${cols}x${rows}+0+0`, '-bw', '0', '-e', 'sh', '-c', 'exec cat > "$0"', typedFile];
  // A UTF-8 locale, so characters beyond ASCII reach the file as UTF-8 (and dead keys compose).
  const env = { ...process.env, DISPLAY: `:${display}`, LC_ALL: 'C.UTF-8' };
  const child = spawnChild('xterm', 'xterm', args, join(workDir, 'xterm.log'), env);
  try {
    await waitForPath(typedFile, child, XTERM_START_TIMEOUT_MS);
    return child;
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}
