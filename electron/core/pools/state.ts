/**
 * The pool session's state machine: the legal transitions between the contract's `PoolState`s.
 *
 * disconnected → connecting → awaiting-trust | needs-password | connected → reconnecting → … ;
 * `failed` is where an unexpected error in the connection loop lands (a bug or a pool answering
 * something no rule covers): the loop stops, the page shows the message and offers Retry.
 * `nextState` is the only function that decides whether a change is legal; the session calls it from
 * its one `transition` method.
 */
import type { PoolState } from '../../../shared/contract';
import { PortholeError } from '../../../shared/errors';

/** A state's name. */
export type PoolStateKind = PoolState['kind'];

/** Legal state changes (anything else is a bug and throws). */
export const LEGAL_TRANSITIONS: Readonly<Record<PoolStateKind, readonly PoolStateKind[]>> = {
  disconnected: ['connecting', 'needs-password'],
  connecting: ['connecting', 'awaiting-trust', 'needs-password', 'connected', 'reconnecting', 'failed', 'disconnected'],
  'awaiting-trust': ['connecting', 'disconnected', 'needs-password'],
  'needs-password': ['connecting', 'disconnected', 'needs-password'],
  connected: ['reconnecting', 'disconnected', 'failed', 'needs-password'],
  reconnecting: ['connecting', 'reconnecting', 'awaiting-trust', 'needs-password', 'failed', 'disconnected'],
  failed: ['connecting', 'disconnected', 'needs-password'],
};

/** True when `from → to` is a legal transition. */
export function isLegalTransition(from: PoolStateKind, to: PoolStateKind): boolean {
  return LEGAL_TRANSITIONS[from].includes(to);
}

/** Returns `next` when the change from `current` is legal; throws INTERNAL otherwise. */
export function nextState(current: PoolState, next: PoolState): PoolState {
  if (!isLegalTransition(current.kind, next.kind)) throw new PortholeError('INTERNAL', `Illegal pool state change ${current.kind} → ${next.kind}.`);
  return next;
}
