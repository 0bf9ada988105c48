// Inventory nodes from XAPI records, and diffs that carry only the nodes whose value changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PoolInventory, ipOf, osNameOf, allowedActionsOf, sameValue, capText, MAX_NAME_CHARS, MAX_DESCRIPTION_CHARS, MAX_TAGS, type RecordTables } from './inventory-build';
import type { HostNode, VmNode } from './inventory';

function tables(): RecordTables {
  return {
    pool: { 'OpaqueRef:p': { uuid: 'p-uuid', name_label: '', master: 'OpaqueRef:h1' } },
    host: {
      'OpaqueRef:h1': { uuid: 'h1-uuid', name_label: 'alpha', address: '10.0.0.1', enabled: true, control_domain: 'OpaqueRef:dom0a' },
      'OpaqueRef:h2': { uuid: 'h2-uuid', name_label: 'beta', address: '10.0.0.2', enabled: false },
    },
    VM: {
      'OpaqueRef:dom0a': { uuid: 'dom0a-uuid', name_label: 'Control domain on host: alpha', is_control_domain: true, resident_on: 'OpaqueRef:h1', power_state: 'Running', consoles: [] },
      'OpaqueRef:dom0b': { uuid: 'dom0b-uuid', name_label: 'Control domain on host: beta', is_control_domain: true, resident_on: 'OpaqueRef:h2', power_state: 'Running', consoles: [] },
      'OpaqueRef:tpl': { uuid: 'tpl-uuid', name_label: 'Debian template', is_a_template: true, power_state: 'Halted' },
      'OpaqueRef:snap': { uuid: 'snap-uuid', name_label: 'web snapshot', is_a_snapshot: true, power_state: 'Halted' },
      'OpaqueRef:web': {
        uuid: 'web-uuid', name_label: 'web', name_description: 'front end', power_state: 'Running', resident_on: 'OpaqueRef:h1',
        guest_metrics: 'OpaqueRef:gm1', consoles: ['OpaqueRef:c1', 'OpaqueRef:c2'], tags: ['prod'],
        allowed_operations: ['clean_shutdown', 'hard_reboot', 'snapshot', 'clean_reboot', 'hard_shutdown', 'suspend'],
      },
      'OpaqueRef:db': { uuid: 'db-uuid', name_label: 'db', power_state: 'Halted', resident_on: 'OpaqueRef:NULL', guest_metrics: 'OpaqueRef:NULL', consoles: [], tags: [], allowed_operations: ['start', 'export'] },
    },
    VM_guest_metrics: {
      'OpaqueRef:gm1': { os_version: { name: 'Microsoft Windows Server 2019|C:\\Windows|\\Device\\Harddisk0\\Partition2' }, networks: { '0/ipv6/0': 'fe80::1', '0/ip': '192.168.1.5' } },
    },
    console: {
      'OpaqueRef:c1': { uuid: 'c1-uuid', protocol: 'rfb', location: 'https://10.0.0.1/console?uuid=c1-uuid', VM: 'OpaqueRef:web' },
      'OpaqueRef:c2': { uuid: 'c2-uuid', protocol: 'vt100', location: 'https://10.0.0.1/console?uuid=c2-uuid', VM: 'OpaqueRef:web' },
    },
  };
}

function loaded(): PoolInventory {
  const inv = new PoolInventory('P');
  inv.load(tables());
  return inv;
}

test('nodes: templates, snapshots and control domains are not VMs; dom0 is the host console', () => {
  const inv = loaded();
  const { upserts, removes } = inv.takeDiff();
  assert.deepEqual(removes, []);
  const kinds = upserts.map((n) => `${n.kind}:${n.name}`).sort();
  assert.deepEqual(kinds, ['host:alpha', 'host:beta', 'pool:alpha', 'vm:db', 'vm:web']);
  const alpha = upserts.find((n) => n.kind === 'host' && n.name === 'alpha') as HostNode;
  assert.equal(alpha.controlDomainUuid, 'dom0a-uuid');
  const beta = upserts.find((n) => n.kind === 'host' && n.name === 'beta') as HostNode;
  assert.equal(beta.controlDomainUuid, 'dom0b-uuid', 'found through resident_on when host.control_domain is absent');
  assert.equal(beta.enabled, false);
});

