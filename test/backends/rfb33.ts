/**
 * The `rfb33` console server: a server that greets `RFB 003.003`, as vncterm does for PV guests and
 * dom0. Built from real programs: Xvfb + an xterm (typed input lands in `typedFile`) + x11vnc with
 * `-rfbversion 3.3`.
 *
 * How it works: Xvfb picks its own free display (`-displayfd`, see x11.ts); x11vnc serves it on a unix
 * socket (`-unixsock`) with every TCP listener off (`-rfbport 0 -rfbportv6 -1 -no6 -noipv6`, and
 * `-listen 127.0.0.1` should one ever open). `-localhost` is not used: x11vnc applies it to unix
 * clients too and refuses them. x11vnc logs that it cannot set TCP_NODELAY on the unix socket; that is
 * harmless. `-debug_keyboard` makes it log every key event it receives, as a keysym (`keyLog`), so
 * tests can check what a keysym-only server got; it also turns `-q` off.
 *
 * Difference from vncterm: vncterm drops a client that answers anything but 3.3/3.4; x11vnc
 * (libvncserver) goes along with a client answering 3.7/3.8 and sends it a 3.8 security list. A client
 * that answers 3.3 sees the same bytes from both: the u32 security type 1 (None), then ServerInit.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SocketDir, spawnChild, waitForPath, type Child } from './child';
import { startXServer, startXterm } from './x11';
import { XConsoleBackend } from './xvnc';
import type { VncBackendOptions } from '../../electron/sim/vnc/types';

/** Default screen size, px (vncterm's text console is 80x25 cells of 9x16; near enough). */
const DEFAULT_WIDTH_PX = 720;
const DEFAULT_HEIGHT_PX = 400;
/** Time x11vnc gets to open its socket, ms. */
const SOCKET_TIMEOUT_MS = 15_000;

/** Starts Xvfb + xterm + x11vnc (RFB 3.3 only) for one VM. */
export async function startRfb33(opts: VncBackendOptions): Promise<XConsoleBackend> {
  const width = opts.width ?? DEFAULT_WIDTH_PX;
  const height = opts.height ?? DEFAULT_HEIGHT_PX;
  const sockets = new SocketDir(opts.workDir);
  const sock = sockets.path('rfb33.sock');
  const typedFile = join(opts.workDir, 'typed.txt');
  rmSync(sock, { force: true });
  rmSync(typedFile, { force: true });
  const x = await startXServer('Xvfb', 'Xvfb', ['-screen', '0', `${width}x${height}x24`], join(opts.workDir, 'xvfb.log'));
  const extra: Child[] = [];
  const keyLog = join(opts.workDir, 'x11vnc.log');
  const backend = new XConsoleBackend('rfb33', x, extra, sockets, 'rfb33.sock', typedFile, keyLog);
  try {
    extra.push(await startXterm(x.display, typedFile, width, height, opts.workDir));
    const args = [
      '-display', `:${x.display}`,
      '-rfbversion', '3.3',
      '-unixsock', sock,
      '-rfbport', '0',
      '-rfbportv6', '-1',
      '-no6',
      '-noipv6',
      '-listen', '127.0.0.1',
      '-nopw',
      '-forever',
      '-shared',
      '-norc',
      '-q',
      '-debug_keyboard',
      '-desktop', opts.name,
    ];
    const vnc = spawnChild('x11vnc', 'x11vnc', args, keyLog);
    extra.push(vnc);
    await waitForPath(sock, vnc, SOCKET_TIMEOUT_MS);
  } catch (err) {
    await backend.stop();
    throw err;
  }
  return backend;
}
