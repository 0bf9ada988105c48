/**
 * Pinned certificates of one pool, and pool address parsing.
 *
 * A pin is `{address, fingerprint, source}`: `user` when the user accepted it in the trust dialog
 * (or with `--trust-fingerprint`), `pool` when the trusted master reported it with
 * `host.get_server_certificate`. Pins are per host address (all of a host's ports share its
 * certificate). Every change is handed to `onChange` so the pool manager can persist it.
 */
import type { PinnedHost } from '../../shared/contract';
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

/** The pins of one pool. */
export class PinBook {
  private readonly pins = new Map<string, PinnedHost>();
  private readonly onChange: (pins: PinnedHost[]) => void;

  constructor(initial: readonly PinnedHost[], onChange: (pins: PinnedHost[]) => void = () => undefined) {
    for (const p of initial) this.pins.set(p.address, { ...p });
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

  /** Pins (or re-pins) a host. Returns true when something changed. */
  set(address: string, fingerprint: string, source: PinnedHost['source']): boolean {
    const old = this.pins.get(address);
    if (old?.fingerprint === fingerprint && (old.source === source || old.source === 'user')) return false;
    this.pins.set(address, { address, fingerprint, source: old?.fingerprint === fingerprint && old.source === 'user' ? 'user' : source });
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
