// The bridge's send window against a real browser. The bridge stops reading a console once a page has
// not acknowledged a window of bytes, and the acknowledgement is the pong that the page's WebSocket
// sends by itself. So a Chromium page reading a stream sixty-four windows long gets all of it, byte
// for byte, only if Chromium answers those pings as it reads. Without that, the stream would stop
// after the first window.
import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBridge } from '../../electron/core/bridge';
import { launchBrowser } from '../e2e/support';
import { needTools } from '../support/tools';
import { FakeSource, startConsoleServer, upstreamAt } from './support/console-server';
import { startPatternConsole } from './support/pattern';

const WINDOW = 256 * 1024;
const TOTAL = 64 * WINDOW;

describe('the send window in Chromium', { skip: needTools('chromium') }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('a Chromium page reads a console 64 send windows long: every byte arrives, acknowledged by its own pongs', async () => {
    const pattern = startPatternConsole(TOTAL);
    const server = await startConsoleServer(() => pattern.answer());
    cleanups.push(() => server.close());
    // The page's origin: a blank page on loopback.
    const pageServer = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>page</title>'));
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => pageServer.close(() => resolve())));
    const origin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
    const bridge = await createBridge({ allowedOrigins: [origin], sendWindowBytes: WINDOW });
    cleanups.push(() => bridge.close());
    const source = new FakeSource(upstreamAt(server.port));
    source.pins.set(`127.0.0.1:${server.port}`, server.fingerprint);
    const ticket = await bridge.openConsole(source, { poolId: 'p1', vmUuid: upstreamAt(server.port).vmUuid, protocol: 'rfb' });
    const browser = await launchBrowser();
    cleanups.push(() => browser.close());
    await browser.page.goto(`${origin}/`);
    const got = await browser.page.evaluate(
      async ({ url, total }) => {
        const parts: Uint8Array[] = [];
        let bytes = 0;
        await new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(url);
          ws.binaryType = 'arraybuffer';
          ws.onmessage = (e: { data: ArrayBuffer }) => {
            parts.push(new Uint8Array(e.data));
            bytes += e.data.byteLength;
            if (bytes >= total) resolve();
          };
          ws.onclose = (e) => (bytes >= total ? resolve() : reject(new Error(`closed (${e.code} ${e.reason}) after ${bytes} bytes`)));
        });
        const all = new Uint8Array(bytes);
        let at = 0;
        for (const p of parts) {
          all.set(p, at);
          at += p.length;
        }
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
        return { bytes, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('') };
      },
      { url: ticket.url, total: TOTAL },
    );
    assert.equal(got.bytes, TOTAL);
    assert.equal(got.sha256, pattern.sent.digest('hex'));
  });
});
