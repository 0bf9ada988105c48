/**
 * The `qemu` console server: a real qemu-system-x86_64 with no disk, as XenServer HVM guests have
 * (QEMU's own VNC server on a unix socket: `RFB 003.008`, security None).
 *
 * How it works: QEMU runs SeaBIOS with nothing to boot ("No bootable device" is the guest picture),
 * TCG, one CPU, 64 MiB. `-vnc unix:` and `-qmp unix:` sockets live in the work directory (or a short
 * temp directory when that path is too long). `connect()` opens the VNC socket. `screendump()` talks
 * QMP (greeting, `qmp_capabilities`, `screendump` to a file) and returns the PPM; QMP takes one client
 * at a time, so dumps are serialised. QEMU traces its input layer (`-trace input_event_key*` and
 * `input_event_btn`, one line per key or button as a qcode) into `inputTrace`, so tests can check
 * what reached the guest. `stop()` ends QEMU and removes the sockets.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { connectUnix, SocketDir, spawnChild, stopChild, waitForPath, type Child } from './child';
import type { VncBackend, VncBackendOptions } from '../../electron/sim/vnc/types';

/** Time QEMU gets to create its sockets, ms. */
const START_TIMEOUT_MS = 15_000;
/** Time a QMP exchange may take, ms. */
const QMP_TIMEOUT_MS = 10_000;

type State = 'running' | 'stopping' | 'stopped';

/** Sends QMP commands over one connection and reads their replies (events are skipped). */
async function qmpSession(path: string, commands: readonly object[]): Promise<unknown[]> {
  const sock = await connectUnix(path);
  try {
    return await new Promise<unknown[]>((resolve, reject) => {
      const replies: unknown[] = [];
      let buffered = '';
      let greeted = false;
      const timer = setTimeout(() => reject(new Error('QMP did not answer in time')), QMP_TIMEOUT_MS);
      const sendNext = (): void => {
        const cmd = commands[replies.length];
        if (cmd === undefined) {
          clearTimeout(timer);
          resolve(replies);
        } else sock.write(JSON.stringify(cmd) + '\n');
      };
      sock.on('data', (d: Buffer) => {
        buffered += d.toString('utf8');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line === '') continue;
          const msg = JSON.parse(line) as Record<string, unknown>;
          if ('QMP' in msg && !greeted) {
            greeted = true;
            sendNext();
          } else if ('error' in msg) {
            clearTimeout(timer);
            reject(new Error(`QMP error: ${JSON.stringify(msg.error)}`));
          } else if ('return' in msg) {
            replies.push(msg.return);
            sendNext();
          }
        }
      });
      sock.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      sock.on('close', () => {
        clearTimeout(timer);
        reject(new Error('QMP connection closed'));
      });
    });
  } finally {
    sock.destroy();
  }
}

class QemuBackend implements VncBackend {
  readonly kind = 'qemu' as const;
  private state: State = 'running';
  private dumps = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly child: Child,
    private readonly sockets: SocketDir,
    private readonly workDir: string,
    /** The file QEMU's input trace goes to. */
    readonly inputTrace: string,
  ) {}

  /** Process id of QEMU (for leak checks). */
  get pid(): number | undefined {
    return this.child.process.pid;
  }

  /** Path of the VNC unix socket. */
  get socketPath(): string {
    return this.sockets.path('vnc.sock');
  }

  async connect(): Promise<Duplex> {
    if (this.state !== 'running') throw new Error('qemu console server is stopped');
    return connectUnix(this.socketPath);
  }

  screendump(): Promise<Buffer> {
    const run = async (): Promise<Buffer> => {
      if (this.state !== 'running') throw new Error('qemu console server is stopped');
      const file = join(this.workDir, `screendump-${++this.dumps}.ppm`);
      try {
        await qmpSession(this.sockets.path('qmp.sock'), [{ execute: 'qmp_capabilities' }, { execute: 'screendump', arguments: { filename: file } }]);
        return await readFile(file);
      } finally {
        await rm(file, { force: true });
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    await stopChild(this.child);
    this.sockets.remove('vnc.sock', 'qmp.sock');
    this.state = 'stopped';
  }
}

/** Starts QEMU for one VM and waits until its VNC and QMP sockets exist. */
export async function startQemuVnc(opts: VncBackendOptions): Promise<VncBackend & { readonly pid: number | undefined; readonly socketPath: string; readonly inputTrace: string }> {
  const sockets = new SocketDir(opts.workDir);
  const vnc = sockets.path('vnc.sock');
  const qmp = sockets.path('qmp.sock');
  // QEMU's option parser treats ',' as a separator; ',,' is a literal comma.
  const name = opts.name.replaceAll(',', ',,');
  const inputTrace = join(opts.workDir, 'qemu-input.log');
  const args = [
    '-nodefaults',
    '-no-user-config',
    '-name', name,
    '-machine', 'pc',
    '-accel', 'tcg',
    '-smp', '1',
    '-m', '64',
    '-vga', 'std',
    '-display', 'none',
    '-vnc', `unix:${vnc}`,
    '-qmp', `unix:${qmp},server=on,wait=off`,
    '-trace', 'input_event_key*',
    '-trace', 'input_event_btn',
    '-D', inputTrace,
  ];
  const child = spawnChild('qemu-system-x86_64', 'qemu-system-x86_64', args, join(opts.workDir, 'qemu.log'));
  const backend = new QemuBackend(child, sockets, opts.workDir, inputTrace);
  try {
    await waitForPath(vnc, child, START_TIMEOUT_MS);
    await waitForPath(qmp, child, START_TIMEOUT_MS);
  } catch (err) {
    await backend.stop();
    throw err;
  }
  return backend;
}
