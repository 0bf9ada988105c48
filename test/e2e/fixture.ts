/**
 * The pool the console end-to-end suite runs against: a real xapi dump when the shared fixtures are
 * there (`xapidb_app.xml`: two hosts, HVM and PV guests, running and halted), else a small generated
 * pool. Either way the first two running guests get real console servers — QEMU for one, Xvnc (an
 * xterm) for the other — and the rest get the in-process synthetic server.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VncKind } from '../../electron/sim/vnc/types';
import { ROOT } from './support';

/** The dump used when present. */
export const FIXTURE_DUMP = join(ROOT, '..', 'shared', 'fixtures', 'xapi-db', 'xapidb_app.xml');

/** A guest VM row of a dump. */
export interface FixtureVm {
  name: string;
  powerState: string;
}

/** What the suite knows of its pool before it starts. */
export interface PoolFixture {
  /** Simulator options for the pool itself (`db` or `hosts`/`vms`). */
  source: { db: string } | { hosts: number; vms: number };
  /** Guest VMs listed in the dump (empty for a generated pool: the tree check then uses the console VMs). */
  vms: FixtureVm[];
}

/** Decodes the XML entities a dump uses in attribute values. */
function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-f]+);/gi, (_m, e: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' };
    if (e.startsWith('#x') || e.startsWith('#X')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number(e.slice(1)));
    return named[e.toLowerCase()] ?? '';
  });
}

/** Guest VMs (not templates, snapshots or control domains) of a dump, from its VM table. */
export function guestVms(xml: string): FixtureVm[] {
  const table = /<table name="VM"\s*>([\s\S]*?)<\/table>/i.exec(xml)?.[1] ?? '';
  const out: FixtureVm[] = [];
  for (const row of table.match(/<row\s[^>]*\/>/g) ?? []) {
    const attrs = new Map<string, string>();
    for (const m of row.matchAll(/([\w]+)="([^"]*)"/g)) attrs.set(m[1]!, unescapeXml(m[2]!));
    if (attrs.get('is_a_template') !== 'false' || attrs.get('is_control_domain') !== 'false' || attrs.get('is_a_snapshot') === 'true') continue;
    out.push({ name: attrs.get('name__label') ?? '', powerState: attrs.get('power_state') ?? '' });
  }
  return out;
}

/** The dump when present, else a generated two-host pool. */
export function loadPoolFixture(): PoolFixture {
  if (existsSync(FIXTURE_DUMP)) {
    const db = readFileSync(FIXTURE_DUMP, 'utf8');
    return { source: { db }, vms: guestVms(db) };
  }
  process.stderr.write(`NOT GENERATED (console end-to-end): the run against ${FIXTURE_DUMP} (absent); using a generated 2-host pool\n`);
  return { source: { hosts: 2, vms: 6 }, vms: [] };
}

/**
 * The per-VM console server choice: the running guests the simulator starts get `order`'s kinds in
 * turn (by default the first `qemu`, the second `xvnc`), the rest (and control domains)
 * `synthetic`. A VM keeps its kind when it restarts.
 */
export class ConsoleAssignment {
  private readonly kinds = new Map<string, VncKind>();

  constructor(private readonly order: readonly VncKind[] = ['qemu', 'xvnc']) {}

  /** The simulator's `vnc` option. */
  readonly choose = (vmName: string, isControlDomain: boolean): VncKind => {
    if (isControlDomain) return 'synthetic';
    let kind = this.kinds.get(vmName);
    if (kind === undefined) {
      const taken = new Set(this.kinds.values());
      kind = this.order.find((k) => !taken.has(k)) ?? 'synthetic';
      this.kinds.set(vmName, kind);
    }
    return kind;
  };

  /** The VM that got `kind`; throws when none did. */
  vmWith(kind: VncKind): string {
    for (const [name, k] of this.kinds) if (k === kind) return name;
    throw new Error(`no running VM was given a ${kind} console`);
  }
}
