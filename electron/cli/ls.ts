/**
 * `porthole ls [--json] [--pool N] [--password-stdin]`: connects each configured pool (or one) and
 * prints the tree pools → hosts → VMs (running VMs under their host, the others under the pool), built
 * by the same `shared/tree.ts` the window uses. `--json` prints
 * `[{ id, name, hosts: [{ uuid, name, address, vms: [VM] }], vms: [VM] }]` with
 * VM = `{ uuid, name, power_state, resident_host }` (resident_host is the host name, or null).
 */
import { parseArgs } from 'node:util';
import { PortholeError } from '../../shared/errors';
import type { InventoryNode, VmNode } from '../../shared/inventory';
import { buildTree, type TreeItem } from '../../shared/tree';
import type { CliIo } from './io';
import { connectPools, openManager, selectPools } from './session';

interface VmJson {
  uuid: string;
  name: string;
  power_state: string;
  resident_host: string | null;
}

function vmJson(vm: VmNode, hostName: string | null): VmJson {
  return { uuid: vm.uuid, name: vm.name, power_state: vm.powerState, resident_host: hostName };
}

/** The JSON form of one pool's subtree. */
export function poolJson(item: TreeItem): unknown {
  const hosts: unknown[] = [];
  const vms: VmJson[] = [];
  for (const child of item.children) {
    if (child.node.kind === 'host') {
      const host = child.node;
      hosts.push({ uuid: host.uuid, name: host.name, address: host.address, vms: child.children.map((c) => vmJson(c.node as VmNode, host.name)) });
    } else if (child.node.kind === 'vm') {
      vms.push(vmJson(child.node, null));
    }
  }
  return { id: item.node.poolId, name: item.node.name, hosts, vms };
}

function line(node: InventoryNode): string {
  if (node.kind === 'vm') return `${node.name}  [${node.powerState}]  ${node.uuid}${node.ip === undefined ? '' : `  ${node.ip}`}`;
  if (node.kind === 'host') return `${node.name}  ${node.address}${node.enabled ? '' : '  (disabled)'}`;
  return node.name;
}

function printTree(io: CliIo, items: readonly TreeItem[], depth: number): void {
  for (const item of items) {
    io.stdout.write(`${'  '.repeat(depth)}${line(item.node)}\n`);
    printTree(io, item.children, depth + 1);
  }
}

/** The command's usage text (`--help`). */
export const USAGE = 'usage: porthole ls [--json] [--pool N] [--password-stdin]\n';

/** Runs `porthole ls`. */
export async function run(args: string[], io: CliIo): Promise<number> {
  let values: { json?: boolean; pool?: string; 'password-stdin'?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { json: { type: 'boolean' }, pool: { type: 'string' }, 'password-stdin': { type: 'boolean' } }, allowPositionals: false }));
  } catch (error) {
    throw new PortholeError('INVALID_ARGUMENT', `${(error as Error).message}\n${USAGE}`);
  }
  const manager = await openManager(io);
  try {
    const pools = selectPools(manager, values.pool);
    if (pools.length === 0) {
      if (values.json === true) io.stdout.write('[]\n');
      else io.stdout.write('No pools. Add one with: porthole pool add --name N --address A --user U\n');
      return 0;
    }
    await connectPools(manager, io, pools, values['password-stdin'] === true);
    const tree = buildTree(manager.snapshot().nodes);
    if (values.json === true) io.stdout.write(JSON.stringify(tree.map(poolJson), null, 2) + '\n');
    else printTree(io, tree, 0);
    return 0;
  } finally {
    await manager.close();
  }
}
