/**
 * `porthole vm start|shutdown|reboot|force-shutdown|force-reboot|suspend|resume <name|uuid> [--pool N]`
 * and `porthole vm migrate <name|uuid> --host H`: finds the VM (by uuid, or by exact name; ambiguous
 * names are refused) in the configured pools, runs the action as a XAPI async task and waits for it,
 * printing its progress (`Migrating web-01 to host-2… 40 %`) on stderr when it moves. An action the VM
 * does not allow now exits with OPERATION_NOT_ALLOWED, an unknown VM with UNKNOWN_VM.
 */
import { parseArgs } from 'node:util';
import { PortholeError } from '../../shared/errors';
import type { TaskInfo } from '../../shared/contract';
import type { HostNode, VmAction } from '../../shared/inventory';
import { ACTION_LABEL, type PoolManager } from '../core/pool-manager';
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

/** The command's usage text (`--help`). */
export const USAGE = `usage: porthole vm ${Object.keys(VERBS).join('|')} <name|uuid> [--pool N] [--password-stdin]
       porthole vm migrate <name|uuid> --host <host name|uuid> [--pool N] [--password-stdin]
`;

/** Runs `porthole vm …`. */
export async function run(args: string[], io: CliIo): Promise<number> {
  let parsed: { values: { pool?: string; host?: string; 'password-stdin'?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: { pool: { type: 'string' }, host: { type: 'string' }, 'password-stdin': { type: 'boolean' } }, allowPositionals: true });
  } catch (error) {
    throw new PortholeError('INVALID_ARGUMENT', `${(error as Error).message}\n${USAGE}`);
  }
  const [verb, target, ...extra] = parsed.positionals;
  const action = verb === undefined ? undefined : VERBS[verb];
  const migrate = verb === 'migrate';
  if ((action === undefined && !migrate) || target === undefined || extra.length > 0) {
    io.stderr.write(USAGE);
    return 2;
  }
  if (migrate && parsed.values.host === undefined) throw new PortholeError('INVALID_ARGUMENT', `vm migrate needs --host.\n${USAGE}`);
  if (!migrate && parsed.values.host !== undefined) throw new PortholeError('INVALID_ARGUMENT', `--host is only for vm migrate.\n${USAGE}`);
  const manager = await openManager(io);
  let lastShown = '';
  const showProgress = (tasks: TaskInfo[]): void => {
    const task = tasks[0];
    if (task === undefined || task.status !== 'pending') return;
    const line = `${task.label}… ${Math.round(task.progress * 100)} %`;
    if (line !== lastShown) io.stderr.write(`${line}\n`);
    lastShown = line;
  };
  manager.on('tasks', showProgress);
  try {
    await connectPools(manager, io, selectPools(manager, parsed.values.pool), parsed.values['password-stdin'] === true);
    const vm = findVm(manager, target);
    if (migrate) {
      const host = findHost(manager, vm.poolId, parsed.values.host ?? '');
      await manager.vmMigrate(vm.poolId, vm.uuid, host.uuid);
      io.stdout.write(`Migrated "${vm.name}" to ${host.name}: done.\n`);
      return 0;
    }
    if (action === undefined) return 2;
    await manager.vmAction(vm.poolId, vm.uuid, action);
    io.stdout.write(`${ACTION_LABEL[action]} "${vm.name}": done.\n`);
    return 0;
  } finally {
    manager.off('tasks', showProgress);
    await manager.close();
  }
}

/** The host of `poolId` named `key` (name, uuid or address); INVALID_ARGUMENT listing the hosts otherwise. */
function findHost(manager: PoolManager, poolId: string, key: string): HostNode {
  const hosts = manager.snapshot().nodes.filter((n): n is HostNode => n.kind === 'host' && n.poolId === poolId);
  const host = hosts.find((h) => h.uuid.toLowerCase() === key.toLowerCase() || h.name === key || h.address === key);
  if (host === undefined) throw new PortholeError('INVALID_ARGUMENT', `No host "${key}" in the VM's pool; its hosts: ${hosts.map((h) => h.name).join(', ')}.`);
  return host;
}
