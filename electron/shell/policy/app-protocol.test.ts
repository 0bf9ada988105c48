import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveAppPath, serveAppRequest } from './app-protocol';

let base: string;
let root: string;
const CSP = "default-src 'none'";

before(() => {
  base = mkdtempSync(join(tmpdir(), 'porthole-proto-'));
  root = join(base, 'renderer');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><p>hi</p>');
  writeFileSync(join(root, 'assets', 'index-abc.js'), 'export {}');
  writeFileSync(join(root, 'assets', 'notes.txt'), 'unknown type');
  writeFileSync(join(base, 'secret.js'), 'outside the root');
  writeFileSync(join(base, 'renderer-evil.js'), 'sibling with a shared prefix');
  symlinkSync(join(base, 'secret.js'), join(root, 'assets', 'out.js'));
  base = realpathSync(base);
  root = realpathSync(root);
});
after(() => rmSync(base, { recursive: true, force: true }));

test('files below the root resolve with their content type', async () => {
  assert.deepEqual(await resolveAppPath(root, 'app://porthole/'), { kind: 'file', path: join(root, 'index.html'), contentType: 'text/html; charset=utf-8', page: true });
  assert.deepEqual(await resolveAppPath(root, 'app://porthole/index%2ehtml'), { kind: 'file', path: join(root, 'index.html'), contentType: 'text/html; charset=utf-8', page: true });
  assert.deepEqual(await resolveAppPath(root, 'app://porthole/assets/index-abc.js?v=1#x'), {
    kind: 'file',
    path: join(root, 'assets', 'index-abc.js'),
    contentType: 'text/javascript; charset=utf-8',
    page: false,
  });
});

test('path traversal, symlinks out, other hosts, odd encodings and unknown types are refused', async () => {
  const cases: [string, number][] = [
    ['app://porthole/..%2fsecret.js', 403],
    ['app://porthole/%2e%2e%2fsecret.js', 403],
    ['app://porthole/assets/..%2F..%2Fsecret.js', 403],
    ['app://porthole/..%2frenderer-evil.js', 403],
    ['app://porthole/..%5csecret.js', 400],
    ['app://porthole/index.html%00.js', 400],
    ['app://porthole/%E0%A4%A', 400],
    ['app://other/index.html', 403],
    ['https://porthole/index.html', 403],
    ['app://porthole/assets/notes.txt', 404],
    ['app://porthole/assets/out.js', 403],
    ['app://porthole/nope.js', 404],
    ['app://porthole/assets', 404],
    ['not a url', 400],
  ];
  for (const [url, status] of cases) assert.deepEqual(await resolveAppPath(root, url), { kind: 'refused', status }, url);
});

test('dot segments are clamped to the root by the URL parser before we look', async () => {
  for (const url of ['app://porthole/%2e%2e/secret.js', 'app://porthole/assets/%2E%2E/%2E%2E/secret.js', 'app://porthole/../../secret.js']) {
    assert.deepEqual(await resolveAppPath(root, url), { kind: 'refused', status: 404 }, `${url} looks for secret.js inside the root only`);
  }
});

test('serving sends the body with CSP, nosniff and the content type', async () => {
  const res = await serveAppRequest(root, { url: 'app://porthole/index.html', method: 'GET' }, CSP);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-security-policy'), CSP);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(await res.text(), '<!doctype html><p>hi</p>');
});

test('missing files are 404, refused paths keep their status, only GET and HEAD are allowed', async () => {
  assert.equal((await serveAppRequest(root, { url: 'app://porthole/nope.js', method: 'GET' }, CSP)).status, 404);
  assert.equal((await serveAppRequest(root, { url: 'app://porthole/assets', method: 'GET' }, CSP)).status, 404);
  assert.equal((await serveAppRequest(root, { url: 'app://porthole/..%2fsecret.js', method: 'GET' }, CSP)).status, 403);
  assert.equal((await serveAppRequest(root, { url: 'app://porthole/%2e%2e/secret.js', method: 'GET' }, CSP)).status, 404);
  assert.equal((await serveAppRequest(root, { url: 'app://porthole/index.html', method: 'POST' }, CSP)).status, 405);
  const head = await serveAppRequest(root, { url: 'app://porthole/index.html', method: 'HEAD' }, CSP);
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
});
