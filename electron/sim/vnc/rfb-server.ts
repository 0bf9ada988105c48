/**
 * The server side of one RFB connection (RFC 6143) over any Duplex stream, serving a `Framebuffer`.
 *
 * How it works: a small explicit state machine —
 *   version → security → clientInit → normal → closed
 * The server greets `RFB 003.008`; a client answering 3.7 or 3.8 gets that version's security list
 * (None only), anything else 3.x is treated as 3.3 (the spec's rule) and gets the security type as a
 * u32. In `normal` the fixed-size client messages are parsed from an input buffer; an unknown message
 * type closes the connection (there is no way to skip it). Updates use Tight (`tight.ts`) when the client
 * lists it before Raw and its pixel format allows a 3-byte TPIXEL, else Raw rectangles in the client's
 * pixel format, plus the DesktopSize pseudo-rectangle after a resize. Damage from the framebuffer is
 * collected per connection; an incremental request is answered only when something inside it changed
 * (held until then), a non-incremental one at once with the whole requested area.
 */
import type { Duplex } from 'node:stream';
import { getLogger } from '../../../shared/log';
import { contains, intersect, union, type Framebuffer, type Rect } from './framebuffer';
import { DEFAULT_TIGHT_ZLIB_LEVEL, ENCODING_COMPRESS_LEVEL_0, ENCODING_TIGHT, encodeTight, tightUsable } from './tight';
import { DEFAULT_PIXEL_FORMAT, encodeRect, readPixelFormat, unsupportedReason, writePixelFormat, type PixelFormat } from './pixel-format';

const log = getLogger('sim-rfb');

/** Encoding numbers (RFC 6143 §7.7). */
export const ENCODING_RAW = 0;
/** DesktopSize pseudo-encoding. */
export const ENCODING_DESKTOP_SIZE = -223;

/** Largest ClientCutText accepted, bytes; a larger one closes the connection. */
const MAX_CUT_TEXT_BYTES = 1024 * 1024;
/** Damage rectangles kept per client before they are merged into their bounding box. */
const MAX_DIRTY_RECTS = 32;

/** What the connection reports to the server that owns the screen. */
export interface RfbInputHandler {
  key(keysym: number, down: boolean): void;
  pointer(x: number, y: number, buttonMask: number): void;
  cutText(text: string): void;
}

type State = 'version' | 'security' | 'clientInit' | 'normal' | 'closed';
type Minor = 3 | 7 | 8;

const TRANSITIONS: Record<State, readonly State[]> = {
  version: ['security', 'clientInit', 'closed'],
  security: ['clientInit', 'closed'],
  clientInit: ['normal', 'closed'],
  normal: ['closed'],
  closed: [],
};

interface PendingRequest {
  incremental: boolean;
  area: Rect;
}

