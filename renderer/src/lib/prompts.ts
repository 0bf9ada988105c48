/**
 * Which pool needs the user's attention right now: the first pool (in list order) waiting for its
 * certificate to be trusted, showing a changed certificate, or needing a password, unless the user
 * already closed that very prompt. Pure, so the auto-open rule is unit-tested.
 */
import type { PoolSummary } from '../../../shared/contract';

/** A prompt to show. */
export type Prompt = { kind: 'trust' | 'cert-changed' | 'password'; poolId: string; key: string };

/** The key identifying the prompt for a pool's current state, or undefined when none is due. */
export function promptFor(pool: PoolSummary): Prompt | undefined {
  const s = pool.state;
  if (s.kind === 'awaiting-trust') {
    const kind = s.reason === 'changed' ? 'cert-changed' : 'trust';
    return { kind, poolId: pool.id, key: `${kind}:${pool.id}:${s.address}:${s.certificate.fingerprint}` };
  }
  if (s.kind === 'needs-password') return { kind: 'password', poolId: pool.id, key: `password:${pool.id}:${s.message}` };
  return undefined;
}

/** The first prompt due that the user has not dismissed. */
export function pendingPrompt(pools: readonly PoolSummary[], dismissed: ReadonlySet<string>): Prompt | undefined {
  for (const pool of pools) {
    const prompt = promptFor(pool);
    if (prompt !== undefined && !dismissed.has(prompt.key)) return prompt;
  }
  return undefined;
}
