/**
 * The one Content-Security-Policy builder: the shell sends it with every app:// response, the web
 * harness with its page.
 *
 * Scripts, fonts and images come only from the app itself; the only network destinations are the
 * loopback WebSocket origins passed in (the console bridge; in the harness also its own API socket). `style-src` allows 'unsafe-inline' on
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

/** The directives in order; connect-src lists `connectOrigins` (each checked), or 'none' when there are none yet. */
export function cspDirectives(connectOrigins: readonly string[]): [string, string][] {
  for (const origin of connectOrigins) assertBridgeOrigin(origin);
  const connect = [...new Set(connectOrigins)];
  return [
    ['default-src', "'none'"],
    ['script-src', "'self'"],
    ['style-src', "'self' 'unsafe-inline'"],
    ['img-src', "'self' data: blob:"],
    ['font-src', "'self'"],
    ['connect-src', connect.length === 0 ? "'none'" : connect.join(' ')],
    ['base-uri', "'none'"],
    ['form-action', "'none'"],
    ['frame-ancestors', "'none'"],
  ];
}

/** The header value: `default-src 'none'; script-src 'self'; …`. */
export function buildCsp(connectOrigins: readonly string[]): string {
  return cspDirectives(connectOrigins)
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');
}
