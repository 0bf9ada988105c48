/**
 * One connection attempt of a pool: the candidate hosts, tried in order, and what came of it.
 *
 * How it works:
 * 1. Candidates: the configured address; when reconnecting also the last master and every member
 *    address seen (failover: XenCenter cycles through them too).
 * 2. A candidate with no pin is probed (TLS handshake only, nothing written) and the attempt ends
 *    with a trust request for the user; unpinned members are skipped during failover.
 * 3. A pinned candidate gets a fresh `XapiConnection` on the pool's pinned agent, so every request
 *    (including xen-api's own `HOST_IS_SLAVE` redirect) goes through `connectPinned`: a host
 *    presenting another certificate is refused before any byte — no login request reaches it.
 * 4. Outcomes: logged in → `connected`; certificate refused → `trust` (reason `changed` when a pin
 *    existed: a hard stop); `SESSION_AUTHENTICATION_FAILED` → `password` (no retry, so the account is
 *    not locked); `HOST_IS_SLAVE [master]` → that master is tried next; unreachable /
 *    `HOST_STILL_BOOTING` → next candidate, then `retry` (the session backs off).
 */
import type { CertificateInfo, PinnedFacts, PoolState } from '../../../shared/contract';
import { PortholeError, type ErrorCode } from '../../../shared/errors';
import { getLogger } from '../../../shared/log';
import { pinnedFacts, type PinBook, type PoolAddress } from '../pins';
import { CertificateError, probeCertificate } from '../tls-pin';
import { answeredNotAsXapi, describeTransport, fromXapiError, isTransportFailure, xapiCode } from '../xapi-errors';
import type { XapiConnection } from './xapi-adapter';

const log = getLogger('pool');

/** A refused certificate, as the trust dialog needs it (the contract's awaiting-trust state). */
export type TrustRequest = Omit<Extract<PoolState, { kind: 'awaiting-trust' }>, 'kind'>;

/** What one attempt came to. */
export type AttemptResult =
  | { kind: 'connected'; conn: XapiConnection; master: string }
  | { kind: 'trust'; request: TrustRequest }
  | { kind: 'password' }
  | { kind: 'retry'; reason: string; code: ErrorCode };

/** What an attempt needs from its session. */
export interface AttemptContext {
  poolId: string;
  address: PoolAddress;
  pins: PinBook;
  handshakeTimeoutMs: number;
  /** Hosts to try, in order (see `candidates`). */
  candidates: readonly string[];
  /** The session now talks to `host` (state `connecting`). */
  connecting(host: string): void;
  /** True once the session moved on: the attempt stops at its next step. */
  stale(): boolean;
  /** A fresh connection to `host` on the pinned agent; clears the last refusal. */
  open(host: string): XapiConnection;
  /** The last certificate refusal the agent saw since `open` (xen-api may wrap the connector's error). */
  lastRefusal(): CertificateError | undefined;
}

/** The hosts to try: the configured one; when reconnecting, the last master first and the members after. */
export function candidates(configured: string, reconnecting: boolean, lastMaster: string | undefined, members: readonly string[]): string[] {
  const list = [configured];
  if (reconnecting) {
    if (lastMaster !== undefined) list.unshift(lastMaster);
    list.push(...members);
  }
  return [...new Set(list)];
}

/** What the pin of `host` recorded of the certificate with `fingerprint` (empty for a pin saved without facts). */
function previousFacts(pins: PinBook, host: string, fingerprint: string): PinnedFacts {
  const pin = pins.get(host);
  return pin?.fingerprint === fingerprint ? pinnedFacts(pin) : {};
}

function certInfo(e: CertificateError): CertificateInfo {
  const { fingerprint, subject, issuer, validFrom, validTo } = e.presented;
  return { fingerprint, subject, issuer, validFrom, validTo };
}

/** The master named by a `HOST_IS_SLAVE` error, if it names one. */
function redirectTarget(error: unknown): string | undefined {
  const params = (error as { params?: unknown }).params;
  return Array.isArray(params) && typeof params[0] === 'string' && params[0] !== '' ? params[0] : undefined;
}

/** Tries the candidates once each. */
export async function attempt(ctx: AttemptContext): Promise<AttemptResult> {
  const queue = [...ctx.candidates];
  const tried = new Set<string>();
  const redirected = new Set<string>();
  let failure: { reason: string; code: ErrorCode } = { reason: 'No host of the pool answered.', code: 'HOST_UNREACHABLE' };
  for (let host = queue.shift(); host !== undefined; host = queue.shift()) {
    if (tried.has(host)) continue;
    tried.add(host);
    if (ctx.pins.get(host) === undefined) {
      // Unknown host: show its certificate before anything is sent. Remembered members are only
      // tried when pinned; the configured address and a master named by HOST_IS_SLAVE are asked about.
      if (host !== ctx.address.host && !redirected.has(host)) continue;
      ctx.connecting(host);
      try {
        const cert = await probeCertificate({ host, port: ctx.address.port, timeoutMs: ctx.handshakeTimeoutMs });
        const { fingerprint, subject, issuer, validFrom, validTo } = cert;
        return { kind: 'trust', request: { address: host, certificate: { fingerprint, subject, issuer, validFrom, validTo }, reason: 'unknown' } };
      } catch (error) {
        failure = { reason: error instanceof Error ? error.message : 'unreachable', code: 'HOST_UNREACHABLE' };
        if (ctx.stale()) return { kind: 'retry', ...failure };
        continue;
      }
    }
    ctx.connecting(host);
    const conn = ctx.open(host);
    try {
      await conn.connect();
      return { kind: 'connected', conn, master: conn.master };
    } catch (error) {
      conn.logout(0).catch(() => undefined);
      const refusal = error instanceof CertificateError ? error : ctx.lastRefusal();
      if (refusal !== undefined) {
        return {
          kind: 'trust',
          request: {
            address: refusal.host,
            certificate: certInfo(refusal),
            reason: refusal.expected === undefined ? 'unknown' : 'changed',
            ...(refusal.expected === undefined ? {} : { previousFingerprint: refusal.expected, previousCertificate: previousFacts(ctx.pins, refusal.host, refusal.expected) }),
          },
        };
      }
      const code = xapiCode(error);
      if (code === 'SESSION_AUTHENTICATION_FAILED') return { kind: 'password' };
      if (code === 'HOST_IS_SLAVE') {
        const newMaster = redirectTarget(error);
        if (newMaster !== undefined && !tried.has(newMaster)) {
          queue.unshift(newMaster);
          redirected.add(newMaster);
        }
        failure = { reason: `${host} is not the pool master.`, code: 'HOST_UNREACHABLE' };
      } else if (code === 'HOST_STILL_BOOTING') {
        failure = { reason: `${host} is still starting its toolstack.`, code: 'HOST_STILL_BOOTING' };
      } else if (isTransportFailure(error)) {
        // A PortholeError from the pinned connector already names the host: do not wrap it again.
        const reason = error instanceof PortholeError ? error.message : `${answeredNotAsXapi(error) ? 'Cannot log in to' : 'Cannot reach'} ${host}: ${describeTransport(error)}.`;
        failure = { reason, code: 'HOST_UNREACHABLE' };
      } else {
        const e = fromXapiError(error, 'Logging in');
        failure = { reason: e.message, code: e.code };
      }
      log.info('candidate failed', { pool: ctx.poolId, host, reason: failure.reason });
      if (ctx.stale()) return { kind: 'retry', ...failure };
    }
  }
  return { kind: 'retry', ...failure };
}
