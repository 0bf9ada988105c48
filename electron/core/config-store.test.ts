// The config file: atomic writes that survive SIGKILL, 0600/0700 modes, corrupt files kept aside.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore, checkConfig, defaultConfigDir, emptyConfig, type ConfigData } from './config-store';

const root = await mkdtemp(join(tmpdir(), 'porthole-config-'));
after(() => rm(root, { recursive: true, force: true }));

test('save and load round trip with private modes', async () => {
  const dir = join(root, 'roundtrip');
  const store = new ConfigStore(dir);
  assert.deepEqual((await store.load()).data, emptyConfig());
  const data = emptyConfig();
  data.pools.push({ id: 'a', name: 'lab', address: '10.0.0.1', username: 'root', pins: [{ address: '10.0.0.1', fingerprint: 'AA', source: 'user' }] });
  data.ui = { tabs: [], treeWidth: 240 };
  await Promise.all([store.save(emptyConfig()), store.save(data)]);
  const loaded = await store.load();
  assert.deepEqual(loaded.data, data, 'the last save wins');
  assert.deepEqual(loaded.warnings, []);
  if (process.platform !== 'win32') {
    assert.equal((await stat(store.path)).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
  }
  assert.deepEqual((await readdir(dir)).sort(), ['config.json']);
});

test('saves made while a write waits for its turn become one write of the newest data', async () => {
  const store = new ConfigStore(join(root, 'coalesce'));
  await store.load();
  const versions = Array.from({ length: 20 }, (_, i) => {
    const data = emptyConfig();
    data.ui = { tabs: [], treeWidth: 200 + i };
    return data;
  });
  // The first write starts on the next tick; the other 19 saves come before it does.
  await Promise.all(versions.map((v) => store.save(v)));
  assert.equal(store.writes, 1);
  assert.deepEqual((await store.load()).data, versions.at(-1));
  // One save while a write is on its way: it waits for that write, then writes again.
  const first = store.save(versions[0]!);
  await new Promise((r) => setImmediate(r));
  const second = store.save(versions[1]!);
  const third = store.save(versions[2]!);
  await Promise.all([first, second, third]);
  assert.equal(store.writes, 3);
  assert.deepEqual((await store.load()).data, versions[2]);
});

test('a corrupt or unknown-version file is moved aside and reported, not wiped', async () => {
  for (const [name, text] of [['garbage', '{"version":1,"pools":[{'], ['future', JSON.stringify({ version: 99, pools: [], ui: { tabs: [] } })]] as const) {
    const dir = join(root, name);
    const store = new ConfigStore(dir);
    await store.load();
    await writeFile(store.path, text);
    const { data, warnings } = await store.load();
    assert.deepEqual(data, emptyConfig());
    assert.equal(warnings.length, 1);
    const aside = (await readdir(dir)).find((f) => f.startsWith('config.json.corrupt-'));
    assert.ok(aside !== undefined, 'backup exists');
    assert.match(warnings[0]!, new RegExp(aside.replace(/[.]/g, '\\.')));
    assert.equal(await readFile(join(dir, aside), 'utf8'), text, 'backup holds the original bytes');
  }
  assert.match(checkConfig({ version: 1, pools: [{ id: 1 }], ui: { tabs: [] } }) ?? '', /pools/);
});

test('PORTHOLE_CONFIG_DIR overrides the platform folder', () => {
  assert.equal(defaultConfigDir({ PORTHOLE_CONFIG_DIR: '/x/y' }), '/x/y');
  assert.equal(defaultConfigDir({ XDG_CONFIG_HOME: '/cfg' }, 'linux'), '/cfg/Porthole');
  assert.equal(defaultConfigDir({ APPDATA: 'C:\\AppData' }, 'win32'), join('C:\\AppData', 'Porthole'));
});

function checkWhole(data: ConfigData): void {
  const pool = data.pools[0];
  assert.ok(pool !== undefined);
  assert.equal(createHash('sha256').update(pool.address).digest('hex'), pool.name, 'payload matches its checksum');
}

test('a writer killed with SIGKILL mid-write never leaves a torn file', async () => {
  const dir = join(root, 'killed');
  const store = new ConfigStore(dir);
  const rounds = 8;
  for (let round = 0; round < rounds; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../test/core/config-writer.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`writer exited early (${code})`)));
    });
    // Let it write for a random while, then kill it wherever it is.
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 150));
    child.kill('SIGKILL');
    await exited;
    const text = await readFile(store.path, 'utf8');
    const parsed = JSON.parse(text) as ConfigData;
    assert.equal(checkConfig(parsed), undefined);
    checkWhole(parsed);
  }
  const { data, warnings } = await store.load();
  assert.deepEqual(warnings, []);
  checkWhole(data);
});
