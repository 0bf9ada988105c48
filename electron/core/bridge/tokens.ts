/**
 * One-time console tokens: the only thing that lets a WebSocket upgrade reach a console.
 *
 * A token is 256 random bits (base64url, 43 characters), bound to one console and one pool source,
 * single use, and forgotten if unused after `ttlMs`. The store keeps only SHA-256 digests as keys, so a
 * lookup's timing says nothing about a token's characters. Spent and expired tokens leave a small
 * tombstone (bounded count and age, no timer) so a reuse can be told apart from a token that never
 * existed (410 rather than 404).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { TimerSet } from './timers';
import type { ConsoleSource, ConsoleUpstream } from '../console-source';

/** Random bytes per token (256 bits). */
export const TOKEN_BYTES = 32;
/** Default life of an unused token, ms. */
export const TOKEN_TTL_MS = 30_000;
/** Most tokens pending at once (the oldest is dropped past this). */
export const MAX_PENDING_TOKENS = 256;
const MAX_TOMBSTONES = 1024;
const TOMBSTONE_AGE_MS = 10 * 60_000;

/** What a token grants. */
export interface TokenGrant {
  poolId: string;
  source: ConsoleSource;
  upstream: ConsoleUpstream;
}

/** Result of presenting a token. */
export type TokenLookup<G = TokenGrant> = { kind: 'ok'; grant: G } | { kind: 'spent' } | { kind: 'unknown' };

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** The pending tokens of one bridge, for one kind of grant (a console, or a console wall). */
export class TokenStore<G extends { poolId: string } = TokenGrant> {
  private readonly pending = new Map<string, { grant: G; timer: NodeJS.Timeout }>();
  private readonly spent = new Map<string, number>();

  constructor(
    private readonly timers: TimerSet,
    private readonly ttlMs = TOKEN_TTL_MS,
  ) {}

  /** Number of tokens issued and not yet used or expired. */
  get size(): number {
    return this.pending.size;
  }

  /** Issues a token for `grant`. */
  issue(grant: G): string {
    if (this.pending.size >= MAX_PENDING_TOKENS) {
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) this.retire(oldest);
    }
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const key = digest(token);
    const timer = this.timers.timeout(() => this.retire(key), this.ttlMs);
    timer.unref();
    this.pending.set(key, { grant, timer });
    return token;
  }

  /** Takes a token: the grant if it is pending (it is then spent), else why not. */
  take(token: string): TokenLookup<G> {
    if (!TOKEN_SHAPE.test(token)) return { kind: 'unknown' };
    const key = digest(token);
    const entry = this.pending.get(key);
    if (entry === undefined) return this.spent.has(key) ? { kind: 'spent' } : { kind: 'unknown' };
    this.retire(key);
    return { kind: 'ok', grant: entry.grant };
  }

  /** Drops every pending token of one pool (or all when `poolId` is undefined). */
  revoke(poolId?: string): void {
    for (const [key, entry] of this.pending) if (poolId === undefined || entry.grant.poolId === poolId) this.retire(key);
  }

  private retire(key: string): void {
    const entry = this.pending.get(key);
    if (entry !== undefined) {
      this.timers.clear(entry.timer);
      this.pending.delete(key);
    }
    const now = Date.now();
    this.spent.set(key, now);
    for (const [k, at] of this.spent) {
      if (this.spent.size <= MAX_TOMBSTONES && now - at < TOMBSTONE_AGE_MS) break;
      this.spent.delete(k);
    }
  }
}
