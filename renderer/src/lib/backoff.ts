/**
 * Retry delays for everything in the page that reconnects by itself (the harness API socket, console
 * tabs). Exponential from `baseMs`, capped at `maxMs`; no jitter, so the UI can say exactly when the
 * next attempt happens and tests can reason about it.
 */

/** Default first retry delay, in ms. */
export const BACKOFF_BASE_MS = 500;
/** Default longest retry delay, in ms. */
export const BACKOFF_MAX_MS = 15_000;

/** Delay before retry number `attempt` (0-based): base·2^attempt, capped at max. */
export function backoffDelayMs(attempt: number, baseMs = BACKOFF_BASE_MS, maxMs = BACKOFF_MAX_MS): number {
  if (!Number.isFinite(attempt) || attempt < 0) return baseMs;
  // 2^31 would overflow nothing in JS, but capping the exponent keeps the number finite and small.
  const exponent = Math.min(Math.floor(attempt), 30);
  return Math.min(maxMs, baseMs * 2 ** exponent);
}
