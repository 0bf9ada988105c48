/**
 * The byte-level parser of the answer to an XAPI console `CONNECT` (see docs/xapi-notes.md, "The console tunnel").
 *
 * How it works: the caller accumulates the bytes read from the TLS socket and calls
 * `parseConnectResponse` after each read. The parser looks for the first CRLFCRLF; until it is there the
 * answer is `incomplete` (or `invalid` once the bytes can no longer be an HTTP status line, or the header
 * grew past its cap). When it is there, it returns the status, reason and headers and the offset where
 * the header ends: everything after it is console data (on a 200, the RFB greeting often shares the read)
 * or, on an error answer, the HTML body.
 *
 * Pure and dependency-free (no Node built-ins, `Uint8Array` only) so it can be property-tested in
 * isolation. Also here: reading the names out of xapi's 503 "Connection Limit Exceeded" body.
 */

/** Largest header the bridge accepts before giving up on the answer, bytes. */
export const MAX_CONNECT_HEADER_BYTES = 16 * 1024;

/** A parsed status line plus headers. */
export interface ConnectAnswer {
  /** `1.1` for xapi, whatever the request said. */
  version: string;
  status: number;
  reason: string;
  /** Header lines in order, names lower-cased, values trimmed. */
  headers: [string, string][];
  /** Number of bytes the header takes, CRLFCRLF included: console data (or the body) starts here. */
  headerBytes: number;
}

/** The outcome of one parse attempt. */
export type ConnectParse =
  | { state: 'incomplete' }
  | { state: 'invalid'; error: string }
  | ({ state: 'complete' } & ConnectAnswer);

const CR = 13;
const LF = 10;
const STATUS_PREFIX = [72, 84, 84, 80, 47]; // "HTTP/"
const STATUS_LINE = /^HTTP\/(\d)\.(\d) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Index just past the first CRLFCRLF in `bytes`, or -1. */
export function findHeaderEnd(bytes: Uint8Array): number {
  for (let i = 3; i < bytes.length; i++) {
    if (bytes[i] === LF && bytes[i - 1] === CR && bytes[i - 2] === LF && bytes[i - 3] === CR) return i + 1;
  }
  return -1;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i] ?? 0);
  return text;
}

/**
 * Parses the CONNECT answer at the start of `bytes` (everything read so far). Never throws; `maxBytes`
 * caps how long the header may be.
 */
export function parseConnectResponse(bytes: Uint8Array, maxBytes = MAX_CONNECT_HEADER_BYTES): ConnectParse {
  // Fail fast on something that is not HTTP at all (a VNC server answering directly, TLS garbage).
  for (let i = 0; i < Math.min(bytes.length, STATUS_PREFIX.length); i++) {
    if (bytes[i] !== STATUS_PREFIX[i]) return { state: 'invalid', error: 'the answer is not HTTP' };
  }
  const end = findHeaderEnd(bytes.length > maxBytes ? bytes.subarray(0, maxBytes) : bytes);
  if (end < 0) {
    return bytes.length >= maxBytes ? { state: 'invalid', error: `the answer header exceeds ${maxBytes} bytes` } : { state: 'incomplete' };
  }
  const lines = latin1(bytes, 0, end - 4).split('\r\n');
  const match = STATUS_LINE.exec(lines[0] ?? '');
  if (match === null) return { state: 'invalid', error: 'malformed status line' };
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!HEADER_NAME.test(name) || /[\r\n\0]/.test(line)) return { state: 'invalid', error: 'malformed header line' };
    headers.push([name.toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return {
    state: 'complete',
    version: `${match[1] ?? ''}.${match[2] ?? ''}`,
    status: Number(match[3]),
    reason: match[4] ?? '',
    headers,
    headerBytes: end,
  };
}

/** The value of the first header called `name` (lower case), if any. */
export function headerValue(answer: ConnectAnswer, name: string): string | undefined {
  return answer.headers.find(([n]) => n === name)?.[1];
}

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&#x27;': "'", '&#39;': "'" };

/**
 * Who holds a console, from xapi's 503 body (`console.ml` `respond_console_limit_exceeded`):
 * `User 'alice' is currently connected` or `Users 'alice, bob' are currently connected`, HTML-escaped.
 * Empty when the body does not say.
 */
export function consoleUsersFromBody(body: string): string[] {
  const match = /Users? '([^']*)' (?:is|are) currently connected/.exec(body);
  if (match === null) return [];
  const unescape = (s: string): string => s.replace(/&(?:lt|gt|amp|quot|#x27|#39);/g, (e) => ENTITIES[e] ?? e);
  return (match[1] ?? '')
    .split(', ')
    .map((s) => unescape(s).trim())
    .filter((s) => s !== '');
}
