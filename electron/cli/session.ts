/**
 * What the pool-talking CLI commands share: opening the pool manager on the config dir, reading the
 * password (`--password-stdin`, `PORTHOLE_PASSWORD`, or a no-echo TTY prompt — never stored),
 * connecting the chosen pools once without waiting for an unreachable host to come back, and finding
 * a VM by uuid or exact name in what they loaded.
 */
import { PortholeError } from '../../shared/errors';
import type { VmNode } from '../../shared/inventory';
import { ConfigStore, defaultConfigDir } from '../core/config-store';
import { PoolManager, type PoolSummaryWithNote } from '../core/pool-manager';
import { SecretStore, memoryOnlyCipher } from '../core/secret-store';
import type { CliIo } from './io';

/** How long a CLI command waits for a pool to connect and load, ms. */
export const CLI_CONNECT_TIMEOUT_MS = 60_000;

/** Opens the manager on `PORTHOLE_CONFIG_DIR` (or the platform folder); the CLI never stores passwords. */
export async function openManager(io: CliIo): Promise<PoolManager> {
  const manager = await PoolManager.open({ store: new ConfigStore(defaultConfigDir(io.env)), secrets: new SecretStore(memoryOnlyCipher) });
  for (const w of manager.warnings) io.stderr.write(`porthole: warning: ${w}\n`);
  return manager;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function prompt(io: CliIo, question: string): Promise<string> {
  const stdin = io.stdin as NodeJS.ReadableStream & { setRawMode?: (on: boolean) => void };
  io.stderr.write(question);
  return new Promise((resolve, reject) => {
    let text = '';
    const setRaw = (on: boolean): void => stdin.setRawMode?.(on);
    setRaw(true);
    stdin.resume();
    const done = (error?: Error): void => {
      stdin.off('data', onData);
      setRaw(false);
      stdin.pause();
      io.stderr.write('\n');
      if (error !== undefined) reject(error);
      else resolve(text);
    };
    const onData = (data: Buffer | string): void => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new PortholeError('NEEDS_PASSWORD', 'Cancelled.'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** Reads the password: `--password-stdin`, then `PORTHOLE_PASSWORD`, then a TTY prompt. */
export async function readPassword(io: CliIo, fromStdin: boolean, label: string): Promise<string> {
  if (fromStdin) return (await readAll(io.stdin)).replace(/\r?\n$/, '');
  const env = io.env.PORTHOLE_PASSWORD;
  if (env !== undefined && env !== '') return env;
  if (io.stdin.isTTY === true) return prompt(io, `Password for ${label}: `);
  throw new PortholeError('NEEDS_PASSWORD', 'A password is needed: use --password-stdin, PORTHOLE_PASSWORD, or run on a terminal.');
}

/** Asks a yes/no question on a TTY (default no). */
export async function confirm(io: CliIo, question: string): Promise<boolean> {
  if (io.stdin.isTTY !== true) return false;
  io.stderr.write(`${question} [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    const onData = (d: Buffer | string): void => {
      io.stdin.off('data', onData);
      io.stdin.pause();
      resolve(d.toString());
    };
    io.stdin.on('data', onData);
    io.stdin.resume();
  });
  return /^\s*y(es)?\s*$/i.test(answer);
}

/** The pool named `nameOrId`, or UNKNOWN_POOL. */
export function findPool(manager: PoolManager, nameOrId: string): PoolSummaryWithNote {
  const pool = manager.find(nameOrId);
  if (pool === undefined) throw new PortholeError('UNKNOWN_POOL', `No pool named "${nameOrId}" (see porthole pool list).`);
  return pool;
}

/** Connects one pool and waits for its inventory; fails at once on trust, password or reachability problems. */
export async function connectOnce(manager: PoolManager, pool: PoolSummaryWithNote, password: string): Promise<void> {
  manager.connect(pool.id, password);
  try {
    await manager.waitReady(pool.id, { failOnRetry: true, timeoutMs: CLI_CONNECT_TIMEOUT_MS });
  } catch (error) {
    if (error instanceof PortholeError && (error.code === 'CERT_UNTRUSTED' || error.code === 'CERT_CHANGED')) {
      const hint =
        error.code === 'CERT_UNTRUSTED'
          ? `Check it and run: porthole pool trust "${pool.name}"`
          : `If the change is expected, remove the old pin: porthole pool trust "${pool.name}" --forget ${error.details?.host ?? pool.address}`;
      throw new PortholeError(error.code, `${pool.name}: ${error.message} ${hint}`, error.details);
    }
    if (error instanceof PortholeError) throw new PortholeError(error.code, `${pool.name}: ${error.message}`, error.details);
    throw error;
  }
}

/** The pools a command works on: the one named by `--pool`, or every configured pool. */
export function selectPools(manager: PoolManager, poolArg: string | undefined): PoolSummaryWithNote[] {
  return poolArg === undefined ? manager.list() : [findPool(manager, poolArg)];
}

/**
 * Reads the password once and connects every pool in `pools` with it; UNKNOWN_POOL when there is none.
 * With several pools (no `--pool`), one that fails (e.g. rejects the shared password) is skipped with
 * a warning instead of aborting the command; only when every pool fails does the first error stand.
 */
export async function connectPools(manager: PoolManager, io: CliIo, pools: readonly PoolSummaryWithNote[], fromStdin: boolean): Promise<void> {
  if (pools.length === 0) throw new PortholeError('UNKNOWN_POOL', 'No pools are configured.');
  const password = await readPassword(io, fromStdin, pools.length === 1 ? (pools[0]?.name ?? 'the pool') : 'the pools');
  if (pools.length === 1) {
    await connectOnce(manager, pools[0] as PoolSummaryWithNote, password);
    return;
  }
  const failures: unknown[] = [];
  for (const pool of pools) {
    try {
      await connectOnce(manager, pool, password);
    } catch (error) {
      failures.push(error);
      io.stderr.write(`porthole: warning: skipping ${error instanceof Error ? error.message : pool.name}\n`);
    }
  }
  if (failures.length === pools.length) throw failures[0];
}

/** The VM whose uuid is `target` (any case), else the one VM named exactly `target`; UNKNOWN_VM or INVALID_ARGUMENT (ambiguous). */
export function findVm(manager: PoolManager, target: string): VmNode {
  const vms = manager.snapshot().nodes.filter((n): n is VmNode => n.kind === 'vm');
  const byUuid = vms.filter((v) => v.uuid.toLowerCase() === target.toLowerCase());
  const matches = byUuid.length > 0 ? byUuid : vms.filter((v) => v.name === target);
  if (matches.length > 1) {
    throw new PortholeError('INVALID_ARGUMENT', `"${target}" names ${matches.length} VMs; use a uuid:\n${matches.map((m) => `  ${m.uuid}  ${m.name}`).join('\n')}`);
  }
  const [vm] = matches;
  if (vm === undefined) throw new PortholeError('UNKNOWN_VM', `No VM named or with uuid "${target}".`);
  return vm;
}
