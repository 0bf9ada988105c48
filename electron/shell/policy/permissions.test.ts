// One test per decision of the permission policy: fullscreen for our page's main frame only,
// Local Network Access under every Chromium name for our page only and only while the bridge is on
// loopback, and everything else denied — plus the CSP that confines what the LNA grant can reach.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APP_INDEX_URL, APP_ORIGIN, popoutUrl } from './app-url';
import { cspDirectives } from '../../core/csp';
import { decidePermission, FULLSCREEN_CHECKS, LOCAL_NETWORK_PERMISSIONS, type PermissionAsk } from './permissions';

const BRIDGE = 'ws://127.0.0.1:41234';
/** A request from our main window's page, as Electron describes it. */
const ours = (permission: string, more: Partial<PermissionAsk> = {}): PermissionAsk => ({
  kind: 'request', permission, fromOurWindow: true, isMainFrame: true, requestingUrl: APP_INDEX_URL, ...more,
});
/** A check from our page (Electron gives the origin with a trailing slash). */
const ourCheck = (permission: string, more: Partial<PermissionAsk> = {}): PermissionAsk =>
  ours(permission, { kind: 'check', requestingOrigin: `${APP_ORIGIN}/`, ...more });

test('fullscreen: granted to our page in the main frame, main window and pop-outs alike', () => {
  assert.equal(decidePermission(ours('fullscreen'), BRIDGE), true);
  assert.equal(decidePermission(ours('fullscreen', { requestingUrl: popoutUrl('p1', 'vm-uuid') }), BRIDGE), true);
  assert.equal(decidePermission(ourCheck('fullscreen'), BRIDGE), true);
  assert.equal(decidePermission(ours('fullscreen'), undefined), true, 'fullscreen does not depend on the bridge');
});

test('fullscreen: refused to a subframe, another page, another webContents, or an unnamed asker', () => {
  assert.equal(decidePermission(ours('fullscreen', { isMainFrame: false }), BRIDGE), false);
  assert.equal(decidePermission(ours('fullscreen', { requestingUrl: 'https://evil.example/' }), BRIDGE), false);
  assert.equal(decidePermission(ours('fullscreen', { requestingUrl: 'file:///tmp/x.html' }), BRIDGE), false);
  assert.equal(decidePermission(ours('fullscreen', { requestingUrl: 'app://other/index.html' }), BRIDGE), false);
  assert.equal(decidePermission(ours('fullscreen', { fromOurWindow: false }), BRIDGE), false);
  assert.equal(decidePermission(ours('fullscreen', { requestingUrl: undefined }), BRIDGE), false);
  assert.equal(decidePermission(ourCheck('fullscreen', { embeddingOrigin: 'https://evil.example' }), BRIDGE), false);
  assert.equal(decidePermission(ourCheck('fullscreen', { requestingUrl: undefined, requestingOrigin: 'https://evil.example/' }), BRIDGE), false);
});

test('automatic-fullscreen answers checks from our page only, never a request', () => {
  assert.ok(FULLSCREEN_CHECKS.includes('automatic-fullscreen'));
  assert.equal(decidePermission(ourCheck('automatic-fullscreen'), BRIDGE), true);
  assert.equal(decidePermission(ourCheck('automatic-fullscreen', { isMainFrame: false }), BRIDGE), false);
  assert.equal(decidePermission(ours('automatic-fullscreen'), BRIDGE), false);
});

test('Local Network Access: granted under every name to our page while the bridge is on loopback', () => {
  assert.deepEqual([...LOCAL_NETWORK_PERMISSIONS].sort(), ['local-network', 'local-network-access', 'loopback-network']);
  for (const p of LOCAL_NETWORK_PERMISSIONS) {
    assert.equal(decidePermission(ours(p), BRIDGE), true, `request ${p}`);
    assert.equal(decidePermission(ourCheck(p), BRIDGE), true, `check ${p}`);
    // A check without requestingUrl (not made for a document) still needs our origin.
    assert.equal(decidePermission(ourCheck(p, { requestingUrl: undefined }), BRIDGE), true, `check ${p} by origin`);
  }
});

test('Local Network Access: refused to anything but our page, and when there is no loopback bridge', () => {
  for (const p of LOCAL_NETWORK_PERMISSIONS) {
    assert.equal(decidePermission(ours(p, { isMainFrame: false }), BRIDGE), false, `${p} subframe`);
    assert.equal(decidePermission(ours(p, { fromOurWindow: false }), BRIDGE), false, `${p} foreign webContents`);
    assert.equal(decidePermission(ours(p, { requestingUrl: 'http://127.0.0.1:8080/' }), BRIDGE), false, `${p} other page`);
    assert.equal(decidePermission(ourCheck(p, { requestingOrigin: 'null' }), BRIDGE), false, `${p} opaque origin`);
    assert.equal(decidePermission(ourCheck(p, { embeddingOrigin: 'https://evil.example' }), BRIDGE), false, `${p} embedded`);
    assert.equal(decidePermission(ours(p), undefined), false, `${p} before the bridge listens`);
    assert.equal(decidePermission(ours(p), 'ws://192.168.1.10:41234'), false, `${p} non-loopback bridge`);
    assert.equal(decidePermission(ours(p), 'wss://127.0.0.1:41234'), false, `${p} unexpected scheme`);
  }
});

test("what the grant can reach is the CSP's connect-src: the bridge origin and nothing else", () => {
  const connect = cspDirectives([BRIDGE]).find(([name]) => name === 'connect-src');
  assert.deepEqual(connect, ['connect-src', BRIDGE]);
  assert.equal(cspDirectives([BRIDGE]).find(([name]) => name === 'default-src')?.[1], "'none'");
});

test('every other permission is denied, even to our own page', () => {
  const others = ['media', 'display-capture', 'geolocation', 'notifications', 'clipboard-read', 'clipboard-sanitized-write', 'openExternal', 'hid', 'usb', 'serial', 'pointerLock', 'keyboardLock', 'midiSysex', 'window-management', 'storage-access', 'unknown', ''];
  for (const p of others) {
    assert.equal(decidePermission(ours(p), BRIDGE), false, `request ${p}`);
    assert.equal(decidePermission(ourCheck(p), BRIDGE), false, `check ${p}`);
  }
});
