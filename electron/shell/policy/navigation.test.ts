import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideNavigation, decideRedirect, decideWindowOpen, safeExternalUrl } from './navigation';

test('https links with a host and no credentials may open externally (normalised)', () => {
  assert.equal(safeExternalUrl('https://xcp-ng.org/docs/'), 'https://xcp-ng.org/docs/');
  assert.equal(safeExternalUrl('HTTPS://Example.COM'), 'https://example.com/');
  assert.equal(safeExternalUrl('https://example.com/a b'), 'https://example.com/a%20b');
});

test('everything else is refused', () => {
  const bad: unknown[] = [
    'http://example.com/',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'smb://server/share',
    'ms-msdt:/id',
    'app://porthole/index.html',
    'https://user:pw@example.com/',
    'https://trusted.example@evil.example/',
    'https://',
    'https:',
    'not a url',
    '',
    `https://example.com/${'a'.repeat(2100)}`,
    42,
    undefined,
  ];
  for (const url of bad) assert.equal(safeExternalUrl(url), undefined, String(url));
});

test('navigation and window.open are always denied; safe https targets go to the OS browser', () => {
  assert.deepEqual(decideNavigation('https://example.com/'), { allow: false, openExternal: 'https://example.com/' });
  assert.deepEqual(decideNavigation('app://porthole/other.html'), { allow: false });
  assert.deepEqual(decideNavigation('http://127.0.0.1:8080/'), { allow: false });
  assert.deepEqual(decideWindowOpen('https://example.com/x'), { allow: false, openExternal: 'https://example.com/x' });
  assert.deepEqual(decideWindowOpen('about:blank'), { allow: false });
  assert.deepEqual(decideRedirect('https://example.com/'), { allow: false });
});
