import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APP_INDEX_URL, APP_ORIGIN, isAppUrl, popoutUrl } from './app-url';

test('the app origin and entry page', () => {
  assert.equal(APP_ORIGIN, 'app://porthole');
  assert.equal(APP_INDEX_URL, 'app://porthole/index.html');
});

test('only our scheme and host count as the app', () => {
  assert.equal(isAppUrl('app://porthole/index.html#popout=a/b'), true);
  assert.equal(isAppUrl('app://porthole/'), true);
  for (const url of ['app://porthole.evil/', 'app://other/index.html', 'app://user@porthole/', 'app://porthole:8080/', 'https://porthole/', 'file:///porthole/index.html', 'about:blank', '', 'nonsense']) {
    assert.equal(isAppUrl(url), false, url);
  }
});

test('pop-out URLs carry pool and VM in the hash, encoded', () => {
  assert.equal(popoutUrl('pool-1', '3f2504e0-4f89-11d3-9a0c-0305e82c3301'), 'app://porthole/index.html#popout=pool-1/3f2504e0-4f89-11d3-9a0c-0305e82c3301');
  assert.equal(popoutUrl('a/b#c', 'x y'), 'app://porthole/index.html#popout=a%2Fb%23c/x%20y');
  assert.equal(isAppUrl(popoutUrl('p', 'v')), true);
});
