/**
 * The smallest RFB client that can take one picture of a console: the thumbnail mode of the bridge.
 *
 * It is fed the console stream of an open tunnel (tunnel.ts: the same pinned TLS, CONNECT and session
 * cookie as a console tab) and speaks only what every server behind xapi understands — QEMU (3.8),
 * vncterm (3.3 only, Raw and Hextile only, drops unknown messages), Xvnc:
 *   version → security → serverInit → awaitUpdate → rects → done
 * It answers the server's own version (3.3, 3.7 or 3.8), picks security None, sends ClientInit with
 * shared = 1 (never kicks another viewer off), SetPixelFormat (16 bpp RGB565: half the bytes of
 * 32 bpp for the server, the TLS link and us, and plenty for a thumbnail), SetEncodings
 * [Raw, DesktopSize] and one non-incremental FramebufferUpdateRequest for the whole screen. It never
 * sends key or pointer events: a thumbnail is view-only by construction. Raw rectangles are copied
 * straight into one framebuffer allocation; a DesktopSize rectangle reallocates it and asks again.
 * The first update set that covers the screen is the picture. Bell and ServerCutText are skipped; anything else fails.
 */

/** Bytes per pixel of the format asked for. */
export const BYTES_PER_PIXEL = 2;

/** A picture of the whole screen: 2 bytes per pixel, RGB565 little-endian (red in the top 5 bits). */
export interface Frame {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** The client's states (see the header). */
export type ThumbnailRfbState = 'version' | 'security' | 'securityResult' | 'serverInit' | 'awaitUpdate' | 'rects' | 'done' | 'failed';

const LEGAL: Record<ThumbnailRfbState, readonly ThumbnailRfbState[]> = {
  version: ['security', 'failed'],
  security: ['securityResult', 'serverInit', 'failed'],
  securityResult: ['serverInit', 'failed'],
  serverInit: ['awaitUpdate', 'failed'],
  awaitUpdate: ['rects', 'failed'],
  rects: ['awaitUpdate', 'done', 'failed'],
  done: [],
  failed: [],
};

/** Largest screen accepted, px per side (a bigger ServerInit is refused rather than allocated). */
export const MAX_SCREEN_PX = 8192;
/** Longest server name or failure reason read, bytes. */
const MAX_TEXT_BYTES = 64 * 1024;
/** Longest ServerCutText skipped, bytes. */
const MAX_CUT_TEXT_BYTES = 1024 * 1024;
/** DesktopSize changes followed before giving up (a server resizing forever). */
const MAX_RESIZES = 4;
/** Updates asked for before a picture that still does not cover the screen is taken as it is. */
const MAX_UPDATES = 4;

const ENCODING_RAW = 0;
const ENCODING_DESKTOP_SIZE = -223;

/** SetPixelFormat: 16 bpp, depth 16, little-endian, true colour, RGB565 (max 31/63/31, shifts 11/5/0). */
function setPixelFormat(): Buffer {
  const b = Buffer.alloc(20);
  b[0] = 0;
  b[4] = 16;
  b[5] = 16;
  b[6] = 0;
  b[7] = 1;
  b.writeUInt16BE(31, 8);
  b.writeUInt16BE(63, 10);
  b.writeUInt16BE(31, 12);
  b[14] = 11;
  b[15] = 5;
  b[16] = 0;
  return b;
}

function setEncodings(): Buffer {
  const b = Buffer.alloc(4 + 8);
  b[0] = 2;
  b.writeUInt16BE(2, 2);
  b.writeInt32BE(ENCODING_RAW, 4);
  b.writeInt32BE(ENCODING_DESKTOP_SIZE, 8);
  return b;
}

function fullUpdateRequest(width: number, height: number): Buffer {
  const b = Buffer.alloc(10);
  b[0] = 3;
  b[1] = 0; // not incremental: the whole area now
  b.writeUInt16BE(width, 6);
  b.writeUInt16BE(height, 8);
  return b;
}

/** The protocol half of a thumbnail fetch: feed it server bytes, it writes client bytes and yields one frame. */
export class ThumbnailRfbClient {
  private stateValue: ThumbnailRfbState = 'version';
  private pending: Buffer = Buffer.alloc(0);
  private minor = 8;
  private width = 0;
  private height = 0;
  private pixels: Uint8Array = new Uint8Array(0);
  private rectsLeft = 0;
  private resizes = 0;
  private resized = false;
  private updates = 0;
  /** Pixels covered by Raw rectangles since the framebuffer was allocated. */
  private covered = 0;
  /** The Raw rectangle being copied: where, and how many of its bytes arrived. */
  private raw: { x: number; y: number; w: number; h: number; done: number } | undefined;
  /** Set once the picture is complete. */
  frame: Frame | undefined;
  /** Why the client failed. */
  error: string | undefined;

