/**
 * Child process for the config-store kill test: saves configs in a tight loop until killed. Each config
 * carries a payload and its own checksum so the parent can tell a whole file from a torn one.
 * Usage: tsx test/core/config-writer.ts <dir>
 */
import { createHash } from 'node:crypto';
import { ConfigStore, emptyConfig } from '../../electron/core/config-store';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: config-writer <dir>');
const store = new ConfigStore(dir);
await store.load();
let announced = false;
for (let i = 0; ; i++) {
  const data = emptyConfig();
  // Sizes vary so a torn write would show as a short or mixed file (~20-200 kB).
  const payload = String(i).repeat(2_000 + (i % 7) * 4_000);
  const sum = createHash('sha256').update(payload).digest('hex');
  data.pools.push({ id: `p${i}`, name: sum, address: payload, username: 'root', pins: [] });
  await store.save(data);
  if (!announced) {
    // The parent starts its random wait once a whole file exists.
    process.stdout.write('ready\n');
    announced = true;
  }
}
