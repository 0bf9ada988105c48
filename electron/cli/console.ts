/**
 * `porthole console <vm name|uuid> --listen 127.0.0.1:PORT [--pool N] [--vt100] [--password-stdin]`:
 * serves one VM's console to any VNC viewer (or, with --vt100, its text console to `nc`/`socat`).
 *
 * How it works: connects the pool(s) from the config in `PORTHOLE_CONFIG_DIR` with the password from
 * `--password-stdin`, `PORTHOLE_PASSWORD` or a prompt (never stored), finds the VM, and starts the
 * bridge's TCP listener (electron/core/bridge/tcp-listener.ts): each viewer connection gets a fresh
 * pinned tunnel. Prints `listening on HOST:PORT` and serves until SIGINT/SIGTERM. The listener is on
 * loopback unless the user names another address explicitly (then a warning says who can connect).
 */
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { PortholeError } from '../../shared/errors';
import { listenTcp } from '../core/bridge/tcp-listener';
import { untilStopSignal, type CliIo } from './io';
import { connectPools, findVm, openManager, selectPools } from './session';

/** The command's usage text (`--help`). */
export const USAGE = 'usage: porthole console <vm name|uuid> --listen 127.0.0.1:PORT [--pool N] [--vt100] [--password-stdin]\n';

/** Default listen address: loopback, the first VNC display's port. */
export const DEFAULT_LISTEN = '127.0.0.1:5900';

/** Parses `HOST:PORT`, `[v6]:PORT` or a bare `PORT` (loopback); INVALID_ARGUMENT otherwise. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text) ?? /^()()(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  const host = m?.[1] ?? m?.[2] ?? '';
  if (m === null || !Number.isInteger(port) || port > 65535) throw new PortholeError('INVALID_ARGUMENT', `--listen wants HOST:PORT, not "${text}".\n${USAGE}`);
  return { host: host === '' ? '127.0.0.1' : host, port };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** Runs `porthole console …`. */
export async function run(args: string[], io: CliIo): Promise<number> {
  let parsed: { values: { pool?: string; listen?: string; vt100?: boolean; 'password-stdin'?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args,
      options: { pool: { type: 'string' }, listen: { type: 'string' }, vt100: { type: 'boolean' }, 'password-stdin': { type: 'boolean' } },
      allowPositionals: true,
    });
  } catch (error) {
    throw new PortholeError('INVALID_ARGUMENT', `${(error as Error).message}\n${USAGE}`);
  }
  const [target, ...extra] = parsed.positionals;
  if (target === undefined || extra.length > 0) {
    io.stderr.write(USAGE);
    return 2;
  }
  const listen = parseListen(parsed.values.listen ?? DEFAULT_LISTEN);
  const protocol = parsed.values.vt100 === true ? 'vt100' : 'rfb';
  const manager = await openManager(io);
  try {
    await connectPools(manager, io, selectPools(manager, parsed.values.pool), parsed.values['password-stdin'] === true);
    const vm = findVm(manager, target);
    const source = manager.consoleSource(vm.poolId);
    // Fail now (not at the first viewer) when the VM is down or has no such console.
    await source.resolve(vm.uuid, protocol);
    if (!isLoopback(listen.host)) {
      io.stderr.write(`porthole: warning: listening on ${listen.host}: anyone who can reach it gets this console without a password.\n`);
    }
    const listener = await listenTcp({
      ...listen,
      source,
      vmUuid: vm.uuid,
      protocol,
      onEvent: (e) => {
        if (e.kind === 'failed') io.stderr.write(`porthole: ${e.peer}: ${e.message ?? 'console failed'}\n`);
      },
    });
    const shown = listener.host.includes(':') ? `[${listener.host}]` : listener.host;
    io.stdout.write(`listening on ${shown}:${listener.port}\n`);
    await untilStopSignal();
    await listener.close();
    return 0;
  } finally {
    await manager.close();
  }
}