test('VM node fields: power, host, OS, IP, tags, actions, consoles', () => {
  const inv = loaded();
  const nodes = inv.takeDiff().upserts;
  const web = nodes.find((n) => n.name === 'web') as VmNode;
  assert.equal(web.id, 'P/OpaqueRef:web');
  assert.equal(web.hostId, 'P/OpaqueRef:h1');
  assert.equal(web.os, 'Microsoft Windows Server 2019');
  assert.equal(web.ip, '192.168.1.5');
  assert.equal(web.description, 'front end');
  assert.deepEqual(web.tags, ['prod']);
  assert.deepEqual(web.allowedActions, ['clean_shutdown', 'clean_reboot', 'hard_shutdown', 'hard_reboot', 'suspend']);
  assert.deepEqual(web.consoles, [{ uuid: 'c1-uuid', protocol: 'rfb' }, { uuid: 'c2-uuid', protocol: 'vt100' }]);
  const db = nodes.find((n) => n.name === 'db') as VmNode;
  assert.equal(db.hostId, undefined);
  assert.equal(db.powerState, 'Halted');
  assert.deepEqual(db.allowedActions, ['start']);
});

test('diffs carry only nodes whose value changed', () => {
  const inv = loaded();
  inv.takeDiff();
  // An event that changes nothing visible (memory) yields an empty diff.
  const web = tables().VM!['OpaqueRef:web'] as Record<string, unknown>;
  inv.applyEvents([{ class: 'vm', operation: 'mod', ref: 'OpaqueRef:web', snapshot: { ...web, memory_target: 1234 } }]);
  assert.deepEqual(inv.takeDiff(), { upserts: [], removes: [] });
  // Power change: only that VM.
  inv.applyEvents([{ class: 'vm', operation: 'mod', ref: 'OpaqueRef:web', snapshot: { ...web, power_state: 'Halted', resident_on: 'OpaqueRef:NULL', allowed_operations: ['start'] } }]);
  const d = inv.takeDiff();
  assert.equal(d.upserts.length, 1);
  const vm = d.upserts[0] as VmNode;
  assert.equal(vm.powerState, 'Halted');
  assert.equal(vm.hostId, undefined);
  // Guest metrics change reaches the VM that uses it.
  inv.applyEvents([{ class: 'vm_guest_metrics', operation: 'mod', ref: 'OpaqueRef:gm1', snapshot: { os_version: { name: 'Debian 12' }, networks: { '0/ipv4/0': '10.1.1.1' } } }]);
  const d2 = inv.takeDiff();
  assert.deepEqual(d2.upserts.map((n) => [n.name, (n as VmNode).os, (n as VmNode).ip]), [['web', 'Debian 12', '10.1.1.1']]);
  // Console removed (as on shutdown): the VM loses it.
  inv.applyEvents([{ class: 'console', operation: 'del', ref: 'OpaqueRef:c2' }]);
  assert.deepEqual((inv.takeDiff().upserts[0] as VmNode).consoles.map((c) => c.protocol), ['rfb']);
  // VM deleted → removal; becoming a template → removal too.
  inv.applyEvents([
    { class: 'vm', operation: 'del', ref: 'OpaqueRef:web' },
    { class: 'VM', operation: 'mod', ref: 'OpaqueRef:db', snapshot: { uuid: 'db-uuid', name_label: 'db', is_a_template: true } },
  ]);
  assert.deepEqual(inv.takeDiff().removes.sort(), ['P/OpaqueRef:db', 'P/OpaqueRef:web']);
  assert.equal(inv.size, 3, "pool and two hosts remain");
});

test('a reload sends only differences and removals', () => {
  const inv = loaded();
  inv.takeDiff();
  const t = tables();
  delete t.VM!['OpaqueRef:db'];
  (t.host!['OpaqueRef:h2'] as Record<string, unknown>).name_label = 'gamma';
  inv.load(t);
  const d = inv.takeDiff();
  assert.deepEqual(d.removes, ['P/OpaqueRef:db']);
  assert.deepEqual(d.upserts.map((n) => n.name), ['gamma']);
  inv.clear();
  assert.equal(inv.takeDiff().removes.length, 4);
  assert.equal(inv.size, 0);
});