/** One client connection. Created by `serveRfb`. */
export class RfbServerConnection {
  private state: State = 'version';
  private minor: Minor = 8;
  private input: Buffer = Buffer.alloc(0);
  private pixelFormat: PixelFormat = DEFAULT_PIXEL_FORMAT;
  private encodings = new Set<number>([ENCODING_RAW]);
  /** Tight was listed before Raw in the last SetEncodings. */
  private prefersTight = false;
  private zlibLevel = DEFAULT_TIGHT_ZLIB_LEVEL;
  private dirty: Rect[] = [];
  private pending: PendingRequest | undefined;
  /** The size this client believes the screen has. */
  private clientWidth: number;
  private clientHeight: number;
  private sendScheduled = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly stream: Duplex,
    private readonly fb: Framebuffer,
    private readonly desktopName: string,
    private readonly handler: RfbInputHandler,
    private readonly onClosed: (conn: RfbServerConnection) => void,
  ) {
    this.clientWidth = fb.width;
    this.clientHeight = fb.height;
    this.unsubscribe = fb.onDamage((rect) => this.addDirty(rect));
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
    stream.on('end', () => this.close('client ended the stream'));
    stream.on('close', () => this.close('stream closed'));
    stream.on('error', (err: Error) => this.close(err.message));
    stream.write('RFB 003.008\n');
  }

  /** Current protocol state (for tests and logs). */
  get currentState(): State {
    return this.state;
  }

  /** Closes the connection and releases its stream. Idempotent. */
  close(reason: string): void {
    if (this.state === 'closed') return;
    this.transition('closed');
    log.debug('rfb connection closed', { reason });
    this.unsubscribe();
    this.dirty = [];
    this.pending = undefined;
    this.stream.destroy();
    this.onClosed(this);
  }

  private transition(to: State): void {
    if (!TRANSITIONS[this.state].includes(to)) throw new Error(`illegal RFB state change ${this.state} → ${to}`);
    this.state = to;
  }

  private receive(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    // Each step consumes one message or returns 0 when more bytes are needed.
    for (;;) {
      const used = this.step();
      // step() may have closed the connection (re-read the state: TS narrowed it above).
      if (used === 0 || this.currentState === 'closed') break;
      this.input = this.input.subarray(used);
    }
  }

  private step(): number {
    const buf = this.input;
    switch (this.state) {
      case 'version':
        return this.readVersion(buf);
      case 'security':
        return this.readSecurityChoice(buf);
      case 'clientInit':
        return this.readClientInit(buf);
      case 'normal':
        return this.readMessage(buf);
      case 'closed':
        return 0;
    }
  }

  private readVersion(buf: Buffer): number {
    if (buf.length < 12) return 0;
    const match = /^RFB (\d{3})\.(\d{3})\n$/.exec(buf.toString('latin1', 0, 12));
    if (match === null || Number(match[1]) !== 3) {
      this.close('bad protocol version');
      return 0;
    }
    const minor = Number(match[2]);
    this.minor = minor === 7 ? 7 : minor === 8 ? 8 : 3;
    if (this.minor === 3) {
      // RFB 3.3: the server decides; security type None as a u32, then straight to ClientInit.
      const sec = Buffer.alloc(4);
      sec.writeUInt32BE(1);
      this.stream.write(sec);
      this.transition('clientInit');
    } else {
      this.stream.write(Buffer.from([1, 1]));
      this.transition('security');
    }
    return 12;
  }

  private readSecurityChoice(buf: Buffer): number {
    if (buf.length < 1) return 0;
    if (buf[0] !== 1) {
      if (this.minor === 8) {
        const reason = Buffer.from('security type not offered', 'latin1');
        const head = Buffer.alloc(8);
        head.writeUInt32BE(1, 0);
        head.writeUInt32BE(reason.length, 4);
        this.stream.write(Buffer.concat([head, reason]));
      }
      this.close('client chose an unoffered security type');
      return 0;
    }
    // 3.8 reports SecurityResult even for None; 3.7 does not.
    if (this.minor === 8) this.stream.write(Buffer.alloc(4));
    this.transition('clientInit');
    return 1;
  }

  private readClientInit(buf: Buffer): number {
    if (buf.length < 1) return 0;
    // The shared flag is ignored: every client shares the screen, as XenServer's servers do.
    const name = Buffer.from(this.desktopName, 'utf8');
    const head = Buffer.alloc(4);
    head.writeUInt16BE(this.fb.width, 0);
    head.writeUInt16BE(this.fb.height, 2);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(name.length);
    this.clientWidth = this.fb.width;
    this.clientHeight = this.fb.height;
    this.stream.write(Buffer.concat([head, writePixelFormat(DEFAULT_PIXEL_FORMAT), len, name]));
    this.transition('normal');
    return 1;
  }

  private readMessage(buf: Buffer): number {
    if (buf.length < 1) return 0;
    const type = buf[0];
    switch (type) {
      case 0: {
        // SetPixelFormat
        if (buf.length < 20) return 0;
        const pf = readPixelFormat(buf, 4);
        const why = unsupportedReason(pf);
        if (why !== undefined) {
          this.close(`unsupported pixel format: ${why}`);
          return 0;
        }
        this.pixelFormat = pf;
        return 20;
      }
      case 2: {
        // SetEncodings
        if (buf.length < 4) return 0;
        const count = buf.readUInt16BE(2);
        const size = 4 + 4 * count;
        if (buf.length < size) return 0;
        const list: number[] = [];
        for (let i = 0; i < count; i++) list.push(buf.readInt32BE(4 + 4 * i));
        this.encodings = new Set(list);
        // The client's order is its preference (RFC 6143 §7.5.2).
        const tight = list.indexOf(ENCODING_TIGHT);
        const raw = list.indexOf(ENCODING_RAW);
        this.prefersTight = tight >= 0 && (raw < 0 || tight < raw);
        const level = list.find((e) => e >= ENCODING_COMPRESS_LEVEL_0 && e <= ENCODING_COMPRESS_LEVEL_0 + 9);
        this.zlibLevel = level === undefined ? DEFAULT_TIGHT_ZLIB_LEVEL : level - ENCODING_COMPRESS_LEVEL_0;
        return size;
      }
      case 3: {
        // FramebufferUpdateRequest
        if (buf.length < 10) return 0;
        const incremental = buf[1] !== 0;
        const area = { x: buf.readUInt16BE(2), y: buf.readUInt16BE(4), w: buf.readUInt16BE(6), h: buf.readUInt16BE(8) };
        this.request(incremental, area);
        return 10;
      }
      case 4: {
        // KeyEvent
        if (buf.length < 8) return 0;
        this.handler.key(buf.readUInt32BE(4), buf[1] !== 0);
        return 8;
      }
      case 5: {
        // PointerEvent
        if (buf.length < 6) return 0;
        this.handler.pointer(buf.readUInt16BE(2), buf.readUInt16BE(4), buf[1] ?? 0);
        return 6;
      }
      case 6: {
        // ClientCutText
        if (buf.length < 8) return 0;
        const length = buf.readUInt32BE(4);
        if (length > MAX_CUT_TEXT_BYTES) {
          this.close('cut text too long');
          return 0;
        }
        if (buf.length < 8 + length) return 0;
        this.handler.cutText(buf.toString('latin1', 8, 8 + length));
        return 8 + length;
      }
      case 255: {
        // QEMU client message; only sub-type 0 (extended key event) exists here: keysym and keycode.
        if (buf.length < 2) return 0;
        if (buf[1] !== 0) {
          this.close(`unknown QEMU message ${buf[1] ?? -1}`);
          return 0;
        }
        if (buf.length < 12) return 0;
        this.handler.key(buf.readUInt32BE(4), buf.readUInt16BE(2) !== 0);
        return 12;
      }
      default:
        this.close(`unknown client message type ${type ?? -1}`);
        return 0;
    }
  }

  private request(incremental: boolean, area: Rect): void {
    if (!incremental) this.addDirty(area);
    this.pending = { incremental, area };
    this.scheduleSend();
  }

  private addDirty(rect: Rect): void {
    if (this.state === 'closed') return;
    this.dirty.push(rect);
    if (this.dirty.length > MAX_DIRTY_RECTS) this.dirty = [this.dirty.reduce(union)];
    if (this.pending !== undefined) this.scheduleSend();
  }

  /** Sends on the next turn, so several drawing calls become one update. */
  private scheduleSend(): void {
    if (this.sendScheduled) return;
    this.sendScheduled = true;
    setImmediate(() => {
      this.sendScheduled = false;
      this.sendUpdate();
    });
  }

  private sendUpdate(): void {
    const req = this.pending;
    if (req === undefined || this.state !== 'normal') return;
    const resized = this.fb.width !== this.clientWidth || this.fb.height !== this.clientHeight;
    const canResize = this.encodings.has(ENCODING_DESKTOP_SIZE);
    if (resized && canResize) {
      this.clientWidth = this.fb.width;
      this.clientHeight = this.fb.height;
    }
    const screen = { x: 0, y: 0, w: Math.min(this.clientWidth, this.fb.width), h: Math.min(this.clientHeight, this.fb.height) };
    const wanted = intersect(req.area, screen);
    const rects: Rect[] = [];
    const kept: Rect[] = [];
    for (const d of this.dirty) {
      const part = wanted === undefined ? undefined : intersect(d, wanted);
      if (part !== undefined) rects.push(part);
      // Damage outside the requested area stays for a later request.
      if (wanted === undefined || !contains(wanted, d)) kept.push(d);
    }
    if (rects.length === 0 && !(resized && canResize)) return;
    this.dirty = kept;
    this.pending = undefined;
    this.stream.write(this.buildUpdate(rects, resized && canResize));
  }

  private buildUpdate(rects: Rect[], desktopSize: boolean): Buffer {
    const parts: Buffer[] = [];
    let count = 0;
    const header = (r: Rect, encoding: number): Buffer => {
      const h = Buffer.alloc(12);
      h.writeUInt16BE(r.x, 0);
      h.writeUInt16BE(r.y, 2);
      h.writeUInt16BE(r.w, 4);
      h.writeUInt16BE(r.h, 6);
      h.writeInt32BE(encoding, 8);
      count++;
      return h;
    };
    if (desktopSize) parts.push(header({ x: 0, y: 0, w: this.fb.width, h: this.fb.height }, ENCODING_DESKTOP_SIZE));
    const tight = this.prefersTight && tightUsable(this.pixelFormat);
    const bytesPerPixel = this.pixelFormat.bitsPerPixel / 8;
    for (const r of rects) {
      if (tight) {
        for (const tile of encodeTight(this.fb.rgba, this.fb.width, r, this.zlibLevel)) parts.push(header(tile.rect, ENCODING_TIGHT), tile.body);
      } else {
        const body = Buffer.alloc(r.w * r.h * bytesPerPixel);
        encodeRect(this.fb.rgba, this.fb.width, r.x, r.y, r.w, r.h, this.pixelFormat, body, 0);
        parts.push(header(r, ENCODING_RAW), body);
      }
    }
    const head = Buffer.alloc(4);
    head.writeUInt16BE(count, 2);
    return Buffer.concat([head, ...parts]);
  }
}

/** Serves the RFB protocol for `fb` on `stream` until either side closes it. */
export function serveRfb(
  stream: Duplex,
  fb: Framebuffer,
  desktopName: string,
  handler: RfbInputHandler,
  onClosed: (conn: RfbServerConnection) => void,
): RfbServerConnection {
  return new RfbServerConnection(stream, fb, desktopName, handler, onClosed);
}
