/**
 * Words for a pool's state: a short label for the tree row and a sentence for descriptions and the
 * notices above the tree. Pure.
 */
import type { PoolState } from '../../../shared/contract';

/** A short label ("connecting…"), empty when connected. */
export function poolStatusLabel(state: PoolState): string {
  switch (state.kind) {
    case 'connected':
      return '';
    case 'connecting':
      return 'connecting…';
    case 'reconnecting':
      return 'reconnecting…';
    case 'failed':
      return 'failed';
    case 'awaiting-trust':
      return state.reason === 'changed' ? 'certificate changed' : 'certificate not trusted yet';
    case 'needs-password':
      return 'needs password';
    case 'disconnected':
      return 'disconnected';
  }
}

/** A full sentence, with the reason where there is one. */
export function poolStatusText(state: PoolState): string {
  switch (state.kind) {
    case 'connected':
      return `Connected to ${state.master}.`;
    case 'connecting':
      return `Connecting to ${state.address}…`;
    case 'reconnecting': {
      const seconds = Math.max(1, Math.round(state.retryInMs / 1000));
      return `Reconnecting: ${state.reason} (attempt ${state.attempt}, next try in ${seconds} s).`;
    }
    case 'failed':
      return `Failed: ${state.message}`;
    case 'awaiting-trust':
      return state.reason === 'changed'
        ? `The certificate of ${state.address} has changed. Porthole will not connect.`
        : `The certificate of ${state.address} is not trusted yet.`;
    case 'needs-password':
      return state.message;
    case 'disconnected':
      return 'Disconnected.';
  }
}
