/**
 * Self-signed TLS certificates for simulated hosts, made with `node:crypto` alone (the demo pool
 * ships in the app, and a certificate library would triple its size).
 *
 * How it works: an EC P-256 key pair from `generateKeyPairSync`; the X.509 v3 `TBSCertificate`
 * (RFC 5280 §4.1) written with a minimal DER encoder — serial, ecdsa-with-SHA256, subject = issuer
 * = `CN=<name>`, validity (UTCTime before 2050, GeneralizedTime after, §4.1.2.5), the SPKI exactly as
 * `KeyObject.export({ type: 'spki' })` gives it, and the extensions a TLS server needs (basic
 * constraints not-a-CA, key usage digitalSignature, extended key usage serverAuth, subjectAltName
 * with the IP address and the name); then signed with `crypto.sign('sha256', …)`, whose EC
 * signature is already the DER `ECDSA-Sig-Value` X.509 wants.
 */
import { generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIPv4 } from 'node:net';

/** A certificate with its key, PEM encoded. */
export interface SelfSigned {
  /** PKCS#8 private key, PEM. */
  key: string;
  /** X.509 certificate, PEM. */
  cert: string;
  /** SHA-256 of the DER, upper-case hex with colons (xapi's `Certificate.fingerprint_sha256`). */
  fingerprint: string;
}

/** What goes into the certificate. */
export interface SelfSignedOptions {
  /** Common name; also a DNS subjectAltName when it is a valid DNS name. */
  name: string;
  /** IPv4 address put in the subjectAltName (what a client connecting by address checks). */
  address: string;
  notBefore: Date;
  notAfter: Date;
}

/** Names that may also go in as a DNS subjectAltName (host labels from a dump may have spaces). */
const DNS_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
/** Random bytes in the serial number (RFC 5280 allows up to 20 octets). */
const SERIAL_BYTES = 16;

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One DER type-length-value. */
function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, ...items);

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const arc of rest) {
    const base128: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift((v & 0x7f) | 0x80);
    out.push(...base128);
  }
  return tlv(0x06, Buffer.from(out));
}

/** A non-negative INTEGER from big-endian bytes. */
function unsignedInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z';
  const year = d.getUTCFullYear();
  return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii')) : tlv(0x18, Buffer.from(digits, 'ascii'));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}

/** Makes a self-signed EC P-256 server certificate. */
export function makeSelfSigned(opts: SelfSignedOptions): SelfSigned {
  if (!isIPv4(opts.address)) throw new Error(`not an IPv4 address: ${opts.address}`);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const algorithm = seq(oid(OID.ecdsaWithSha256));
  const name = seq(tlv(0x31, seq(oid(OID.commonName), tlv(0x0c, Buffer.from(opts.name, 'utf8')))));
  const serial = randomBytes(SERIAL_BYTES);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01; // positive and exactly SERIAL_BYTES long
  const ip = Buffer.from(opts.address.split('.').map(Number));
  const extensions = seq(
    extension(OID.basicConstraints, true, seq()),
    extension(OID.keyUsage, true, tlv(0x03, Buffer.from([0x07, 0x80]))), // digitalSignature (bit 0)
    extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth))),
    extension(OID.subjectAltName, false, seq(tlv(0x87, ip), ...(DNS_NAME.test(opts.name) ? [tlv(0x82, Buffer.from(opts.name, 'ascii'))] : []))),
  );
  const tbs = seq(
    tlv(0xa0, unsignedInteger(Buffer.from([2]))), // version v3
    unsignedInteger(serial),
    algorithm,
    name,
    seq(time(opts.notBefore), time(opts.notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, algorithm, tlv(0x03, Buffer.from([0]), signature));
  const cert = `-----BEGIN CERTIFICATE-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { key, cert, fingerprint: new X509Certificate(cert).fingerprint256.toUpperCase() };
}