  /**
   * `write` sends bytes to the server; `alloc` gives a zero-filled framebuffer of that many bytes (the
   * fetch recycles them: see framebuffers in thumbnail-fetch.ts).
   */
  constructor(
    private readonly write: (bytes: Buffer) => void,
    private readonly alloc: (bytes: number) => Uint8Array = (bytes) => new Uint8Array(bytes),
  ) {}

  /** The framebuffer in use (to hand back once the frame has been shrunk, or the fetch failed). */
  get framebuffer(): Uint8Array {
    return this.pixels;
  }

  /** The current state. */
  get state(): ThumbnailRfbState {
    return this.stateValue;
  }

  private transition(next: ThumbnailRfbState): void {
    if (!LEGAL[this.stateValue].includes(next)) throw new Error(`thumbnail RFB: illegal transition ${this.stateValue} → ${next}`);
    this.stateValue = next;
  }

  private fail(why: string): void {
    if (this.stateValue === 'done' || this.stateValue === 'failed') return;
    this.error = why;
    this.transition('failed');
  }

  /** Takes the next server bytes (copied as needed: the caller may reuse `chunk` afterwards). */
  feed(chunk: Buffer): void {
    let input = chunk;
    while (input.length > 0 && this.stateValue !== 'done' && this.stateValue !== 'failed') {
      if (this.raw !== undefined) {
        input = this.copyRaw(input);
        continue;
      }
      this.pending = this.pending.length === 0 ? Buffer.from(input) : Buffer.concat([this.pending, input]);
      input = Buffer.alloc(0);
      this.step();
      if (this.raw !== undefined && this.pending.length > 0) {
        input = this.pending;
        this.pending = Buffer.alloc(0);
      }
    }
  }

  /** Parses whole messages out of `pending` while it can. */
  private step(): void {
    for (;;) {
      const before = this.pending.length;
      const state = this.stateValue;
      this.stepOnce();
      if (this.raw !== undefined || this.stateValue === 'done' || this.stateValue === 'failed') return;
      if (this.pending.length === before && this.stateValue === state) return;
    }
  }

  private take(n: number): Buffer | undefined {
    if (this.pending.length < n) return undefined;
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    return out;
  }

  private peek(n: number): Buffer | undefined {
    return this.pending.length < n ? undefined : this.pending.subarray(0, n);
  }

  private stepOnce(): void {
    switch (this.stateValue) {
      case 'version': {
        const v = this.take(12);
        if (v === undefined) return;
        const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(v.toString('latin1'));
        if (m === null || Number(m[1]) !== 3) return this.fail('the console server does not speak RFB 3.x');
        const minor = Number(m[2]);
        // vncterm drops a client answering anything but 3.3: answer the server's own version.
        this.minor = minor >= 8 ? 8 : minor === 7 ? 7 : 3;
        this.write(Buffer.from(`RFB 003.00${this.minor}\n`, 'latin1'));
        this.transition('security');
        return;
      }
      case 'security': {
        if (this.minor === 3) {
          const t = this.peek(4);
          if (t === undefined) return;
          const type = t.readUInt32BE(0);
          if (type === 0) return this.failWithReason(4);
          this.take(4);
          if (type !== 1) return this.fail(`the console server wants security type ${type}`);
          this.sendClientInit();
          this.transition('serverInit');
          return;
        }
        const n = this.peek(1);
        if (n === undefined) return;
        const count = n[0] ?? 0;
        if (count === 0) return this.failWithReason(1);
        const list = this.take(1 + count);
        if (list === undefined) return;
        if (!list.subarray(1).includes(1)) return this.fail('the console server offers no security type without a password');
        this.write(Buffer.from([1]));
        if (this.minor === 8) {
          this.transition('securityResult');
        } else {
          this.sendClientInit();
          this.transition('serverInit');
        }
        return;
      }
      case 'securityResult': {
        const r = this.peek(4);
        if (r === undefined) return;
        if (r.readUInt32BE(0) !== 0) return this.failWithReason(4);
        this.take(4);
        this.sendClientInit();
        this.transition('serverInit');
        return;
      }
      case 'serverInit': {
        const head = this.peek(24);
        if (head === undefined) return;
        const nameLength = head.readUInt32BE(20);
        if (nameLength > MAX_TEXT_BYTES) return this.fail('the console server sent an oversized desktop name');
        if (this.take(24 + nameLength) === undefined) return;
        if (!this.allocate(head.readUInt16BE(0), head.readUInt16BE(2))) return;
        this.write(Buffer.concat([setPixelFormat(), setEncodings(), fullUpdateRequest(this.width, this.height)]));
        this.transition('awaitUpdate');
        return;
      }
      case 'awaitUpdate': {
        const type = this.peek(1)?.[0];
        if (type === undefined) return;
        if (type === 0) {
          const h = this.take(4);
          if (h === undefined) return;
          this.rectsLeft = h.readUInt16BE(2);
          this.resized = false;
          this.transition('rects');
          this.maybeFinish();
        } else if (type === 2) {
          this.take(1); // Bell
        } else if (type === 3) {
          const h = this.peek(8);
          if (h === undefined) return;
          const length = h.readUInt32BE(4);
          if (length > MAX_CUT_TEXT_BYTES) return this.fail('the console server sent oversized clipboard text');
          this.take(8 + length);
        } else {
          this.fail(`the console server sent message type ${type}`);
        }
        return;
      }
      case 'rects': {
        const r = this.take(12);
        if (r === undefined) return;
        const x = r.readUInt16BE(0);
        const y = r.readUInt16BE(2);
        const w = r.readUInt16BE(4);
        const h = r.readUInt16BE(6);
        const encoding = r.readInt32BE(8);
        this.rectsLeft--;
        if (encoding === ENCODING_DESKTOP_SIZE) {
          if (++this.resizes > MAX_RESIZES) return this.fail('the console server keeps resizing');
          if (!this.allocate(w, h)) return;
          this.resized = true;
        } else if (encoding === ENCODING_RAW) {
          if (x + w > this.width || y + h > this.height) return this.fail('the console server sent a rectangle outside the screen');
          if (w > 0 && h > 0) {
            this.covered += w * h;
            this.raw = { x, y, w, h, done: 0 };
            return;
          }
        } else {
          return this.fail(`the console server sent encoding ${encoding}, which was not asked for`);
        }
        this.maybeFinish();
        return;
      }
      case 'done':
      case 'failed':
        return;
    }
  }

