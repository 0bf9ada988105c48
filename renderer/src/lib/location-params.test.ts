import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harnessSocketUrl, readPopout, readToken } from './location-params';
import { backoffDelayMs } from './backoff';

test('token comes from the query string, else from the hash', () => {
  assert.equal(readToken({ search: '?token=abc', hash: '' }), 'abc');
  assert.equal(readToken({ search: '', hash: '#token=def' }), 'def');
  assert.equal(readToken({ search: '?token=q', hash: '#token=h' }), 'q');
  assert.equal(readToken({ search: '?x=1', hash: '#popout=p/v&token=t2' }), 't2');
  assert.equal(readToken({ search: '?token=', hash: '' }), undefined);
  assert.equal(readToken({ search: '', hash: '' }), undefined);
});

test('pop-out target is read from #popout=<poolId>/<vmUuid>', () => {
  assert.deepEqual(readPopout({ search: '', hash: '#popout=pool-1/1234-abcd' }), { poolId: 'pool-1', vmUuid: '1234-abcd' });
  assert.deepEqual(readPopout({ search: '', hash: '#popout=p%2Fx/u&token=t' }), { poolId: 'p/x', vmUuid: 'u' });
  assert.equal(readPopout({ search: '', hash: '#token=t' }), undefined);
  assert.equal(readPopout({ search: '', hash: '#popout=nopath' }), undefined);
  assert.equal(readPopout({ search: '', hash: '#popout=/u' }), undefined);
  assert.equal(readPopout({ search: '', hash: '#popout=p/' }), undefined);
});

test('harness socket URL carries the encoded token', () => {
  assert.equal(harnessSocketUrl('127.0.0.1:8080', 'a b+c'), 'ws://127.0.0.1:8080/api?token=a%20b%2Bc');
});

test('backoff doubles from the base and stops at the cap', () => {
  assert.deepEqual([0, 1, 2, 3].map((a) => backoffDelayMs(a, 100, 500)), [100, 200, 400, 500]);
  assert.equal(backoffDelayMs(1000, 100, 500), 500);
  assert.equal(backoffDelayMs(-1, 100, 500), 100);
});
