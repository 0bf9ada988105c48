import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PoolState, PoolSummary } from '../../../shared/contract';
import { pendingPrompt } from './prompts';

const cert = { fingerprint: 'AA:BB', subject: 'CN=h', issuer: 'CN=h', validFrom: '2024', validTo: '2034' };
function pool(id: string, state: PoolState): PoolSummary {
  return { id, name: id, address: `${id}.lan`, username: 'root', password: 'none', state, demo: false };
}

test('the first pool needing attention gets its prompt, unless dismissed', () => {
  const pools = [
    pool('a', { kind: 'connected', master: 'x' }),
    pool('b', { kind: 'awaiting-trust', address: 'b.lan', certificate: cert, reason: 'unknown' }),
    pool('c', { kind: 'needs-password', message: 'Password?' }),
  ];
  const first = pendingPrompt(pools, new Set());
  assert.equal(first?.kind, 'trust');
  assert.equal(first?.poolId, 'b');
  const second = pendingPrompt(pools, new Set([first.key]));
  assert.equal(second?.kind, 'password');
  assert.equal(pendingPrompt(pools, new Set([first.key, second.key])), undefined);
});

test('a changed certificate gets its own prompt kind, and a new fingerprint prompts again', () => {
  const changed = pool('b', { kind: 'awaiting-trust', address: 'b.lan', certificate: cert, reason: 'changed', previousFingerprint: '11:22' });
  const p = pendingPrompt([changed], new Set());
  assert.equal(p?.kind, 'cert-changed');
  const rotated = pool('b', { kind: 'awaiting-trust', address: 'b.lan', certificate: { ...cert, fingerprint: 'CC:DD' }, reason: 'changed' });
  assert.equal(pendingPrompt([rotated], new Set([p.key]))?.kind, 'cert-changed');
});
