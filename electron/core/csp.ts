/**
 * Builds the Content-Security-Policy the shell sends with every app:// response.
 *
 * Scripts, fonts and images come only from the app itself; the only network destination is the
 * console bridge on loopback (its ws:// origin, passed in). `style-src` allows 'unsafe-inline' on
 * purpose: Svelte writes `style=""` attributes for dynamic sizes and xterm.js injects `<style>`
 * elements for its themes, neither can carry a nonce. The risk of inline CSS is data exfiltration
 * through url(), which `img-src`/`font-src`/`connect-src` already confine to the app and the bridge.
 */

/** The exact bridge origin shape we accept: ws to an IPv4 loopback address with an explicit port. */
const BRIDGE_ORIGIN = /^ws:\/\/127\.0\.0\.1:(\d{1,5})$/;

/** Throws unless `origin` is `ws://127.0.0.1:<port>` with 1 ≤ port ≤ 65535. */
export function assertBridgeOrigin(origin: string): void {
  const match = BRIDGE_ORIGIN.exec(origin);
  const port = match?.[1] === undefined ? 0 : Number(match[1]);
  // Why: anything else in connect-src would let the page talk to the network.
  if (port < 1 || port > 65535) throw new Error(`not a loopback bridge origin: ${JSON.stringify(origin)}`);
}

/** The directives in order; without a bridge origin (not listening yet) connect-src is 'none'. */
export function cspDirectives(bridgeOrigin: string | undefined): [string, string][] {
  if (bridgeOrigin !== undefined) assertBridgeOrigin(bridgeOrigin);
  return [
    ['default-src', "'none'"],
    ['script-src', "'self'"],
    ['style-src', "'self' 'unsafe-inline'"],
    ['img-src', "'self' data: blob:"],
    ['font-src', "'self'"],
    ['connect-src', bridgeOrigin ?? "'none'"],
    ['base-uri', "'none'"],
    ['form-action', "'none'"],
    ['frame-ancestors', "'none'"],
  ];
}

/** The header value: `default-src 'none'; script-src 'self'; …`. */
export function buildCsp(bridgeOrigin: string | undefined): string {
  return cspDirectives(bridgeOrigin)
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');
}