  private failWithReason(offset: number): void {
    const head = this.peek(offset + 4);
    if (head === undefined) return;
    const length = head.readUInt32BE(offset);
    if (length > MAX_TEXT_BYTES) return this.fail('the console server refused the connection');
    const all = this.peek(offset + 4 + length);
    if (all === undefined) return;
    this.fail(`the console server refused the connection (${all.subarray(offset + 4).toString('utf8')})`);
  }

  private sendClientInit(): void {
    // shared = 1: a thumbnail must never disconnect another viewer.
    this.write(Buffer.from([1]));
  }

  private allocate(width: number, height: number): boolean {
    if (width === 0 || height === 0 || width > MAX_SCREEN_PX || height > MAX_SCREEN_PX) {
      this.fail(`the console screen size ${width}×${height} is not usable`);
      return false;
    }
    const bytes = width * height * BYTES_PER_PIXEL;
    this.width = width;
    this.height = height;
    // A DesktopSize that repeats the size (QEMU and the simulator announce it in the first update)
    // keeps the buffer: clearing it is enough, and a second megabyte per picture was GC churn.
    this.pixels = this.pixels.length === bytes ? this.pixels.fill(0) : this.alloc(bytes);
    this.covered = 0;
    return true;
  }

  /** Copies Raw pixel bytes into the framebuffer; returns what is left of `input` past the rectangle. */
  private copyRaw(input: Buffer): Buffer {
    const raw = this.raw;
    if (raw === undefined) return input;
    const rowBytes = raw.w * BYTES_PER_PIXEL;
    const total = rowBytes * raw.h;
    let offset = 0;
    while (offset < input.length && raw.done < total) {
      const row = Math.floor(raw.done / rowBytes);
      const col = raw.done % rowBytes;
      const n = Math.min(rowBytes - col, input.length - offset, total - raw.done);
      const dest = ((raw.y + row) * this.width + raw.x) * BYTES_PER_PIXEL + col;
      this.pixels.set(input.subarray(offset, offset + n), dest);
      offset += n;
      raw.done += n;
    }
    if (raw.done >= total) {
      this.raw = undefined;
      this.maybeFinish();
    }
    return input.subarray(offset);
  }

  private maybeFinish(): void {
    if (this.stateValue !== 'rects' || this.rectsLeft > 0) return;
    this.updates++;
    const partial = this.covered < this.width * this.height && this.updates < MAX_UPDATES;
    if (this.resized || partial) {
      // The screen changed size inside this update, or the server sent only part of it: ask again.
      this.write(fullUpdateRequest(this.width, this.height));
      this.transition('awaitUpdate');
      return;
    }
    this.frame = { width: this.width, height: this.height, pixels: this.pixels };
    this.transition('done');
  }
}
