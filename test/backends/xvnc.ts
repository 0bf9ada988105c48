/**
 * The `xvnc` console server: TigerVNC's Xvnc (an X server with a built-in RFB 3.8 server) running an
 * xterm whose typed input is written to `typedFile`, so tests can check keys sent over VNC.
 *
 * How it works: Xvnc picks its own free display (`-displayfd`, see x11.ts), serves RFB only on a unix
 * socket (`-rfbunixpath`, mode 0600; `-rfbport -1` turns the TCP listener off), security None, every
 * client shared. Then the xterm starts; its `cat > typed.txt` creating the file means it is up.
 * `stop()` ends xterm, then Xvnc, and removes the socket.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { connectUnix, SocketDir, stopChild, waitForPath, type Child } from './child';
import { startXServer, startXterm, stopXServer, type XServer } from './x11';
import type { VncBackend, VncBackendOptions } from '../../electron/sim/vnc/types';

/** Default screen size, px. */
const DEFAULT_WIDTH_PX = 1024;
const DEFAULT_HEIGHT_PX = 768;
/** Time Xvnc gets to create its RFB socket after reporting the display, ms. */
const SOCKET_TIMEOUT_MS = 10_000;

type State = 'running' | 'stopping' | 'stopped';

/** An X-based console server: an X server, an xterm, maybe a VNC server process, and one unix socket. */
export class XConsoleBackend implements VncBackend {
  private state: State = 'running';

  constructor(
    readonly kind: 'xvnc' | 'rfb33',
    private readonly x: XServer,
    private readonly extra: readonly Child[],
    private readonly sockets: SocketDir,
    private readonly socketName: string,
    readonly typedFile: string,
    /** The VNC server's keyboard log, where it keeps one (rfb33: x11vnc's). */
    readonly keyLog?: string,
  ) {}

  /** Process ids this server owns (for leak checks). */
  get pids(): number[] {
    return [this.x.child, ...this.extra].map((c) => c.process.pid).filter((p): p is number => p !== undefined);
  }

  /** The X display number in use. */
  get display(): number {
    return this.x.display;
  }

  /** Path of the RFB unix socket. */
  get socketPath(): string {
    return this.sockets.path(this.socketName);
  }

  async connect(): Promise<Duplex> {
    if (this.state !== 'running') throw new Error(`${this.kind} console server is stopped`);
    return connectUnix(this.socketPath);
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    // Clients of the X server first, so they do not complain about a vanished display.
    for (const c of [...this.extra].reverse()) await stopChild(c);
    await stopXServer(this.x);
    this.sockets.remove(this.socketName);
    this.state = 'stopped';
  }
}

/** Starts Xvnc + xterm for one VM. */
export async function startXvnc(opts: VncBackendOptions): Promise<XConsoleBackend> {
  const width = opts.width ?? DEFAULT_WIDTH_PX;
  const height = opts.height ?? DEFAULT_HEIGHT_PX;
  const sockets = new SocketDir(opts.workDir);
  const sock = sockets.path('xvnc.sock');
  const typedFile = join(opts.workDir, 'typed.txt');
  rmSync(sock, { force: true });
  rmSync(typedFile, { force: true });
  const args = [
    '-rfbunixpath', sock,
    '-rfbunixmode', '0600',
    '-rfbport', '-1',
    '-SecurityTypes', 'None',
    '-AlwaysShared',
    '-geometry', `${width}x${height}`,
    '-depth', '24',
    '-desktop', opts.name,
  ];
  const x = await startXServer('Xvnc', 'Xvnc', args, join(opts.workDir, 'xvnc.log'));
  const extra: Child[] = [];
  const backend = new XConsoleBackend('xvnc', x, extra, sockets, 'xvnc.sock', typedFile);
  try {
    await waitForPath(sock, x.child, SOCKET_TIMEOUT_MS);
    extra.push(await startXterm(x.display, typedFile, width, height, opts.workDir));
  } catch (err) {
    await backend.stop();
    throw err;
  }
  return backend;
}
