/**
 * `npm run sim -- [--db FILE | --hosts N --vms M] [--vnc KIND] [--loopback address-per-host|port-per-host] [--port P] [--power-op-ms MS]`
 *
 * Runs a simulated pool in the foreground. The first line on stdout is one JSON object:
 * `{"master":"https://127.0.0.11:PORT","user":"root","password":"…","hosts":[{"name","address","fingerprint"}]}`
 * (the password is printed on purpose: this is a local test pool and this line is how you log in).
 * Logs go to stderr (level from PORTHOLE_LOG, default info). SIGINT/SIGTERM stop it cleanly.
 */
import { parseArgs } from 'node:util';
import { configureLog, getLogger, parseLogLevel } from '../../shared/log';
import { startSimulator } from '../../electron/sim/index';
import { LOOPBACK_MODES, type LoopbackMode, type SimulatorOptions } from '../../electron/sim/types';
import { VNC_KINDS, type VncKind } from '../../electron/sim/vnc/types';
import { LAUNCHERS } from '../backends/index';

const log = getLogger('sim-cli');

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run sim -- [--db FILE | --hosts N --vms M] [--vnc ${VNC_KINDS.join('|')}] [--loopback ${LOOPBACK_MODES.join('|')}] [--port P] [--power-op-ms MS]\n`);
  process.exit(2);
}

function int(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) usage(`--${name} needs a non-negative integer`);
  return n;
}

async function main(): Promise<void> {
  configureLog((_level, line) => process.stderr.write(line + '\n'), parseLogLevel(process.env.PORTHOLE_LOG, 'info'));
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        db: { type: 'string' },
        hosts: { type: 'string' },
        vms: { type: 'string' },
        vnc: { type: 'string' },
        port: { type: 'string' },
        loopback: { type: 'string' },
        'power-op-ms': { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
      },
      strict: true,
    }));
  } catch (e) {
    usage(e instanceof Error ? e.message : String(e));
  }
  if (values.db !== undefined && (values.hosts !== undefined || values.vms !== undefined)) usage('--db and --hosts/--vms exclude each other');
  const vnc = values.vnc;
  if (vnc !== undefined && !(VNC_KINDS as readonly string[]).includes(vnc)) usage(`unknown --vnc ${vnc}`);
  const loopback = values.loopback;
  if (loopback !== undefined && !(LOOPBACK_MODES as readonly string[]).includes(loopback)) usage(`unknown --loopback ${loopback}`);
  const opts: SimulatorOptions = {
    db: values.db,
    hosts: int(values.hosts, 'hosts'),
    vms: int(values.vms, 'vms'),
    vnc: vnc as VncKind | undefined,
    launchers: LAUNCHERS,
    loopback: loopback as LoopbackMode | undefined,
    port: int(values.port, 'port'),
    powerOpMs: int(values['power-op-ms'], 'power-op-ms'),
    user: values.user,
    password: values.password,
  };
  // Signal handlers first: a stop that arrives while the pool starts waits for it, then stops it.
  let stopping = false;
  const pending: { sim?: ReturnType<typeof startSimulator> } = {};
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    (pending.sim ?? Promise.reject(new Error('not started')))
      .then((s) => s.stop())
      .then(
        () => process.exit(0),
        (e: unknown) => {
          log.error('stop failed', { error: e });
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  pending.sim = startSimulator(opts);
  const sim = await pending.sim;
  const line = {
    master: sim.masterUrl,
    user: sim.user,
    password: sim.password,
    hosts: sim.hosts.map((h) => ({ name: h.name, address: h.address, port: h.port, fingerprint: h.fingerprint })),
  };
  process.stdout.write(JSON.stringify(line) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`simulator failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
