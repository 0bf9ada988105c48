// The vt100 text console: getty banner, echo with a pty-like line discipline, the login flow and
// the tiny shell, and stop() closing every session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { startTextConsole } from './text-console';
import { GLYPH_ART } from './font';

/** Collects what a stream sends and waits for text to appear. */
function reader(stream: Duplex): { text: () => string; waitFor: (s: string) => Promise<void> } {
  let text = '';
  const waiters = new Set<() => void>();
  stream.on('data', (d: Buffer) => {
    text += d.toString('utf8');
    for (const w of waiters) w();
  });
  return {
    text: () => text,
    waitFor: (s) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${JSON.stringify(s)} in ${JSON.stringify(text)}`)), 2000);
        const check = (): void => {
          if (text.includes(s)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

test('text console: banner, echo, login flow, shell, logout', async () => {
  const con = await startTextConsole({ name: 'pv-guest' });
  try {
    const s = await con.connect();
    const r = reader(s);
    await r.waitFor('\r\npv-guest login: ');
    assert.ok(r.text().startsWith('\r\n'));
    s.write('rooz\x7ft\r');
    await r.waitFor('Password: ');
    assert.ok(r.text().includes('rooz\b \bt\r\n'), 'typed characters and the erase are echoed');
    s.write('secret\r');
    await r.waitFor('root@pv-guest:~# ');
    assert.ok(!r.text().includes('secret'), 'the password is not echoed');
    s.write('echo hello there\r\n');
    await r.waitFor('echo hello there\r\nhello there\r\n');
    s.write('frobnicate\r');
    await r.waitFor('-sh: frobnicate: command not found\r\n');
    s.write('exit\r');
    await r.waitFor('exit\r\n\r\nPorthole simulated guest pv-guest hvc0\r\n\r\npv-guest login: ');
    // CR LF counted as one line end: exactly one new prompt per line.
    assert.equal(r.text().split('root@pv-guest:~# ').length - 1, 3);
  } finally {
    await con.stop();
  }
});

test('text console: each connection has its own session; stop() closes them', async () => {
  const con = await startTextConsole({ name: 'dom0' });
  const a = await con.connect();
  const b = await con.connect();
  await reader(a).waitFor('dom0 login: ');
  await reader(b).waitFor('dom0 login: ');
  assert.equal(con.sessions, 2);
  const closed = Promise.all([a, b].map((s) => new Promise<void>((resolve) => s.once('close', () => resolve()))));
  await con.stop();
  await closed;
  assert.equal(con.sessions, 0);
  await assert.rejects(con.connect(), /stopped/);
});

test('font: every printable ASCII character has a 5x7 glyph', () => {
  for (let c = 0x20; c <= 0x7e; c++) {
    const art = GLYPH_ART[String.fromCharCode(c)];
    assert.ok(art !== undefined, `glyph for ${String.fromCharCode(c)}`);
    const rows = art.split(' ');
    assert.equal(rows.length, 7, `rows of ${String.fromCharCode(c)}`);
    for (const row of rows) assert.match(row, /^[.#]{5}$/);
  }
});
