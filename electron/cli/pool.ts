/**
 * `porthole pool add|list|remove|trust`: manage the configured pools and their pinned certificates.
 *
 * - `add --name N --address A --user U [--trust-fingerprint FP | --trust-on-first-use]`: records the
 *   pool (no password is stored). `--trust-on-first-use` pins whatever certificate the address shows
 *   now (printed); `--trust-fingerprint` pins the given one (compared on every connection).
 * - `trust N [--yes] [--forget ADDRESS]`: shows the address' certificate and asks y/N on a terminal.
 *   A changed certificate is never accepted here: `--forget ADDRESS` must first remove the old pin
 *   explicitly (the same rule as the app's dialog).
 */
import { parseArgs } from 'node:util';
import { PortholeError } from '../../shared/errors';
import { parseAddress } from '../core/pins';
import { probeCertificate, type CertificateDetails } from '../core/tls-pin';
import type { CliIo } from './io';
import { confirm, findPool, openManager } from './session';

/** The command's usage text (`--help`). */
export const USAGE = `usage:
  porthole pool add --name N --address HOST[:PORT] --user U [--trust-fingerprint FP | --trust-on-first-use]
  porthole pool list [--json]
  porthole pool remove N
  porthole pool trust N [--yes] [--forget ADDRESS]
`;

function describe(cert: CertificateDetails): string {
  return `  fingerprint (SHA-256): ${cert.fingerprint}\n  subject: ${cert.subject}\n  issuer:  ${cert.issuer}\n  valid:   ${cert.validFrom} → ${cert.validTo}\n`;
}

/** Runs `porthole pool …`. */
export async function run(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add':
      return add(rest, io);
    case 'list':
      return list(rest, io);
    case 'remove':
      return remove(rest, io);
    case 'trust':
      return trust(rest, io);
    default:
      io.stderr.write(USAGE);
      return 2;
  }
}

function parse<R>(fn: () => R): R {
  try {
    return fn();
  } catch (error) {
    throw new PortholeError('INVALID_ARGUMENT', `${(error as Error).message}\n${USAGE}`);
  }
}

async function add(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(() =>
    parseArgs({
    args,
    options: {
      name: { type: 'string' },
      address: { type: 'string' },
      user: { type: 'string' },
      'trust-fingerprint': { type: 'string' },
      'trust-on-first-use': { type: 'boolean' },
    },
    allowPositionals: false,
  }),
  );
  const { name, address, user } = values;
  if (name === undefined || address === undefined || user === undefined) throw new PortholeError('INVALID_ARGUMENT', `pool add needs --name, --address and --user.\n${USAGE}`);
  if (values['trust-fingerprint'] !== undefined && values['trust-on-first-use'] === true) {
    throw new PortholeError('INVALID_ARGUMENT', 'Use either --trust-fingerprint or --trust-on-first-use.');
  }
  const { host, port } = parseAddress(address);
  let probed: CertificateDetails | undefined;
  if (values['trust-on-first-use'] === true) probed = await probeCertificate({ host, port });
  const manager = await openManager(io);
  try {
    const id = await manager.add({ name, address, username: user, remember: false });
    if (values['trust-fingerprint'] !== undefined) manager.pinFingerprint(id, host, values['trust-fingerprint']);
    if (probed !== undefined) {
      manager.pinFingerprint(id, host, probed.fingerprint, probed);
      io.stdout.write(`Trusted on first use: ${host}\n${describe(probed)}`);
    }
    io.stdout.write(`Added pool "${name}" (${id}).\n`);
    if (probed === undefined && values['trust-fingerprint'] === undefined) io.stdout.write(`Its certificate is not trusted yet: run porthole pool trust "${name}".\n`);
    return 0;
  } finally {
    await manager.close();
  }
}

async function list(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(() => parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: false }));
  const manager = await openManager(io);
  try {
    const pools = manager.list().map((p) => ({ id: p.id, name: p.name, address: p.address, username: p.username, certificates: manager.certificates(p.id) }));
    if (values.json === true) {
      io.stdout.write(JSON.stringify(pools, null, 2) + '\n');
      return 0;
    }
    if (pools.length === 0) io.stdout.write('No pools. Add one with: porthole pool add --name N --address A --user U\n');
    for (const p of pools) {
      io.stdout.write(`${p.name}  ${p.address}  user ${p.username}  (${p.id})\n`);
      for (const c of p.certificates) io.stdout.write(`  ${c.address.padEnd(16)} ${c.fingerprint}  ${c.source === 'user' ? 'trusted by you' : 'reported by the pool'}\n`);
      if (p.certificates.length === 0) io.stdout.write('  (no trusted certificate yet)\n');
    }
    return 0;
  } finally {
    await manager.close();
  }
}

async function remove(args: string[], io: CliIo): Promise<number> {
  const { positionals } = parse(() => parseArgs({ args, options: {}, allowPositionals: true }));
  const name = positionals[0];
  if (name === undefined || positionals.length > 1) throw new PortholeError('INVALID_ARGUMENT', `pool remove takes one pool name.\n${USAGE}`);
  const manager = await openManager(io);
  try {
    const pool = findPool(manager, name);
    await manager.remove(pool.id);
    io.stdout.write(`Removed pool "${pool.name}".\n`);
    return 0;
  } finally {
    await manager.close();
  }
}

async function trust(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(() => parseArgs({ args, options: { yes: { type: 'boolean', short: 'y' }, forget: { type: 'string' } }, allowPositionals: true }));
  const name = positionals[0];
  if (name === undefined || positionals.length > 1) throw new PortholeError('INVALID_ARGUMENT', `pool trust takes one pool name.\n${USAGE}`);
  const manager = await openManager(io);
  try {
    const pool = findPool(manager, name);
    if (values.forget !== undefined) {
      manager.forgetCertificate(pool.id, values.forget);
      io.stdout.write(`Removed the pinned certificate of ${values.forget}.\n`);
    }
    const { host, port } = parseAddress(pool.address);
    const cert = await probeCertificate({ host, port });
    const pinned = manager.certificates(pool.id).find((c) => c.address === host);
    io.stdout.write(`${host} presents:\n${describe(cert)}`);
    if (pinned?.fingerprint === cert.fingerprint) {
      io.stdout.write('This certificate is already trusted.\n');
      return 0;
    }
    if (pinned !== undefined) {
      // A changed certificate is a hard stop; removing the old pin is a separate, explicit step.
      throw new PortholeError(
        'CERT_CHANGED',
        `The certificate of ${host} CHANGED (pinned ${pinned.fingerprint}). Not trusting it. If the change is expected, run: porthole pool trust "${pool.name}" --forget ${host}`,
        { host, fingerprint: cert.fingerprint, previousFingerprint: pinned.fingerprint },
      );
    }
    const yes = values.yes === true || (await confirm(io, 'Trust this certificate?'));
    if (!yes) {
      throw new PortholeError('CERT_UNTRUSTED', io.stdin.isTTY === true ? 'Not trusted.' : 'Not trusted (no terminal to ask on; compare the fingerprint and pass --yes).');
    }
    manager.pinFingerprint(pool.id, host, cert.fingerprint, cert);
    io.stdout.write(`Trusted ${host}.\n`);
    return 0;
  } finally {
    await manager.close();
  }
}
