/**
 * Certificate pinning for XenServer / XCP-ng hosts, whose TLS certificates are self-signed.
 *
 * How it works: the trust anchor is a per-host SHA-256 fingerprint the user accepted (or that the pool
 * reported with `host.get_server_certificate` after the master was trusted), like an SSH host key.
 * Every connection — XAPI RPC through undici and the console tunnel — goes through `connectPinned`,
 * which completes the TLS handshake, compares the peer certificate's fingerprint with the pin, and only
 * then hands the socket to its user. On a mismatch (or no pin) the socket is destroyed **before a single
 * application byte is written**, so no credential or session id ever reaches an unverified host.
 *
 * Why chain validation is not what decides: XenServer's self-signed certificates have no CA to chain
 * to, often carry a host name rather than the IP the admin types, and may be past their validity on old
 * hosts. OpenSSL's verdict on those is meaningless; the pin is an exact match of the whole certificate,
 * which is stronger than chain + name checks. So OpenSSL's verdict is not enforced (`rejectUnauthorized`
 * off) and the fingerprint comparison below is the mandatory check in its place — never skipped.
 *
 * `probeCertificate` is the one exception that connects without a pin: it performs the handshake only,
 * reads the certificate for the trust dialog, writes nothing and closes.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { isIP, type OnReadOpts } from 'node:net';
import tls from 'node:tls';
import { Agent, type buildConnector } from 'undici';
import { PortholeError } from '../../shared/errors';
import type { CertificateInfo } from '../../shared/contract';

/** Default time allowed for TCP connect + TLS handshake, ms. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** A certificate as shown to the user, plus its PEM for storage. */
export interface CertificateDetails extends CertificateInfo {
  pem: string;
}

/** SHA-256 of DER bytes in XAPI's format: upper-case hex pairs joined by colons. */
export function fingerprintFromDer(der: Uint8Array): string {
  const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
  return hex.match(/../g)?.join(':') ?? '';
}

/** Fingerprint of a PEM certificate (the first one in the text). */
export function fingerprintFromPem(pem: string): string {
  return fingerprintFromDer(new X509Certificate(pem).raw);
}

/**
 * Normalises a fingerprint typed or pasted by a user (`sha-256:`/`sha256:` prefix, lower case, with or
 * without colons or spaces) to XAPI's format; undefined when it is not 32 bytes of hex.
 */
export function normalizeFingerprint(input: string): string | undefined {
  const hex = input
    .trim()
    .replace(/^sha-?256:/i, '')
    .replace(/[\s:]/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return undefined;
  return hex.match(/../g)?.join(':');
}

/** Facts about a PEM certificate for the trust dialog. */
export function describePem(pem: string): CertificateDetails {
  const cert = new X509Certificate(pem);
  return {
    fingerprint: fingerprintFromDer(cert.raw),
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
    pem: cert.toString(),
  };
}

/**
 * The peer certificate's fingerprint in XAPI's format, read from the DER the handshake already holds
 * (no PEM round trip, no X.509 parse: this runs on every connection, thumbnails included).
 */
function peerFingerprint(socket: tls.TLSSocket): string | undefined {
  const raw = (socket.getPeerCertificate(false) as Partial<tls.PeerCertificate>).raw;
  return raw === undefined || raw.length === 0 ? undefined : fingerprintFromDer(raw);
}

/**
 * One client context for every handshake. `tls.connect` would otherwise build a new one per
 * connection, loading the whole root CA store each time — for a pin that never consults it.
 */
let clientContext: tls.SecureContext | undefined;
function sharedClientContext(): tls.SecureContext {
  clientContext ??= tls.createSecureContext({ minVersion: 'TLSv1.2' });
  return clientContext;
}

function describePeer(socket: tls.TLSSocket): CertificateDetails | undefined {
  const peer = socket.getPeerX509Certificate();
  return peer === undefined ? undefined : describePem(peer.toString());
}

/** Thrown when a host's certificate is not the pinned one (or none is pinned). */
export class CertificateError extends PortholeError {
  readonly host: string;
  readonly port: number;
  readonly presented: CertificateDetails;
  readonly expected: string | undefined;

  constructor(host: string, port: number, presented: CertificateDetails, expected: string | undefined) {
    super(
      expected === undefined ? 'CERT_UNTRUSTED' : 'CERT_CHANGED',
      expected === undefined
        ? `The certificate of ${host} (${presented.fingerprint}) is not trusted yet.`
        : `The certificate of ${host} changed: pinned ${expected}, now presenting ${presented.fingerprint}. Porthole will not connect.`,
      { host, fingerprint: presented.fingerprint, ...(expected === undefined ? {} : { previousFingerprint: expected }) },
    );
    this.host = host;
    this.port = port;
    this.presented = presented;
    this.expected = expected;
  }
}

/** Turns a socket-level failure into a plain HOST_UNREACHABLE error naming the host. */
export function unreachable(host: string, port: number, cause: unknown): PortholeError {
  const code = (cause as { code?: unknown } | null)?.code;
  const why = typeof code === 'string' ? (SOCKET_WORDS[code] ?? code) : cause instanceof Error ? cause.message : 'unknown error';
  return new PortholeError('HOST_UNREACHABLE', `Cannot reach ${host}:${port}: ${why}.`, { host, ...(typeof code === 'string' ? { socketCode: code } : {}) });
}

/** Socket error codes in words (the code itself stays in the error's details). */
const SOCKET_WORDS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused (nothing listens on that port)',
  ETIMEDOUT: 'no answer in time',
  ENOTFOUND: 'the host name is unknown',
  EAI_AGAIN: 'the host name could not be looked up',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'the network is unreachable',
  ECONNRESET: 'the connection was reset (is it an HTTPS port?)',
  EPROTO: 'it does not speak TLS',
  ERR_SSL_WRONG_VERSION_NUMBER: 'it does not speak TLS (wrong port?)',
};

