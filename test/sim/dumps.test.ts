/**
 * Each fixture dump (ours, plus the four real shared dumps when present) served by the simulator and
 * read back with the real `xen-api` client over verified TLS: hosts and VMs match the dump, consoles
 * point at the simulated hosts, and every class xen-api discovers through system.listMethods loads.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startSimulator } from '../../electron/sim';
import type { Simulator } from '../../electron/sim/types';
import { fixtureDumps, makeXapi, reportUngenerated } from './support';

/** Rows of one table, counted straight from the XML text (independent of the simulator's parser). */
function rowsOf(xml: string, table: string): string[] {
  const m = new RegExp(`<table name="${table}">([\\s\\S]*?)</table>`, 'i').exec(xml);
  return m === null ? [] : (m[1] ?? '').split('<row ').slice(1);
}

const dumps = fixtureDumps();

describe('fixture dumps through xen-api', () => {
  test('our own dumps are present', () => {
    assert.ok(dumps.filter((d) => !d.path.includes('/shared/')).length >= 2);
  });

  reportUngenerated('fixture dumps through xen-api', (d) => d, test);
  for (const dump of dumps) {
    test(dump.name, async (t) => {
      const xml = readFileSync(dump.path, 'utf8');
      const hostRows = rowsOf(xml, 'host');
      const realVms = rowsOf(xml, 'VM').filter((r) => r.includes('is_a_template="false"') && r.includes('is_control_domain="false"') && !r.includes('is_a_snapshot="true"'));
      const sim: Simulator = await startSimulator({ db: dump.path, powerOpMs: 20, vnc: 'synthetic' });
      t.after(() => sim.stop());
      const xapi = makeXapi(sim);
      t.after(() => xapi.disconnect());
      await xapi.connect();
      await xapi.objectsFetched;
      const objects = Object.values(xapi.objects.all);
      const hosts = objects.filter((o) => o.$type === 'host');
      assert.equal(hosts.length, hostRows.length);
      assert.deepEqual(hosts.map((h) => h.address).sort(), sim.hosts.map((h) => h.address).sort());
      const vms = objects.filter((o) => o.$type === 'VM' && o.is_a_template === false && o.is_control_domain === false && o.is_a_snapshot !== true);
      assert.equal(vms.length, realVms.length);
      // The master in the pool record is the host the client logged in to.
      const pool = objects.find((o) => o.$type === 'pool');
      const master = hosts.find((h) => h.$ref === pool?.master);
      assert.equal(`https://${String(master?.address)}:${sim.port}`, sim.masterUrl);
      // Every console of a live VM names a simulated host and the right form of query.
      const addresses = new Set(sim.hosts.map((h) => h.address));
      const vmRefs = new Set(objects.filter((o) => o.$type === 'VM').map((o) => o.$ref));
      for (const c of objects.filter((o) => o.$type === 'console')) {
        if (!vmRefs.has(String(c.VM))) continue; // dangling rows are kept as they are
        const loc = new URL(String(c.location));
        assert.ok(addresses.has(loc.hostname), `console location ${loc.href}`);
        assert.equal(loc.pathname, '/console');
        assert.ok(loc.searchParams.has('uuid') || loc.searchParams.has('ref'));
      }
      // Running VMs are resident on a simulated host; halted ones nowhere.
      for (const vm of vms) {
        if (vm.power_state === 'Running') assert.ok(hosts.some((h) => h.$ref === vm.resident_on), `${String(vm.name_label)} resident`);
        if (vm.power_state === 'Halted') assert.equal(vm.resident_on, 'OpaqueRef:NULL');
      }
    });
  }

  test('a generated pool has templates, dom0 per host and mixed power states', async (t) => {
    const sim = await startSimulator({ hosts: 3, vms: 30, powerOpMs: 20 });
    t.after(() => sim.stop());
    const xapi = makeXapi(sim);
    t.after(() => xapi.disconnect());
    await xapi.connect();
    await xapi.objectsFetched;
    const objects = Object.values(xapi.objects.all);
    const vms = objects.filter((o) => o.$type === 'VM');
    assert.equal(vms.filter((v) => v.is_control_domain === true).length, 3);
    assert.ok(vms.some((v) => v.is_a_template === true));
    const real = vms.filter((v) => v.is_control_domain === false && v.is_a_template === false);
    assert.equal(real.length, 30);
    const states = new Set(real.map((v) => v.power_state));
    assert.deepEqual([...states].sort(), ['Halted', 'Running', 'Suspended']);
    const withIp = objects.filter((o) => o.$type === 'VM_guest_metrics' && typeof (o.networks as Record<string, string>)['0/ip'] === 'string');
    assert.ok(withIp.length > 0);
    // Running HVM guests without PV drivers may not shut down cleanly; with drivers they may.
    for (const v of real.filter((x) => x.power_state === 'Running')) {
      const ops = v.allowed_operations as string[];
      assert.ok(ops.includes('hard_shutdown'));
      const drivers = v.guest_metrics !== 'OpaqueRef:NULL';
      if (v.domain_type === 'hvm') assert.equal(ops.includes('clean_shutdown'), drivers, String(v.name_label));
    }
  });
});
