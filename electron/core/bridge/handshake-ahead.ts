/**
 * Handshake ahead: the bridge gives the console server the page's three RFB handshake answers as soon
 * as the server's messages arrive, so the server's side of the handshake runs while the page is still
 * reading the greeting, instead of one page round trip after another.
 *
 * Why: an RFB 3.8 handshake with security None is four lockstep round trips (version, security type,
 * ClientInit, then the first update request), each crossing page → bridge → host and back. The page's
 * answers to the first three are fixed: noVNC answers a 3.8 greeting with 3.8, a list holding only None
 * with None, and opens shared (ConsoleView always asks for a shared session). So the bridge sends those
 * answers itself the moment the server's message is in, and the page's own copies, when they come, are
 * checked byte for byte and dropped. Every server byte still reaches the page unchanged and in order;
 * the page runs its handshake as before, only the server's messages are already there when it asks.
 * Over a WAN link to the host this saves three host round trips; on one machine, the queueing of three.
 *
 * How it works: `fromServer` parses the greeting, the security list and the SecurityResult (the first
 * 18 bytes) and queues the matching answer (`RFB 003.008\n`, `1`, then ClientInit `1`) upstream; any
 * other server (3.3, 3.7, a list with another type, a failed result) ends the look-ahead where it is.
 * `fromPage` takes each page message: bytes the bridge already sent for the page must match and are
 * removed; the rest is returned for the server. Page bytes the bridge did not expect while it is still
 * looking ahead (a client that does not wait for the server) end the look-ahead, and a page that
 * answers differently from what was sent gets `'mismatch'` (the relay closes the console: the server
 * already holds the other answer). Callers feed server bytes before passing them on to the page.
 */

/** What the bridge answers a 3.8 greeting with, as noVNC does. */
const VERSION_38 = 'RFB 003.008\n';
/** Server handshake bytes the look-ahead reads: greeting (12), one-type list (2), SecurityResult (4). */
const HANDSHAKE_BYTES = 18;
const SECURITY_NONE = 1;
/** ClientInit with the shared flag set. */
const CLIENT_INIT_SHARED = 1;

/** Looks one console's RFB handshake ahead for the page. */
export class HandshakeAhead {
  private server: Buffer = Buffer.alloc(0);
  /** Server bytes parsed so far: 0 (greeting next), 12 (security list next), 14 (result next); -1 done. */
  private parsed = 0;
  /** Bytes sent upstream for the page that the page has not sent yet. */
  private expected: Buffer = Buffer.alloc(0);

  /** `send` writes bytes to the console server. */
  constructor(private readonly send: (bytes: Buffer) => void) {}

  /** True while server or page bytes still need looking at. */
  get active(): boolean {
    return this.parsed >= 0 || this.expected.length > 0;
  }

  /** Feeds bytes the console server sent (before they are passed on to the page). */
  fromServer(chunk: Buffer): void {
    if (this.parsed < 0) return;
    this.server = this.server.length === 0 ? Buffer.from(chunk.subarray(0, HANDSHAKE_BYTES)) : Buffer.concat([this.server, chunk]).subarray(0, HANDSHAKE_BYTES);
    const buf = this.server;
    if (this.parsed === 0 && buf.length >= 12) {
      if (buf.toString('latin1', 0, 12) !== VERSION_38) return this.stop();
      this.answer(Buffer.from(VERSION_38, 'latin1'));
      this.parsed = 12;
    }
    if (this.parsed === 12 && buf.length >= 14) {
      if (buf[12] !== 1 || buf[13] !== SECURITY_NONE) return this.stop();
      this.answer(Buffer.from([SECURITY_NONE]));
      this.parsed = 14;
    }
    if (this.parsed === 14 && buf.length >= HANDSHAKE_BYTES) {
      if (buf.readUInt32BE(14) !== 0) return this.stop();
      this.answer(Buffer.from([CLIENT_INIT_SHARED]));
      this.stop();
    }
  }

  /** Takes one page message: what is left to send to the server, or 'mismatch'. */
  fromPage(chunk: Buffer): Buffer | 'mismatch' {
    const n = Math.min(chunk.length, this.expected.length);
    if (n === 0) {
      // The page did not wait for the server: stop guessing its answers.
      this.stop();
      return chunk;
    }
    if (!chunk.subarray(0, n).equals(this.expected.subarray(0, n))) return 'mismatch';
    this.expected = this.expected.subarray(n);
    // More than was expected: the page is ahead of the server, so no later answer may be guessed.
    if (chunk.length > n) this.stop();
    return chunk.subarray(n);
  }

  private answer(bytes: Buffer): void {
    this.expected = this.expected.length === 0 ? bytes : Buffer.concat([this.expected, bytes]);
    this.send(bytes);
  }

  private stop(): void {
    this.parsed = -1;
    this.server = Buffer.alloc(0);
  }
}
