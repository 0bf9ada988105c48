// The pool session's transition table: every pair checked against the intended machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PoolState } from '../../../shared/contract';
import { LEGAL_TRANSITIONS, isLegalTransition, nextState, type PoolStateKind } from './state';

const KINDS: PoolStateKind[] = ['disconnected', 'connecting', 'awaiting-trust', 'needs-password', 'connected', 'reconnecting', 'failed'];

/** The machine as intended, written out as "from: every legal target". */
const INTENDED: Record<PoolStateKind, PoolStateKind[]> = {
  // connect() without a password goes straight to needs-password.
  disconnected: ['connecting', 'needs-password'],
  // one attempt: next candidate, a human needed, logged in, back-off, unexpected error, disconnect().
  connecting: ['connecting', 'awaiting-trust', 'needs-password', 'connected', 'reconnecting', 'failed', 'disconnected'],
  // waits for the user: trust (→ connecting), a forgotten password, or disconnect().
  'awaiting-trust': ['connecting', 'disconnected', 'needs-password'],
  'needs-password': ['connecting', 'disconnected', 'needs-password'],
  // the event loop ended (→ reconnecting), disconnect(), an unexpected error, or xen-api's own
  // re-login after SESSION_INVALID was refused (the password changed at the pool).
  connected: ['reconnecting', 'disconnected', 'failed', 'needs-password'],
  reconnecting: ['connecting', 'reconnecting', 'awaiting-trust', 'needs-password', 'failed', 'disconnected'],
  // Retry, disconnect, or a new password.
  failed: ['connecting', 'disconnected', 'needs-password'],
};

const sample: Record<PoolStateKind, PoolState> = {
  disconnected: { kind: 'disconnected' },
  connecting: { kind: 'connecting', address: 'h' },
  'awaiting-trust': { kind: 'awaiting-trust', address: 'h', reason: 'unknown', certificate: { fingerprint: 'AA', subject: 's', issuer: 'i', validFrom: 'a', validTo: 'b' } },
  'needs-password': { kind: 'needs-password', message: 'm' },
  connected: { kind: 'connected', master: 'h' },
  reconnecting: { kind: 'reconnecting', reason: 'r', attempt: 1, retryInMs: 0 },
  failed: { kind: 'failed', code: 'INTERNAL', message: 'm' },
};

test('every from → to pair is legal exactly when the intended machine says so', () => {
  for (const from of KINDS) {
    for (const to of KINDS) {
      const legal = INTENDED[from].includes(to);
      assert.equal(isLegalTransition(from, to), legal, `${from} → ${to}`);
      if (legal) assert.equal(nextState(sample[from], sample[to]), sample[to]);
      else assert.throws(() => nextState(sample[from], sample[to]), { code: 'INTERNAL', message: `Illegal pool state change ${from} → ${to}.` });
    }
  }
  assert.deepEqual(Object.keys(LEGAL_TRANSITIONS).sort(), [...KINDS].sort(), 'the table covers every state');
});

test('every state is reachable from disconnected, and every state can get back to disconnected', () => {
  const reach = (start: PoolStateKind): Set<PoolStateKind> => {
    const seen = new Set<PoolStateKind>([start]);
    for (const k of seen) for (const n of LEGAL_TRANSITIONS[k]) seen.add(n);
    return seen;
  };
  assert.deepEqual([...reach('disconnected')].sort(), [...KINDS].sort());
  for (const k of KINDS) assert.ok(reach(k).has('disconnected'), `${k} can be disconnected`);
  for (const k of KINDS) if (k !== 'disconnected') assert.ok(LEGAL_TRANSITIONS[k].includes('disconnected'), `disconnect() works from ${k}`);
});
