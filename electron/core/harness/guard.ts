/**
 * The web harness's gatekeeping: the random token, the request checks and the security headers.
 *
 * How it works: the harness listens on loopback only, but any local process and any web page the
 * user's browser shows can still reach a loopback port. So every request is checked in layers:
 * - `Host` must be exactly `127.0.0.1:<port>` — a page on another name that resolves to 127.0.0.1
 *   (DNS rebinding) sends its own name here and is refused;
 * - the page (`/`) and the API socket need the token (≥ 256 random bits, compared in constant time),
 *   which only the user who started the harness has (it is printed on their terminal);
 * - the API socket also needs `Origin` to be the harness's own origin, so a page of another origin that
 *   somehow learnt the token still cannot open it from the user's browser.
 * The page's CSP comes from the one builder (`core/csp.ts`): own scripts only; sockets to the harness
 * and the bridge.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Random bytes in a harness token (256 bits). */
export const TOKEN_BYTES = 32;

/** A fresh URL-safe token of `TOKEN_BYTES` random bytes. */
export function createToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** Constant-time comparison of a presented token with the real one (false for a missing one). */
export function tokenMatches(presented: string | null | undefined, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  // Length is not secret (always 43 characters); the comparison of the bytes is.
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The single header value of `name`, or undefined when absent or repeated. */
function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** True when `Host` is exactly the harness's `127.0.0.1:<port>` (defeats DNS rebinding). */
export function hostMatches(headers: IncomingHttpHeaders, port: number): boolean {
  return single(headers, 'host') === `127.0.0.1:${port}`;
}

/** True when `Origin` is exactly the harness's own origin. */
export function originMatches(headers: IncomingHttpHeaders, origin: string): boolean {
  return single(headers, 'origin') === origin;
}

/** Headers every harness response carries. */
export function baseHeaders(): Record<string, string> {
  return {
    'X-Content-Type-Options': 'nosniff',
    // The page URL carries the token: never send it on as a Referer.
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    // Other origins cannot even embed our files with no-cors requests.
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
