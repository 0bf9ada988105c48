// The tree and its diffs for each database dump: the shared four (when present, checked against the
// facts their README states) and the repository's own, served by the simulator over real TLS.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator } from '../../electron/sim/index';
import { parseDump } from '../../electron/sim/dump';
import type { InventoryDiff, VmNode, HostNode } from '../../shared/inventory';
import { buildTree } from '../../shared/tree';
import { connectTrusted } from './helpers';
import { OWN_DUMPS_DIR, SHARED_DUMPS_DIR, reportUngenerated } from '../sim/support';

/** `../shared/` beside the repository (CI has it; a user's clone may not). */
const SHARED = SHARED_DUMPS_DIR;
const OWN = OWN_DUMPS_DIR;

/** What the shared dumps' README says (hosts, real VMs, running, halted, suspended). */
const README_FACTS: Record<string, { hosts: number; vms: number; running: number; halted: number; suspended: number }> = {
  'tampa_poolofone_40.xml': { hosts: 1, vms: 2, running: 2, halted: 0, suspended: 0 },
  'TampaTwoHostPoolSelectioniSCSI.xml': { hosts: 2, vms: 4, running: 4, halted: 0, suspended: 0 },
  'xapidb_app.xml': { hosts: 2, vms: 4, running: 2, halted: 2, suspended: 0 },
  'interesting-development.xml': { hosts: 2, vms: 16, running: 6, halted: 8, suspended: 2 },
};

function dumps(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.xml')).map((f) => join(dir, f)) : [];
}

/** An independent reading of the dump: real VMs by host name (running) or under the pool. */
/** A field as text (dump values of these fields are strings). */
function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function oracle(path: string): { hosts: Map<string, string>; byHost: Map<string, string[]>; poolVms: string[]; dom0: Map<string, string> } {
  const rows = parseDump(readFileSync(path, 'utf8'));
  const hosts = new Map(rows.filter((r) => r.cls.toLowerCase() === 'host').map((r) => [r.ref, text(r.rec.name_label)]));
  const byHost = new Map<string, string[]>([...hosts.values()].map((n) => [n, []]));
  const poolVms: string[] = [];
  const dom0 = new Map<string, string>();
  for (const r of rows.filter((x) => x.cls.toLowerCase() === 'vm')) {
    const flag = (f: string): boolean => r.rec[f] === true || r.rec[f] === 'true';
    const host = hosts.get(text(r.rec.resident_on));
    if (flag('is_control_domain')) {
      if (host !== undefined) dom0.set(host, text(r.rec.uuid));
      continue;
    }
    if (flag('is_a_template') || flag('is_a_snapshot')) continue;
    const running = r.rec.power_state === 'Running' || r.rec.power_state === 'Paused';
    if (running && host !== undefined) byHost.get(host)!.push(text(r.rec.name_label));
    else poolVms.push(text(r.rec.name_label));
  }
  return { hosts, byHost, poolVms, dom0 };
}

const files = [...dumps(SHARED), ...dumps(OWN)];

describe('fixture dumps', () => {
  test('there is at least one dump to check', () => {
    assert.ok(files.length >= 1, 'the repository ships its own dumps');
  });

  reportUngenerated('fixture dumps', (d) => `tree and diffs: ${d}`, test);
  for (const file of files) {
    test(`tree and diffs: ${file.split('/').pop()}`, async (t) => {
      const sim = await startSimulator({ db: file, vnc: 'synthetic', powerOpMs: 30 });
      t.after(() => sim.stop());
      const { manager } = await connectTrusted(t, sim);
      const nodes = manager.snapshot().nodes;
      const tree = buildTree(nodes);
      assert.equal(tree.length, 1, 'one pool');
      const expected = oracle(file);
      const hostItems = tree[0]!.children.filter((c) => c.node.kind === 'host');
      const vmItems = tree[0]!.children.filter((c) => c.node.kind === 'vm');
      assert.deepEqual(hostItems.map((h) => h.node.name).sort(), [...expected.hosts.values()].sort());
      for (const h of hostItems) {
        assert.deepEqual(h.children.map((c) => c.node.name).sort(), (expected.byHost.get(h.node.name) ?? []).sort(), `VMs on ${h.node.name}`);
        assert.equal((h.node as HostNode).controlDomainUuid, expected.dom0.get(h.node.name), `dom0 of ${h.node.name}`);
      }
      assert.deepEqual(vmItems.map((v) => v.node.name).sort(), expected.poolVms.sort());

      const facts = README_FACTS[file.split('/').pop()!];
      const vms = nodes.filter((n): n is VmNode => n.kind === 'vm');
      if (file.startsWith(SHARED) && facts !== undefined) {
        assert.equal(hostItems.length, facts.hosts);
        assert.equal(vms.length, facts.vms);
        assert.equal(vms.filter((v) => v.powerState === 'Running').length, facts.running);
        assert.equal(vms.filter((v) => v.powerState === 'Halted').length, facts.halted);
        assert.equal(vms.filter((v) => v.powerState === 'Suspended').length, facts.suspended);
      }
      for (const v of vms) {
        const simVm = sim.vm(v.uuid);
        assert.deepEqual(v.consoles.map((c) => c.uuid).sort(), simVm.consoles.map((c) => c.uuid).sort(), `consoles of ${v.name}`);
      }

      // A power change elsewhere arrives as diffs that name only that VM.
      const vm = vms.find((v) => v.powerState === 'Halted') ?? vms.find((v) => v.powerState === 'Running');
      if (vm === undefined) return;
      const target = vm.powerState === 'Halted' ? 'Running' : 'Halted';
      const diffs: InventoryDiff[] = [];
      const done = new Promise<void>((resolve) => {
        manager.on('diff', (d) => {
          diffs.push(d);
          if (d.upserts.some((n) => n.id === vm.id && (n as VmNode).powerState === target)) resolve();
        });
      });
      await sim.act(vm.uuid, target === 'Running' ? 'start' : 'hard_shutdown');
      await done;
      assert.deepEqual([...new Set(diffs.flatMap((d) => [...d.upserts.map((n) => n.id), ...d.removes]))], [vm.id]);
    });
  }
});