test('console lookups', () => {
  const inv = loaded();
  const hit = inv.resolveConsole('web-uuid', 'vt100');
  assert.equal(typeof hit === 'object' && hit.location, 'https://10.0.0.1/console?uuid=c2-uuid');
  assert.equal(inv.resolveConsole('db-uuid', 'rfb'), 'VM_NOT_RUNNING');
  assert.equal(inv.resolveConsole('nope', 'rfb'), 'UNKNOWN_VM');
  assert.equal(inv.resolveConsole('tpl-uuid', 'rfb'), 'UNKNOWN_VM');
  assert.equal(inv.resolveConsole('dom0a-uuid', 'rfb'), 'NO_CONSOLE');
  assert.equal(inv.masterRef(), 'OpaqueRef:h1');
  assert.deepEqual(inv.hosts().map((h) => h.address).sort(), ['10.0.0.1', '10.0.0.2']);
});

test('helpers', () => {
  assert.equal(ipOf({ '1/ip': '10.0.0.9', '0/ipv6/0': 'fe80::2' }), '10.0.0.9');
  assert.equal(ipOf({ '0/ipv6/0': 'fe80::2' }), 'fe80::2');
  assert.equal(ipOf({}), undefined);
  assert.equal(osNameOf({ name: 'CentOS release 5.5 (Final)' }), 'CentOS release 5.5 (Final)');
  assert.equal(osNameOf({ distro: 'debian' }), 'debian');
  assert.equal(osNameOf({}), undefined);
  assert.deepEqual(allowedActionsOf(['resume', 'start', 'pause']), ['start', 'resume']);
  assert.ok(sameValue({ a: [1, { b: 2 }], c: undefined }, { a: [1, { b: 2 }] }));
  assert.ok(!sameValue({ a: [1, 2] }, { a: [2, 1] }));
});

test('huge strings from a host are capped with a visible ellipsis; absurd refs are ignored', () => {
  const huge = 'x'.repeat(5 * 1024 * 1024);
  const t = tables();
  const web = t.VM!['OpaqueRef:web'] as Record<string, unknown>;
  web.name_label = huge;
  web.name_description = huge;
  web.tags = Array.from({ length: 10_000 }, (_, i) => `${i}-${huge.slice(0, 1000)}`);
  (t.host!['OpaqueRef:h1'] as Record<string, unknown>).name_label = huge;
  t.VM![`OpaqueRef:${huge}`] = { uuid: 'evil', name_label: 'evil', power_state: 'Running' };
  const inv = new PoolInventory('P');
  inv.load(t);
  const { upserts } = inv.takeDiff();
  const vm = upserts.find((n): n is VmNode => n.kind === 'vm' && n.uuid === 'web-uuid');
  assert.ok(vm !== undefined);
  assert.equal(vm.name.length, MAX_NAME_CHARS);
  assert.ok(vm.name.endsWith('…'));
  assert.equal(vm.description.length, MAX_DESCRIPTION_CHARS);
  assert.equal(vm.tags.length, MAX_TAGS);
  assert.ok(vm.tags.every((tag) => tag.length <= 128));
  assert.ok(upserts.every((n) => n.name.length <= MAX_NAME_CHARS), 'pool (named after the master) and hosts too');
  assert.equal(upserts.find((n) => n.name === 'evil'), undefined, 'a record with a 5 MB ref is ignored');
  assert.ok(JSON.stringify(upserts).length < 64 * 1024, 'the whole diff stays small');
  inv.applyEvents([{ class: 'VM', operation: 'mod', ref: 'OpaqueRef:web', snapshot: { ...web, name_label: 'y'.repeat(300) } }]);
  assert.equal((inv.takeDiff().upserts[0] as VmNode).name, `${'y'.repeat(MAX_NAME_CHARS - 1)}…`);
  assert.equal(capText('ab😀cd', 4), 'ab…', 'a surrogate pair is never split');
  assert.equal(capText('short', 10), 'short');
});
