/**
 * Pinned certificates of one pool, and pool address parsing.
 *
 * A pin is `{address, fingerprint, source}` plus what is known of the certificate (subject, issuer,
 * validity: `PinnedFacts`, for the changed-certificate dialog's "trusted before" column). `source` is
 * `user` when the user accepted it in the trust dialog (or with `--trust-fingerprint`), `pool` when the
 * trusted master reported it with `host.get_server_certificate`. Pins are per host address (all of a
 * host's ports share its certificate). Every change is handed to `onChange` so the pool manager can
 * persist it.
 *
 * Pins saved before facts were kept hold the fingerprint alone: they load as they are (facts absent,
 * shown as "not recorded"), and the facts are filled in the next time the same certificate is seen
 * with them (`set` with the same fingerprint and facts is a change). The fingerprint is never changed
 * by that: facts only ever describe the certificate the pin already trusts.
 */
import type { PinnedFacts, PinnedHost } from '../../shared/contract';
import { PortholeError } from '../../shared/errors';

/** XAPI's HTTPS port. */
export const DEFAULT_PORT = 443;

/** A parsed pool address. */
export interface PoolAddress {
  /** Host name or IP (IPv6 without brackets). */
  host: string;
  port: number;
}

/** Parses `host`, `host:port`, `[v6]:port` or `https://host[:port][/]`; plain http is refused. */
export function parseAddress(input: string): PoolAddress {
  let text = input.trim();
  const scheme = /^([a-z]+):\/\//i.exec(text);
  if (scheme !== null) {
    if (scheme[1]?.toLowerCase() !== 'https') throw new PortholeError('INVALID_ARGUMENT', 'Pool addresses use https:// (XAPI is reached over TLS).');
    text = text.slice(scheme[0].length);
  }
  text = text.replace(/\/.*$/, '');
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  const port = m?.[3] === undefined ? DEFAULT_PORT : Number(m[3]);
  if (m === null || host === undefined || host === '' || port < 1 || port > 65535) {
    throw new PortholeError('INVALID_ARGUMENT', `Not a host address: ${JSON.stringify(input)}.`);
  }
  return { host, port };
}

/** `host:port` for URLs (brackets around IPv6). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Address order for `list()`: numeric runs compare as numbers (127.0.0.2 before 127.0.0.10). One
 * collator for all calls: `localeCompare` with options builds one per call, which made pinning the
 * hosts of a 64-host pool cost ~90 ms (each `set` re-sorts every pin).
 */
const addressOrder = new Intl.Collator(undefined, { numeric: true });

/** The fact fields a pin may carry, in display order. */
export const PIN_FACT_FIELDS = ['subject', 'issuer', 'validFrom', 'validTo'] as const;

/** The facts (string fields only) of a certificate description or a stored pin; anything else is dropped. */
export function pinnedFacts(source: object | undefined): PinnedFacts {
  const out: PinnedFacts = {};
  if (source === undefined) return out;
  const record = source as Record<string, unknown>;
  for (const field of PIN_FACT_FIELDS) {
    const value = record[field];
    if (typeof value === 'string' && value !== '') out[field] = value;
  }
  return out;
}

function sameFacts(a: PinnedFacts, b: PinnedFacts): boolean {
  return PIN_FACT_FIELDS.every((f) => a[f] === b[f]);
}

/** The pins of one pool. */
export class PinBook {
  private readonly pins = new Map<string, PinnedHost>();
  private readonly onChange: (pins: PinnedHost[]) => void;

  constructor(initial: readonly PinnedHost[], onChange: (pins: PinnedHost[]) => void = () => undefined) {
    // Stored pins are taken field by field: an old pin (fingerprint only) stays as it is.
    for (const p of initial) this.pins.set(p.address, { address: p.address, fingerprint: p.fingerprint, source: p.source, ...pinnedFacts(p) });
    this.onChange = onChange;
  }

  /** The pin of a host address. */
  get(address: string): PinnedHost | undefined {
    return this.pins.get(address);
  }

  /** The pinned fingerprint for a host (any port): the lookup the pinned TLS agent uses. */
  readonly lookup = (host: string, _port?: number): string | undefined => this.pins.get(host)?.fingerprint;

  /** Every pin, sorted by address. */
  list(): PinnedHost[] {
    return [...this.pins.values()].sort((a, b) => addressOrder.compare(a.address, b.address));
  }

  /**
   * Pins (or re-pins) a host; `facts` describe that certificate (kept when the same fingerprint comes
   * again without them). Returns true when something changed.
   */
  set(address: string, fingerprint: string, source: PinnedHost['source'], facts?: PinnedFacts): boolean {
    const old = this.pins.get(address);
    const same = old?.fingerprint === fingerprint;
    const known = pinnedFacts(facts);
    const nextFacts = same && Object.keys(known).length === 0 ? pinnedFacts(old) : known;
    const nextSource = same && old.source === 'user' ? 'user' : source;
    if (same && old.source === nextSource && sameFacts(pinnedFacts(old), nextFacts)) return false;
    this.pins.set(address, { address, fingerprint, source: nextSource, ...nextFacts });
    this.onChange(this.list());
    return true;
  }

  /** Removes a host's pin (the explicit step before accepting a changed certificate). */
  forget(address: string): boolean {
    const had = this.pins.delete(address);
    if (had) this.onChange(this.list());
    return had;
  }
}
