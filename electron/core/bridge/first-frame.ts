/**
 * First-frame nudge for QEMU consoles: one harmless client message right after the page's first
 * FramebufferUpdateRequest, so QEMU answers it at once instead of on its slowed-down refresh tick.
 *
 * Why: QEMU's VNC server sends updates from a refresh timer whose interval starts at 30 ms, grows by
 * 50 ms on every idle tick (up to 3 s) and is reset to the base only by client messages of type > 3
 * (`protocol_client_msg` in ui/vnc.c). By the time a client has finished the handshake the interval has
 * grown, and a FramebufferUpdateRequest (type 3) does not reset it: the first frame waited ~80 ms.
 * The nudge is a ClientCutText (type 6) with no text. It is not an input event (QEMU's `input_event_*`
 * trace shows nothing, test/bridge/first-frame-qemu.test.ts checks it), old QEMUs ignore cut text, new
 * ones store an empty clipboard that reaches a guest only through a clipboard agent, which Xen HVM
 * guests do not have; xapi does not count it as activity for the idle timeout.
 *
 * How it works: `FirstFrameWatch` reads the console's bytes until ServerInit (version → security list or
 * type → SecurityResult → ServerInit) and notes whether the desktop name is QEMU's (`QEMU` or
 * `QEMU (name)`); then it looks at the page's messages until the first non-incremental update request
 * (a 10-byte message of type 3 — no handshake message has that shape) and says "send the nudge now"
 * once. Anything unexpected (other security types, other servers) turns it off; after it is done it
 * costs one boolean test per chunk.
 */

/** ClientCutText (type 6), 3 bytes padding, length 0. */
export const REFRESH_NUDGE: Buffer = Buffer.from([6, 0, 0, 0, 0, 0, 0, 0]);

/** Most server bytes read while looking for ServerInit (greeting + security + ServerInit + name), bytes. */
const MAX_HANDSHAKE_BYTES = 4096;

type Phase = 'server-handshake' | 'await-request' | 'done';

/** Watches one console connection for the moment to send `REFRESH_NUDGE`. */
export class FirstFrameWatch {
  private phase: Phase = 'server-handshake';
  private server: Buffer = Buffer.alloc(0);

  /** True while the watch still needs to see bytes. */
  get active(): boolean {
    return this.phase !== 'done';
  }

  /** Feeds bytes the console server sent. */
  fromServer(chunk: Buffer): void {
    if (this.phase !== 'server-handshake') return;
    this.server = Buffer.concat([this.server, chunk]);
    const result = parseServerInit(this.server);
    if (result === 'more') {
      if (this.server.length > MAX_HANDSHAKE_BYTES) this.stop();
      return;
    }
    this.server = Buffer.alloc(0);
    if (result === 'other' || !/^QEMU( \(|$)/.test(result.name)) this.stop();
    else this.phase = 'await-request';
  }

  /** Feeds one message the page sent; true when the nudge should follow it (once). */
  fromPage(chunk: Buffer): boolean {
    if (this.phase !== 'await-request') return false;
    if (chunk.length === 10 && chunk[0] === 3 && chunk[1] === 0) {
      this.stop();
      return true;
    }
    return false;
  }

  private stop(): void {
    this.phase = 'done';
    this.server = Buffer.alloc(0);
  }
}

/** ServerInit's desktop name once the server's handshake bytes hold it; 'more' or 'other' otherwise. */
export function parseServerInit(buf: Buffer): { name: string } | 'more' | 'other' {
  if (buf.length < 12) return 'more';
  const version = /^RFB 003\.(\d{3})\n$/.exec(buf.toString('latin1', 0, 12));
  if (version === null) return 'other';
  const minor = Number(version[1]);
  let o = 12;
  if (minor < 7) {
    // 3.3: the server picks the type, a u32; only None (1) goes straight on to ServerInit.
    if (buf.length < o + 4) return 'more';
    if (buf.readUInt32BE(o) !== 1) return 'other';
    o += 4;
  } else {
    const count = buf[o];
    if (count === undefined) return 'more';
    if (count === 0) return 'other';
    if (buf.length < o + 1 + count) return 'more';
    // Only a server offering None alone is followed: with a choice, the page may pick another type.
    if (count !== 1 || buf[o + 1] !== 1) return 'other';
    o += 1 + count;
    if (minor >= 8) {
      if (buf.length < o + 4) return 'more';
      if (buf.readUInt32BE(o) !== 0) return 'other';
      o += 4;
    }
  }
  if (buf.length < o + 24) return 'more';
  const nameLength = buf.readUInt32BE(o + 20);
  if (nameLength > MAX_HANDSHAKE_BYTES) return 'other';
  if (buf.length < o + 24 + nameLength) return 'more';
  return { name: buf.toString('utf8', o + 24, o + 24 + nameLength) };
}
