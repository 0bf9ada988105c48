// The `porthole` CLI end to end: real processes against the simulator, one exit code per failure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../electron/sim/index';
import type { Simulator } from '../../electron/sim/types';
import { EXIT_CODES } from '../../electron/cli/io';

const root = join(import.meta.dirname, '../..');
let sim: Simulator;
let dir: string;

before(async () => {
  sim = await startSimulator({ hosts: 2, vms: 4, vnc: 'synthetic', powerOpMs: 50 });
  dir = await mkdtemp(join(tmpdir(), 'porthole-cli-'));
});
after(async () => {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function porthole(args: string[], opts: { password?: string; stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORTHOLE_CONFIG_DIR: dir, PORTHOLE_LOG: 'silent', ...opts.env };
  delete env.PORTHOLE_PASSWORD;
  if (opts.password !== undefined) env.PORTHOLE_PASSWORD = opts.password;
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'electron/cli/porthole.ts'), ...args], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(opts.stdin ?? '');
  return new Promise((resolve) => child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

const master = (): string => `${sim.hosts[0]!.address}:${sim.port}`;

test('porthole CLI end to end', async (t) => {
  await t.test('add, untrusted, trust', async () => {
    const add = await porthole(['pool', 'add', '--name', 'lab', '--address', master(), '--user', sim.user]);
    assert.equal(add.code, 0, add.stderr);
    const logins = sim.stats().loginAttempts;
    const ls = await porthole(['ls'], { password: sim.password });
    assert.equal(ls.code, EXIT_CODES.CERT_UNTRUSTED, ls.stderr);
    assert.match(ls.stderr, /pool trust "lab"/);
    assert.equal(sim.stats().loginAttempts, logins, 'no login to an untrusted host');
    const noTty = await porthole(['pool', 'trust', 'lab']);
    assert.equal(noTty.code, EXIT_CODES.CERT_UNTRUSTED);
    assert.ok(noTty.stdout.includes(sim.hosts[0]!.fingerprint), 'the fingerprint is shown');
    const yes = await porthole(['pool', 'trust', 'lab', '--yes']);
    assert.equal(yes.code, 0, yes.stderr);
  });

  await t.test('ls --json: pools → hosts → VMs', async () => {
    const ls = await porthole(['ls', '--json'], { password: sim.password });
    assert.equal(ls.code, 0, ls.stderr);
    const pools = JSON.parse(ls.stdout) as { name: string; hosts: { name: string; vms: { uuid: string; power_state: string; resident_host: string }[] }[]; vms: { uuid: string; power_state: string }[] }[];
    assert.equal(pools.length, 1);
    assert.equal(pools[0]!.hosts.length, 2);
    const all = [...pools[0]!.hosts.flatMap((h) => h.vms.map((v) => ({ ...v, host: h.name }))), ...pools[0]!.vms.map((v) => ({ ...v, host: null }))];
    assert.equal(all.length, 4);
    for (const v of all) {
      const real = sim.vm(v.uuid);
      assert.equal(v.power_state, real.powerState);
      if (v.host !== null) assert.equal(sim.hosts.find((h) => h.name === v.host)?.ref, real.residentOn);
    }
  });

  await t.test('ls --json with DEBUG=* and PORTHOLE_LOG=debug: stdout is the JSON alone, no session id anywhere', async () => {
    const ls = await porthole(['ls', '--json'], { password: sim.password, env: { DEBUG: '*', NODE_DEBUG: '', PORTHOLE_LOG: 'debug' } });
    assert.equal(ls.code, 0, ls.stderr);
    assert.doesNotThrow(() => JSON.parse(ls.stdout), `stdout is JSON: ${ls.stdout.slice(0, 300)}`);
    assert.match(ls.stderr, /\[xen-api\] .*session\.login_with_password/, "xen-api's debug lines go to our log");
    for (const [name, text] of [['stdout', ls.stdout], ['stderr', ls.stderr]] as const) {
      assert.doesNotMatch(text, /OpaqueRef:[0-9a-f]{8}-/i, `no opaque ref (session id) on ${name}`);
      assert.ok(!text.includes(sim.password), `no password on ${name}`);
    }
  });

  await t.test('wrong password: its own exit code, one login, no retries', async () => {
    const logins = sim.stats().loginAttempts;
    const r = await porthole(['ls'], { password: 'wrong' });
    assert.equal(r.code, EXIT_CODES.WRONG_PASSWORD, r.stderr);
    assert.equal(sim.stats().loginAttempts, logins + 1);
    assert.ok(!r.stderr.includes('wrong'), 'the password is not echoed');
  });

  await t.test('vm actions: done, not allowed, unknown VM (password from stdin)', async () => {
    const first = sim.vm((JSON.parse((await porthole(['ls', '--json'], { password: sim.password })).stdout) as { hosts: { vms: { uuid: string }[] }[] }[])[0]!.hosts.flatMap((h) => h.vms)[0]!.uuid);
    // Make it halted as another client would, so the CLI can start it.
    if (first.powerState !== 'Halted') await sim.act(first.uuid, 'hard_shutdown');
    const target = sim.vm(first.uuid);
    assert.equal(target.powerState, 'Halted');
    const start = await porthole(['vm', 'start', target.name, '--password-stdin'], { stdin: `${sim.password}\n` });
    assert.equal(start.code, 0, start.stderr);
    assert.equal(sim.vm(target.uuid).powerState, 'Running');
    const again = await porthole(['vm', 'start', target.uuid], { password: sim.password });
    assert.equal(again.code, EXIT_CODES.OPERATION_NOT_ALLOWED, again.stderr);
    const unknown = await porthole(['vm', 'force-shutdown', 'no-such-vm'], { password: sim.password });
    assert.equal(unknown.code, EXIT_CODES.UNKNOWN_VM, unknown.stderr);
    const stop = await porthole(['vm', 'force-shutdown', target.uuid], { password: sim.password });
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(sim.vm(target.uuid).powerState, 'Halted');
  });

  await t.test('unreachable host', async () => {
    const add = await porthole(['pool', 'add', '--name', 'gone', '--address', `127.0.0.99:${sim.port}`, '--user', 'root', '--trust-fingerprint', sim.hosts[0]!.fingerprint]);
    assert.equal(add.code, 0, add.stderr);
    const r = await porthole(['ls', '--pool', 'gone'], { password: 'x' });
    assert.equal(r.code, EXIT_CODES.HOST_UNREACHABLE, r.stderr);
    const list = JSON.parse((await porthole(['pool', 'list', '--json'])).stdout) as { name: string; certificates: { source: string }[] }[];
    assert.deepEqual(list.map((p) => p.name), ['lab', 'gone']);
    assert.equal((await porthole(['pool', 'remove', 'gone'])).code, 0);
    assert.equal((await porthole(['pool', 'remove', 'gone'])).code, EXIT_CODES.UNKNOWN_POOL);
  });

  await t.test('changed certificate: refused by ls and by pool trust', async () => {
    await sim.faults.rotateCertificate(sim.hosts[0]!.name);
    const logins = sim.stats().loginAttempts;
    const ls = await porthole(['ls'], { password: sim.password });
    assert.equal(ls.code, EXIT_CODES.CERT_CHANGED, ls.stderr);
    assert.equal(sim.stats().loginAttempts, logins);
    const trust = await porthole(['pool', 'trust', 'lab', '--yes']);
    assert.equal(trust.code, EXIT_CODES.CERT_CHANGED, trust.stderr);
    const forget = await porthole(['pool', 'trust', 'lab', '--yes', '--forget', sim.hosts[0]!.address]);
    assert.equal(forget.code, 0, forget.stderr);
    assert.equal((await porthole(['ls'], { password: sim.password })).code, 0);
  });

  const config = await readFile(join(dir, 'config.json'), 'utf8');
  assert.ok(!config.includes(sim.password), 'the CLI never stores the password');
});