interface HandshakeOptions {
  host: string;
  port: number;
  timeoutMs?: number;
  /** Node's `onread` (read into caller-owned buffers); the console bridge uses it to relay without allocating. */
  onread?: OnReadOpts;
}

function handshake(opts: HandshakeOptions): Promise<tls.TLSSocket> {
  const timeoutMs = opts.timeoutMs ?? HANDSHAKE_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: opts.host,
      port: opts.port,
      // SNI must not carry an IP address (RFC 6066).
      ...(isIP(opts.host) === 0 ? { servername: opts.host } : {}),
      // Chain validation cannot judge self-signed host certificates; the caller's fingerprint check
      // runs on this socket before any byte is written (see the header).
      rejectUnauthorized: false,
      secureContext: sharedClientContext(),
      // tls.connect honours onread at run time; @types/node only declares it for net.
      ...(opts.onread === undefined ? {} : ({ onread: opts.onread } as tls.ConnectionOptions)),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(unreachable(opts.host, opts.port, { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(unreachable(opts.host, opts.port, err));
    });
  });
}

/** Reads a host's certificate with a bare TLS handshake: nothing is written, the socket is closed. */
export async function probeCertificate(opts: HandshakeOptions): Promise<CertificateDetails> {
  const socket = await handshake(opts);
  try {
    const cert = describePeer(socket);
    if (cert === undefined) throw new PortholeError('HOST_UNREACHABLE', `${opts.host} presented no certificate.`);
    return cert;
  } finally {
    socket.destroy();
  }
}

/**
 * Opens TLS to host:port and resolves only when the peer's certificate matches `expected`
 * (a fingerprint in XAPI's format). Rejects with CertificateError (untrusted/changed) or a
 * HOST_UNREACHABLE PortholeError; in every failure the socket is destroyed unused.
 */
export async function connectPinned(opts: HandshakeOptions & { expected: string | undefined }): Promise<tls.TLSSocket> {
  const socket = await handshake(opts);
  // The mandatory pin check: without it this socket would be unverified.
  const fingerprint = peerFingerprint(socket);
  if (fingerprint !== undefined && opts.expected !== undefined && fingerprint === opts.expected) return socket;
  const cert = describePeer(socket);
  socket.destroy();
  if (cert === undefined) throw new PortholeError('HOST_UNREACHABLE', `${opts.host} presented no certificate.`);
  throw new CertificateError(opts.host, opts.port, cert, opts.expected);
}

/** Looks up the pinned fingerprint for a host address (and port), or undefined when none. */
export type PinLookup = (host: string, port: number) => string | undefined;

/**
 * An undici Agent whose every connection goes through `connectPinned`. Give it to xen-api (which only
 * offers `allowUnauthorized`) in place of its own dispatcher; a host presenting another certificate
 * gets no HTTP request at all. `onRefused` sees each refusal (to surface the trust dialog).
 */
export function pinnedAgent(lookup: PinLookup, onRefused?: (error: PortholeError) => void, timeoutMs = HANDSHAKE_TIMEOUT_MS): Agent {
  const connector: buildConnector.connector = (options, callback) => {
    const host = options.hostname.replace(/^\[|\]$/g, '');
    const port = Number(options.port) || (options.protocol === 'http:' ? 80 : 443);
    if (options.protocol !== 'https:') {
      // Plain HTTP would send the password in clear text: XAPI locations are https://.
      callback(new PortholeError('INVALID_ARGUMENT', `Refusing plain HTTP to ${host}; use https.`), null);
      return;
    }
    connectPinned({ host, port, expected: lookup(host, port), timeoutMs }).then(
      (socket) => callback(null, socket),
      (error: unknown) => {
        if (error instanceof PortholeError) onRefused?.(error);
        callback(error instanceof Error ? error : new Error(String(error)), null);
      },
    );
  };
  return new Agent({ connect: connector, headersTimeout: 5 * 60_000, bodyTimeout: 5 * 60_000 });
}
