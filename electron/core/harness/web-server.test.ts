// Tests the harness transport (HTTP gatekeeping, static files, the WebSocket protocol) over real
// sockets, against a tiny in-file backend: this checks the harness's own logic, not the backend's.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { EventChannel, RequestChannel } from '../../../shared/contract';
import { PortholeError } from '../../../shared/errors';
import { startWebServer, type WebServer } from './web-server';
import type { HarnessBackend } from './api-socket';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request with full control of the path and headers. */
function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket and resolves once open, or rejects with the refusal status. */
function openSocket(url: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`status ${res.statusCode}`));
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

/** Collects every message of a socket and lets a test wait for one matching a predicate. */
function inbox(ws: WebSocket): (match: (m: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>> {
  const seen: Record<string, unknown>[] = [];
  const waiters: { match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    seen.push(message);
    for (const w of waiters.splice(0)) {
      if (w.match(message)) w.resolve(message);
      else waiters.push(w);
    }
  });
  return (match) =>
    new Promise((resolve) => {
      const found = seen.find(match);
      if (found !== undefined) resolve(found);
      else waiters.push({ match, resolve });
    });
}

describe('harness web server', () => {
  let dir: string;
  let server: WebServer;
  let emit: ((channel: EventChannel, payload: unknown) => void) | undefined;
  const calls: { channel: RequestChannel; arg: unknown }[] = [];
  const backend: HarnessBackend = {
    handle(channel, arg) {
      calls.push({ channel, arg });
      if (channel === 'pool:list') return Promise.resolve([{ id: 'p1' }]);
      if (channel === 'pool:remove') return Promise.reject(new PortholeError('UNKNOWN_POOL'));
      if (channel === 'ui:set') return Promise.resolve(undefined);
      return Promise.reject(new Error('secret internal detail /home/user'));
    },
    on(listener) {
      emit = listener;
    },
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'porthole-harness-'));
    const root = join(dir, 'renderer');
    await mkdir(join(root, 'assets'), { recursive: true });
    await writeFile(join(root, 'index.html'), '<!doctype html><title>Porthole</title>');
    await writeFile(join(root, 'assets', 'app.js'), 'export {};');
    await writeFile(join(root, 'assets', 'style.css'), 'body{}');
    await writeFile(join(dir, 'secret.js'), 'outside');
    await symlink(join(dir, 'secret.js'), join(root, 'assets', 'link.js'));
    // A link with a script's name to the page: still a page (the type comes from the real file).
    await symlink(join(root, 'index.html'), join(root, 'assets', 'page.js'));
    server = await startWebServer({ port: 0, rendererDir: root });
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('answers 503 before a backend is attached, even with the token', async () => {
    const token = new URL(server.url).searchParams.get('token')!;
    const res = await get(server.port, `/?token=${token}`);
    assert.equal(res.status, 503);
    await assert.rejects(openSocket(`ws://127.0.0.1:${server.port}/api?token=${token}`, { origin: server.origin }), /status 503/);
    server.attach(backend, 45678);
  });

  test('the URL is loopback and carries a 256-bit token', () => {
    const url = new URL(server.url);
    assert.equal(url.origin, `http://127.0.0.1:${server.port}`);
    const token = url.searchParams.get('token')!;
    assert.ok(Buffer.from(token, 'base64url').length >= 32);
  });

  test('the page needs the token and comes with CSP and nosniff', async () => {
    const token = new URL(server.url).searchParams.get('token')!;
    assert.equal((await get(server.port, '/')).status, 403);
    assert.equal((await get(server.port, '/?token=' + 'A'.repeat(token.length))).status, 403);
    assert.equal((await get(server.port, '/index.html')).status, 403);
    const ok = await get(server.port, `/?token=${token}`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(ok.headers['x-content-type-options'], 'nosniff');
    assert.equal(ok.headers['cache-control'], 'no-store');
    const csp = String(ok.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self';/);
    assert.match(csp, new RegExp(`connect-src ws://127.0.0.1:${server.port} ws://127.0.0.1:45678;`));
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(ok.body, /<title>Porthole<\/title>/);
  });

  test('an encoded or linked name of the page is the page: token needed, CSP sent', async () => {
    const token = new URL(server.url).searchParams.get('token')!;
    for (const path of ['/index%2ehtml', '/index%2Ehtml', '/%69ndex.html', '/assets/../index.html', '/assets/%2e%2e/index.html', '/assets/page.js']) {
      const refused = await get(server.port, path);
      assert.equal(refused.status, 403, `${path} without the token`);
      assert.doesNotMatch(refused.body, /<title>Porthole/, `${path}: no page without the token`);
      const ok = await get(server.port, `${path}?token=${token}`);
      assert.equal(ok.status, 200, path);
      assert.match(String(ok.headers['content-security-policy']), /default-src 'none'/, `${path} carries the CSP`);
      assert.equal(ok.headers['content-type'], 'text/html; charset=utf-8', path);
    }
  });

  test('build assets are public, typed, and cannot escape the build folder', async () => {
    const js = await get(server.port, '/assets/app.js');
    assert.equal(js.status, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['x-content-type-options'], 'nosniff');
    assert.equal((await get(server.port, '/assets/style.css')).headers['content-type'], 'text/css; charset=utf-8');
    assert.equal((await get(server.port, '/assets/%2e%2e/%2e%2e/secret.js')).status, 404);
    assert.equal((await get(server.port, '/assets/..%2f..%2fsecret.js')).status, 404);
    assert.equal((await get(server.port, '/assets/..%5c..%5csecret.js')).status, 404);
    assert.equal((await get(server.port, '/assets/link.js')).status, 404, 'a symlink out of the root is not followed');
    assert.equal((await get(server.port, '/assets/')).status, 404, 'no directory listing');
    assert.equal((await get(server.port, '/assets/%00app.js')).status, 404);
  });

  test('a foreign Host (DNS rebinding) and other methods are refused', async () => {
    const token = new URL(server.url).searchParams.get('token')!;
    assert.equal((await get(server.port, `/?token=${token}`, { host: `localhost:${server.port}` })).status, 403);
    assert.equal((await get(server.port, '/assets/app.js', { host: `evil.example:${server.port}` })).status, 403);
    assert.equal((await get(server.port, '/assets/app.js', {}, 'POST')).status, 405);
    const head = await get(server.port, '/assets/app.js', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  test('the API socket needs token, Origin and Host', async () => {
    const token = new URL(server.url).searchParams.get('token')!;
    const base = `ws://127.0.0.1:${server.port}`;
    await assert.rejects(openSocket(`${base}/api`, { origin: server.origin }), /status 403/);
    await assert.rejects(openSocket(`${base}/api?token=nope`, { origin: server.origin }), /status 403/);
    await assert.rejects(openSocket(`${base}/api?token=${token}`, { origin: 'http://evil.example' }), /status 403/);
    await assert.rejects(openSocket(`${base}/api?token=${token}`, { origin: `http://localhost:${server.port}` }), /status 403/);
    await assert.rejects(openSocket(`${base}/api?token=${token}`, { origin: server.origin, host: `localhost:${server.port}` }), /status 403/);
    await assert.rejects(openSocket(`${base}/other?token=${token}`, { origin: server.origin }), /status 404/);
  });

  test('requests get envelopes; errors keep their code and hide internals; events are pushed', async () => {
    const token = new URL(server.url).searchParams.get('token')!;
    const ws = await openSocket(`ws://127.0.0.1:${server.port}/api?token=${token}`, { origin: server.origin });
    const next = inbox(ws);
    ws.send(JSON.stringify({ id: 1, channel: 'pool:list', arg: null }));
    ws.send(JSON.stringify({ id: 2, channel: 'pool:remove', arg: { id: 'x' } }));
    ws.send(JSON.stringify({ id: 3, channel: 'app:info' }));
    ws.send(JSON.stringify({ id: 4, channel: 'no:such', arg: 1 }));
    ws.send(JSON.stringify({ id: 5, channel: 'ui:set', arg: { tabs: [] } }));
    assert.deepEqual(await next((m) => m.id === 1), { id: 1, result: { ok: true, value: [{ id: 'p1' }] } });
    assert.deepEqual(await next((m) => m.id === 2), { id: 2, result: { ok: false, error: { code: 'UNKNOWN_POOL', message: 'No such pool.' } } });
    const internal = await next((m) => m.id === 3);
    assert.deepEqual(internal, { id: 3, result: { ok: false, error: { code: 'INTERNAL', message: 'Something went wrong inside Porthole.' } } });
    assert.deepEqual(await next((m) => m.id === 4), { id: 4, result: { ok: false, error: { code: 'INVALID_ARGUMENT', message: 'Unknown request channel.' } } });
    assert.deepEqual(await next((m) => m.id === 5), { id: 5, result: { ok: true, value: null } });
    assert.deepEqual(calls.find((c) => c.channel === 'ui:set')?.arg, { tabs: [] });
    assert.equal(calls.some((c) => (c.channel as string) === 'no:such'), false, 'unknown channels never reach the backend');
    emit?.('pool:state', { id: 'p1', state: { kind: 'disconnected' } });
    assert.deepEqual(await next((m) => m.event === 'pool:state'), { event: 'pool:state', payload: { id: 'p1', state: { kind: 'disconnected' } } });
    ws.close();
  });

  test('a frame that is not a request closes the socket with 1008', async () => {
    const token = new URL(server.url).searchParams.get('token')!;
    for (const bad of ['not json', '[1,2]', '{"channel":"pool:list"}', '{"id":"1","channel":"pool:list"}']) {
      const ws = await openSocket(`ws://127.0.0.1:${server.port}/api?token=${token}`, { origin: server.origin });
      const code = await new Promise<number>((resolve) => {
        ws.once('close', (c: number) => resolve(c));
        ws.send(bad);
      });
      assert.equal(code, 1008, `frame ${bad}`);
    }
  });

  test('close ends open API sockets', async () => {
    const token = new URL(server.url).searchParams.get('token')!;
    const ws = await openSocket(`ws://127.0.0.1:${server.port}/api?token=${token}`, { origin: server.origin });
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    await server.close();
    await closed;
    await assert.rejects(get(server.port, '/assets/app.js'));
  });
});
