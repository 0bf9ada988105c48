/**
 * Timing knobs of a pool session and the reconnect back-off.
 *
 * Tests shorten the knobs; the defaults are what the app uses. `backoffMs` is the one back-off
 * formula: exponential, capped, with jitter so many clients do not reconnect in step.
 */

/** Timing knobs (tests shorten them). */
export interface SessionTiming {
  /** First back-off delay, ms. */
  backoffBaseMs: number;
  /** Longest back-off delay, ms. */
  backoffCapMs: number;
  /** TCP + TLS handshake limit per connection, ms. */
  handshakeTimeoutMs: number;
  /** How long one `event.from` blocks on the server, s (a non-integer, see DEFAULT_TIMING). */
  eventTimeoutS: number;
  /** Limit for ordinary calls (login, records), ms. */
  callTimeoutMs: number;
  /** Interval of the fallback poll of a running task, ms. */
  taskPollMs: number;
  /** Longest wait for `session.logout` when a connection is dropped, ms. */
  logoutTimeoutMs: number;
}

/**
 * Defaults. The event timeout is not a whole number on purpose: xen-api's XML-RPC encoder turns
 * integers into strings, and xapi wants a float there.
 */
export const DEFAULT_TIMING: SessionTiming = {
  backoffBaseMs: 1_000,
  backoffCapMs: 60_000,
  handshakeTimeoutMs: 8_000,
  eventTimeoutS: 30.1,
  callTimeoutMs: 60_000,
  taskPollMs: 5_000,
  logoutTimeoutMs: 3_000,
};

/** Back-off before attempt `n` (1-based): exponential, capped, with full jitter in [50%, 100%]. */
export function backoffMs(attempt: number, timing: Pick<SessionTiming, 'backoffBaseMs' | 'backoffCapMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(timing.backoffCapMs, timing.backoffBaseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling * (0.5 + random() / 2));
}
