/**
 * What a Porthole window may do besides showing its own page: nothing.
 *
 * Navigation, redirects and window.open are all refused; when the target is a well-formed https:
 * link the shell hands it to the OS browser instead (`shell.openExternal`), so links in About or in
 * error messages still work without the page ever leaving app://. Permissions are permissions.ts.
 */

/** Longest URL we hand to the OS, in characters (a sanity bound; real links are far shorter). */
export const MAX_EXTERNAL_URL_CHARS = 2048;

/** The normalised URL when `raw` is safe to open in the OS browser: https, a host, no credentials. */
export function safeExternalUrl(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length > MAX_EXTERNAL_URL_CHARS) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  // Why https only: file:, smb:, custom handlers and javascript: can run code or leak NTLM hashes.
  if (url.protocol !== 'https:' || url.hostname === '') return undefined;
  // Why no credentials: `https://trusted.example@evil.example/` is a classic phishing shape.
  if (url.username !== '' || url.password !== '') return undefined;
  return url.href;
}

/** The shell's answer to a navigation, redirect or window.open: always deny; maybe open externally. */
export interface NavigationDecision {
  allow: false;
  /** Set when the target should be opened in the OS browser instead. */
  openExternal?: string;
}

/** `will-navigate` / `will-frame-navigate`: the page never leaves app://; https links go to the browser. */
export function decideNavigation(targetUrl: string): NavigationDecision {
  const external = safeExternalUrl(targetUrl);
  return external === undefined ? { allow: false } : { allow: false, openExternal: external };
}

/** `will-redirect`: our protocol never redirects, so any redirect is refused outright. */
export function decideRedirect(_targetUrl: string): NavigationDecision {
  return { allow: false };
}

/** `setWindowOpenHandler`: no child windows; https links go to the browser. */
export function decideWindowOpen(targetUrl: string): NavigationDecision {
  return decideNavigation(targetUrl);
}
