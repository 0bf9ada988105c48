/**
 * `porthole web [--port N] [--demo]`: the whole UI in a browser, for machines without the Electron
 * runtime and for the end-to-end tests.
 *
 * Starts the web harness (backend + bridge + built renderer on 127.0.0.1), prints the one URL that
 * opens it (it carries the random token), and runs until SIGINT/SIGTERM. Config comes from
 * `PORTHOLE_CONFIG_DIR` (default: the user's config folder); passwords stay in memory only.
 * `--demo` also starts the demo pool at once.
 */
import { PortholeError } from '../../shared/errors';
import { defaultConfigDir } from '../core/config-store';
import { startHarness } from '../core/harness/server';
import { untilStopSignal, type CliIo } from './io';

/** The command's usage text (`--help`). */
export const USAGE = 'usage: porthole web [--port N] [--demo]\n';

/** Parsed options. */
interface WebArgs {
  port: number;
  demo: boolean;
}

/** Parses the arguments (throws INVALID_ARGUMENT on anything unknown). */
export function parseWebArgs(args: string[]): WebArgs | 'help' {
  const out: WebArgs = { port: 0, demo: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--demo') out.demo = true;
    else if (arg === '--port' || arg?.startsWith('--port=') === true) {
      const text = arg === '--port' ? args[++i] : arg.slice('--port='.length);
      const port = Number(text);
      if (text === undefined || !Number.isInteger(port) || port < 0 || port > 65535) throw new PortholeError('INVALID_ARGUMENT', `--port needs a number from 0 to 65535, not '${text ?? ''}'.`);
      out.port = port;
    } else throw new PortholeError('INVALID_ARGUMENT', `Unknown option '${arg ?? ''}'.\n${USAGE}`);
  }
  return out;
}

/** Runs the harness until the process is told to stop. */
export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseWebArgs(args);
  if (parsed === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  const configDir = defaultConfigDir(io.env);
  const harness = await startHarness({ port: parsed.port, configDir, demo: parsed.demo });
  io.stdout.write(`Porthole UI: ${harness.url}\n`);
await untilStopSignal();
  await harness.close();
  return 0;
}
