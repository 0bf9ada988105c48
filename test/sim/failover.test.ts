/**
 * Pool membership and transports: HOST_IS_SLAVE (followed by xen-api, with the master's fingerprint
 * header when asked), a master failover, HOST_STILL_BOOTING, certificate rotation, the XML-RPC path
 * (forced with `transport: 'xml-rpc'`) and the `npm run sim` CLI.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { request } from 'undici';
import { startSimulator } from '../../electron/sim';
import { OWN_DUMPS_DIR, jsonRpc, login, makeXapi, ok, resetDispatcher, simDispatcher } from './support';

const DUMP = join(OWN_DUMPS_DIR, 'three-host-pool.xml');

describe('pool membership', () => {
  test('a member answers HOST_IS_SLAVE [master]; xen-api follows it', async (t) => {
    const sim = await startSimulator({ db: DUMP, powerOpMs: 20 });
    t.after(() => sim.stop());
    const [master, member] = sim.hosts;
    const memberUrl = `https://${member!.address}:${sim.port}`;
    assert.deepEqual(await jsonRpc(sim, 'session.login_with_password', [sim.user, sim.password], memberUrl), { ok: false, code: 'HOST_IS_SLAVE', params: [master!.address] });
    // The thumbprint header, on request.
    const res = await request(new URL('/jsonrpc', memberUrl), {
      method: 'POST', dispatcher: simDispatcher(sim),
      headers: { 'content-type': 'application/json', 'x-xenapi-request-host-certificate-thumbprint': 'sha-256:master' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'session.login_with_password', params: ['x', 'y'], id: 1 }),
    });
    await res.body.text();
    assert.equal(res.headers['x-xenapi-response-host-certificate-thumbprint'], master!.fingerprint);
    const xapi = makeXapi(sim, { url: memberUrl, watchEvents: false });
    t.after(() => xapi.disconnect());
    await xapi.connect();
    assert.equal(xapi._url.hostname, master!.address);
  });

  test('failover: the old master goes silent, members name the new one, old sessions are gone', async (t) => {
    const sim = await startSimulator({ db: DUMP, powerOpMs: 20 });
    t.after(() => sim.stop());
    const [oldMaster, next, third] = sim.hosts;
    const oldSession = await login(sim);
    await sim.faults.failover(next!.name);
    assert.equal(sim.masterUrl, `https://${next!.address}:${sim.port}`);
    await assert.rejects(jsonRpc(sim, 'session.login_with_password', [sim.user, sim.password], `https://${oldMaster!.address}:${sim.port}`));
    const thirdUrl = `https://${third!.address}:${sim.port}`;
    assert.deepEqual(await jsonRpc(sim, 'session.login_with_password', [sim.user, sim.password], thirdUrl), { ok: false, code: 'HOST_IS_SLAVE', params: [next!.address] });
    assert.deepEqual(await jsonRpc(sim, 'VM.get_all', [oldSession], sim.masterUrl), { ok: false, code: 'SESSION_INVALID', params: [oldSession] });
    // A client that remembers the members finds the new master through any of them.
    const xapi = makeXapi(sim, { url: thirdUrl, watchEvents: false });
    t.after(() => xapi.disconnect());
    await xapi.connect();
    assert.equal(xapi._url.hostname, next!.address);
    const pool = Object.values(await xapi.call('pool.get_all_records') as Record<string, { master: string }>)[0];
    assert.equal(pool?.master, next!.ref);
    assert.equal(sim.stats().loginAttempts, 4);
  });

  test('HOST_STILL_BOOTING while booting, then a normal login', async (t) => {
    const sim = await startSimulator({ hosts: 1, vms: 2, powerOpMs: 20 });
    t.after(() => sim.stop());
    // Booting until told otherwise (no race with the clock), then booted.
    sim.faults.stillBooting(sim.hosts[0]!.name, Number.POSITIVE_INFINITY);
    assert.deepEqual(await jsonRpc(sim, 'session.login_with_password', [sim.user, sim.password]), { ok: false, code: 'HOST_STILL_BOOTING', params: [] });
    assert.deepEqual(await jsonRpc(sim, 'session.login_with_password', [sim.user, sim.password]), { ok: false, code: 'HOST_STILL_BOOTING', params: [] });
    sim.faults.stillBooting(sim.hosts[0]!.name, 0);
    assert.ok(ok(await jsonRpc(sim, 'session.login_with_password', [sim.user, sim.password])));
  });

  test('stopHost / startHost and rotateCertificate', async (t) => {
    const sim = await startSimulator({ hosts: 2, vms: 2, powerOpMs: 20 });
    t.after(() => sim.stop());
    const member = sim.hosts[1]!;
    const url = `https://${member.address}:${sim.port}`;
    await sim.faults.stopHost(member.name);
    await assert.rejects(jsonRpc(sim, 'system.listMethods', [], url));
    await sim.faults.startHost(member.name);
    resetDispatcher(sim);
    assert.ok(ok(await jsonRpc(sim, 'system.listMethods', [], url)));
    const old = member.fingerprint;
    const fresh = await sim.faults.rotateCertificate(member.name);
    assert.notEqual(fresh, old);
    assert.match(fresh, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(sim.hosts[1]!.fingerprint, fresh);
    resetDispatcher(sim); // the cached agent trusted only the old certificate
    assert.ok(ok(await jsonRpc(sim, 'system.listMethods', [], url)));
  });
});

describe('XML-RPC', () => {
  test('xen-api with transport xml-rpc: records, an Async task and events', async (t) => {
    const sim = await startSimulator({ db: DUMP, powerOpMs: 30 });
    t.after(() => sim.stop());
    const xapi = makeXapi(sim, { transport: 'xml-rpc' });
    t.after(() => xapi.disconnect());
    await xapi.connect();
    await xapi.objectsFetched;
    const vms = Object.values(xapi.objects.all).filter((o) => o.$type === 'VM');
    assert.ok(vms.length >= 6);
    const win = vms.find((v) => v.name_label === 'win-desktop')!;
    // int64 fields come as strings over XML-RPC, as from xapi; booleans as booleans.
    assert.equal(typeof win.memory_static_max, 'string');
    assert.equal(win.is_a_template, false);
    const halted = sim.vm('centos-halted');
    assert.equal(await xapi.callAsync('VM.start', halted.ref, false, false), '');
    assert.equal(((await xapi.barrier(halted.ref)) as Record<string, unknown>).power_state, 'Running');
  });

  test('POST / answers XML-RPC too; a fault for malformed XML', async (t) => {
    const sim = await startSimulator({ hosts: 1, vms: 1, powerOpMs: 20 });
    t.after(() => sim.stop());
    const post = async (body: string): Promise<{ type: string; text: string }> => {
      const res = await request(new URL('/', sim.masterUrl), { method: 'POST', dispatcher: simDispatcher(sim), headers: { 'content-type': 'text/xml' }, body });
      return { type: String(res.headers['content-type']), text: await res.body.text() };
    };
    const good = await post(`<?xml version="1.0"?><methodCall><methodName>session.login_with_password</methodName><params><param><value>${sim.user}</value></param><param><value><string>wrong</string></value></param></params></methodCall>`);
    assert.equal(good.type, 'text/xml');
    assert.ok(good.text.includes('<name>Status</name><value>Failure</value>'));
    assert.ok(good.text.includes('<value>SESSION_AUTHENTICATION_FAILED</value>'));
    const bad = await post('<methodCall><methodName>x</methodName><params><param><value><int>1.5</int></value></param></params></methodCall>');
    assert.ok(bad.text.includes('XMLRPC_UNMARSHAL_FAILURE'));
  });
});

describe('npm run sim', () => {
  test('prints one JSON line, serves, and stops on SIGTERM', async () => {
    const root = join(import.meta.dirname, '..', '..');
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/sim/cli.ts'), '--hosts', '2', '--vms', '3', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      let err = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (c: string) => (err += c));
      child.stdout.setEncoding('utf8');
      while (!out.includes('\n')) {
        const [chunk] = (await once(child.stdout, 'data')) as [string];
        out += chunk;
      }
      const line = JSON.parse(out.split('\n')[0]!) as { master: string; user: string; password: string; hosts: { name: string; address: string; fingerprint: string }[] };
      assert.match(line.master, /^https:\/\/127\.0\.0\.11:\d+$/);
      assert.equal(line.hosts.length, 2);
      assert.match(line.hosts[0]!.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      assert.equal(line.user, 'root');
      assert.ok(line.password.length >= 8);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0, err);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
