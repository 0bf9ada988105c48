/**
 * `porthole vm start|shutdown|reboot|force-shutdown|force-reboot|suspend|resume <name|uuid> [--pool N]`:
 * finds the VM (by uuid, or by exact name; ambiguous names are refused) in the configured pools, runs
 * the power action as a XAPI async task and waits for it. An action the VM does not allow now exits
 * with OPERATION_NOT_ALLOWED, an unknown VM with UNKNOWN_VM.
 */
import { parseArgs } from 'node:util';
import { PortholeError } from '../../shared/errors';
import type { VmAction } from '../../shared/inventory';
import { ACTION_LABEL } from '../core/pool-manager';
import type { CliIo } from './io';
import { connectPools, findVm, openManager, selectPools } from './session';

/** CLI verbs → XAPI actions. */
export const VERBS: Record<string, VmAction> = {
  start: 'start',
  shutdown: 'clean_shutdown',
  reboot: 'clean_reboot',
  'force-shutdown': 'hard_shutdown',
  'force-reboot': 'hard_reboot',
  suspend: 'suspend',
  resume: 'resume',
};

const USAGE = `usage: porthole vm ${Object.keys(VERBS).join('|')} <name|uuid> [--pool N] [--password-stdin]\n`;

/** Runs `porthole vm …`. */
export async function run(args: string[], io: CliIo): Promise<number> {
  let parsed: { values: { pool?: string; 'password-stdin'?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: { pool: { type: 'string' }, 'password-stdin': { type: 'boolean' } }, allowPositionals: true });
  } catch (error) {
    throw new PortholeError('INVALID_ARGUMENT', `${(error as Error).message}\n${USAGE}`);
  }
  const [verb, target, ...extra] = parsed.positionals;
  const action = verb === undefined ? undefined : VERBS[verb];
  if (action === undefined || target === undefined || extra.length > 0) {
    io.stderr.write(USAGE);
    return 2;
  }
  const manager = await openManager(io);
  try {
    await connectPools(manager, io, selectPools(manager, parsed.values.pool), parsed.values['password-stdin'] === true);
    const vm = findVm(manager, target);
    await manager.vmAction(vm.poolId, vm.uuid, action);
    io.stdout.write(`${ACTION_LABEL[action]} "${vm.name}": done.\n`);
    return 0;
  } finally {
    await manager.close();
  }
}
