/**
 * The `porthole` command line: the scriptable face of the main-process services.
 *
 * Each subcommand lives in its own module exporting `run(args, io)`; this file only dispatches and
 * turns thrown errors into their distinct exit codes (see `exitCodeFor`). Passwords come from
 * `--password-stdin`, `PORTHOLE_PASSWORD` or a TTY prompt and are never stored by the CLI.
 */
import { configureLog, parseLogLevel } from '../../shared/log';
import { PortholeError } from '../../shared/errors';
import { exitCodeFor, type CliIo } from './io';

/** A subcommand module: its runner and its usage text. */
interface Command {
  run: (args: string[], io: CliIo) => Promise<number>;
  USAGE: string;
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  pool: { summary: 'pool add|list|remove|trust — manage pools', load: () => import('./pool') },
  ls: { summary: 'ls [--json] — the pools → hosts → VMs tree', load: () => import('./ls') },
  vm: { summary: 'vm start|shutdown|reboot|force-shutdown|force-reboot|suspend|resume|migrate <name|uuid>', load: () => import('./vm') },
  console: { summary: 'console <vm> --listen 127.0.0.1:PORT — serve a console to any VNC viewer', load: () => import('./console') },
  web: { summary: 'web [--port N] [--demo] — the UI in a browser (loopback, token-protected)', load: () => import('./web') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `usage: porthole <command> [options]\n\n${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  configureLog((_level, line) => process.stderr.write(line + '\n'), parseLogLevel(process.env.PORTHOLE_LOG, 'warn'));
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr.write(`porthole: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  try {
    const module = await command.load();
    // Every subcommand answers --help / -h with its usage (before any option parsing).
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(module.USAGE);
      return 0;
    }
    return await module.run(rest, io);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`porthole: ${message}\n`);
    return exitCodeFor(error instanceof PortholeError ? error.code : 'INTERNAL');
  }
}

process.exitCode = await main(process.argv.slice(2));
