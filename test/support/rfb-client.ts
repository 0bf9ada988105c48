/**
 * A minimal RFB (VNC) client for tests, written from RFC 6143 independently of the simulator's server
 * so that each checks the other.
 *
 * How it works: bytes from the stream collect in a buffer; `read(n)` resolves when n bytes are there
 * (or fails on timeout / end of stream). `handshake` speaks 3.3 or 3.8 with security None and records
 * the raw greeting and security bytes for assertions. Updates are read as Raw rectangles (plus the
 * DesktopSize pseudo-rectangle) into an RGBA buffer, decoding whatever pixel format was set; other
 * encodings go to a decoder registered with `useDecoder` (for example noVNC's own, `novnc-decoder.ts`).
 */
import type { Duplex } from 'node:stream';

/** Default wait for server bytes, ms. */
const READ_TIMEOUT_MS = 10_000;

/** The PIXEL_FORMAT structure. */
export interface ClientPixelFormat {
  bitsPerPixel: 8 | 16 | 32;
  depth: number;
  bigEndian: boolean;
  redMax: number;
  greenMax: number;
  blueMax: number;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

/** 32bpp true colour, 8 bits a channel, 0x00RRGGBB in the given byte order. */
export function pixelFormat32(bigEndian = false): ClientPixelFormat {
  return { bitsPerPixel: 32, depth: 24, bigEndian, redMax: 255, greenMax: 255, blueMax: 255, redShift: 16, greenShift: 8, blueShift: 0 };
}

/** 16bpp RGB565 in the given byte order. */
export function pixelFormat565(bigEndian = false): ClientPixelFormat {
  return { bitsPerPixel: 16, depth: 16, bigEndian, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0 };
}

/** What the server said in ServerInit. */
export interface ServerInit {
  width: number;
  height: number;
  name: string;
  /** The server's pixel format as raw 16 bytes. */
  pixelFormat: Buffer;
}

/** One decoded FramebufferUpdate. */
export interface UpdateInfo {
  rects: UpdateRect[];
}

/** A rectangle of one update. */
export interface UpdateRect {
  x: number;
  y: number;
  w: number;
  h: number;
  encoding: number;
}

/** The client's input as a decoder sees it: what is buffered, dropping what it used, waiting for more. */
export interface ByteSource {
  buffered(): Buffer;
  consume(n: number): void;
  /** Resolves once more bytes than now are buffered. */
  more(): Promise<void>;
}

/** Decodes one rectangle of a non-Raw encoding from `io` into `client.rgba`. */
export type RectDecoder = (rect: UpdateRect, io: ByteSource, client: RfbClient) => Promise<void>;

/** RFB test client over any duplex stream (unix socket, TCP, in-memory pair, TLS tunnel). */
export class RfbClient {
  /** The 12-byte server greeting, e.g. `RFB 003.008\n`. */
  greeting = '';
  /** Raw bytes the server sent between the version exchange and ClientInit. */
  securityBytes: Buffer = Buffer.alloc(0);
  width = 0;
  height = 0;
  /** The screen as the client sees it, RGBA. */
  rgba: Uint8Array = new Uint8Array(0);
  private format: ClientPixelFormat = pixelFormat32();
  private input: Buffer = Buffer.alloc(0);
  private ended: Error | undefined;
  private waiter: (() => void) | undefined;
  private readonly decoders = new Map<number, RectDecoder>();

  constructor(private readonly stream: Duplex) {
    stream.on('data', (d: Buffer) => {
      this.input = this.input.length === 0 ? d : Buffer.concat([this.input, d]);
      this.waiter?.();
    });
    const finish = (why: string): void => {
      this.ended ??= new Error(why);
      this.waiter?.();
    };
    stream.on('end', () => finish('server ended the stream'));
    stream.on('close', () => finish('stream closed'));
    stream.on('error', (e: Error) => finish(e.message));
  }

  /** True once the stream has ended or closed. */
  get closed(): boolean {
    return this.ended !== undefined;
  }

  /** Resolves with exactly `n` bytes. */
  async read(n: number, timeoutMs = READ_TIMEOUT_MS): Promise<Buffer> {
    await this.buffer(n, timeoutMs);
    const out = this.input.subarray(0, n);
    this.input = this.input.subarray(n);
    return Buffer.from(out);
  }

  /** Decodes rectangles of `encoding` with `decoder` from now on. */
  useDecoder(encoding: number, decoder: RectDecoder): void {
    this.decoders.set(encoding, decoder);
  }

  /** Waits until at least `n` bytes are buffered. */
  private async buffer(n: number, timeoutMs = READ_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.input.length < n) {
      if (this.ended !== undefined) throw this.ended;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} bytes (have ${this.input.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Resolves when the server closes the stream (fails after `timeoutMs`). */
  async waitClosed(timeoutMs = READ_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.ended === undefined) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('server did not close the stream');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Reads the server's 12-byte greeting. */
  async readGreeting(): Promise<string> {
    this.greeting = (await this.read(12)).toString('latin1');
    return this.greeting;
  }

  /** Full handshake at `version` with security None and the shared flag; returns ServerInit. */
  async handshake(version: '3.3' | '3.8', shared = true): Promise<ServerInit> {
    if (this.greeting === '') await this.readGreeting();
    this.stream.write(version === '3.3' ? 'RFB 003.003\n' : 'RFB 003.008\n');
    if (version === '3.3') {
      this.securityBytes = await this.read(4);
      const type = this.securityBytes.readUInt32BE(0);
      if (type !== 1) throw new Error(`server chose security type ${type}, not None`);
    } else {
      const count = await this.read(1);
      const types = await this.read(count[0] ?? 0);
      if (!types.includes(1)) throw new Error(`server offers no None security: ${[...types].join(',')}`);
      this.stream.write(Buffer.from([1]));
      const result = await this.read(4);
      this.securityBytes = Buffer.concat([count, types, result]);
      if (result.readUInt32BE(0) !== 0) throw new Error('security handshake failed');
    }
    this.stream.write(Buffer.from([shared ? 1 : 0]));
    const head = await this.read(24);
    const nameLength = head.readUInt32BE(20);
    const name = (await this.read(nameLength)).toString('utf8');
    this.resize(head.readUInt16BE(0), head.readUInt16BE(2));
    return { width: this.width, height: this.height, name, pixelFormat: head.subarray(4, 20) };
  }

  /** Sends SetPixelFormat (true colour). */
  setPixelFormat(pf: ClientPixelFormat): void {
    const msg = Buffer.alloc(20);
    msg.writeUInt8(0, 0);
    msg.writeUInt8(pf.bitsPerPixel, 4);
    msg.writeUInt8(pf.depth, 5);
    msg.writeUInt8(pf.bigEndian ? 1 : 0, 6);
    msg.writeUInt8(1, 7);
    msg.writeUInt16BE(pf.redMax, 8);
    msg.writeUInt16BE(pf.greenMax, 10);
    msg.writeUInt16BE(pf.blueMax, 12);
    msg.writeUInt8(pf.redShift, 14);
    msg.writeUInt8(pf.greenShift, 15);
    msg.writeUInt8(pf.blueShift, 16);
    this.stream.write(msg);
    this.format = pf;
  }

  /** Sends SetEncodings. */
  setEncodings(encodings: readonly number[]): void {
    const msg = Buffer.alloc(4 + 4 * encodings.length);
    msg.writeUInt8(2, 0);
    msg.writeUInt16BE(encodings.length, 2);
    encodings.forEach((e, i) => msg.writeInt32BE(e, 4 + 4 * i));
    this.stream.write(msg);
  }

  /** Sends FramebufferUpdateRequest (whole screen unless a rectangle is given). */
  requestUpdate(incremental: boolean, rect = { x: 0, y: 0, w: this.width, h: this.height }): void {
    const msg = Buffer.alloc(10);
    msg.writeUInt8(3, 0);
    msg.writeUInt8(incremental ? 1 : 0, 1);
    msg.writeUInt16BE(rect.x, 2);
    msg.writeUInt16BE(rect.y, 4);
    msg.writeUInt16BE(rect.w, 6);
    msg.writeUInt16BE(rect.h, 8);
    this.stream.write(msg);
  }

  /** Sends one KeyEvent. */
  key(keysym: number, down: boolean): void {
    const msg = Buffer.alloc(8);
    msg.writeUInt8(4, 0);
    msg.writeUInt8(down ? 1 : 0, 1);
    msg.writeUInt32BE(keysym, 4);
    this.stream.write(msg);
  }

  /** Presses and releases a key for each ASCII character (`\n` as Return). */
  type(text: string): void {
    for (const ch of text) {
      const keysym = ch === '\n' ? 0xff0d : ch.charCodeAt(0);
      this.key(keysym, true);
      this.key(keysym, false);
    }
  }

  /** Sends a PointerEvent. */
  pointer(x: number, y: number, buttons = 0): void {
    const msg = Buffer.alloc(6);
    msg.writeUInt8(5, 0);
    msg.writeUInt8(buttons, 1);
    msg.writeUInt16BE(x, 2);
    msg.writeUInt16BE(y, 4);
    this.stream.write(msg);
  }

  /** Sends ClientCutText (Latin-1). */
  cutText(text: string): void {
    const body = Buffer.from(text, 'latin1');
    const head = Buffer.alloc(8);
    head.writeUInt8(6, 0);
    head.writeUInt32BE(body.length, 4);
    this.stream.write(Buffer.concat([head, body]));
  }

  /** Sends raw bytes (for protocol-violation tests). */
  writeRaw(bytes: Buffer): void {
    this.stream.write(bytes);
  }

  /** Reads server messages until a FramebufferUpdate has been applied; skips Bell, cut text and colour maps. */
  async readUpdate(timeoutMs = READ_TIMEOUT_MS): Promise<UpdateInfo> {
    for (;;) {
      const type = (await this.read(1, timeoutMs))[0];
      if (type === 0) break;
      if (type === 2) continue; // Bell
      if (type === 1) {
        const head = await this.read(5, timeoutMs);
        await this.read(6 * head.readUInt16BE(3), timeoutMs);
      } else if (type === 3) {
        const head = await this.read(7, timeoutMs);
        await this.read(head.readUInt32BE(3), timeoutMs);
      } else throw new Error(`unexpected server message type ${type ?? -1}`);
    }
    const count = (await this.read(3, timeoutMs)).readUInt16BE(1);
    const info: UpdateInfo = { rects: [] };
    for (let i = 0; i < count; i++) {
      const head = await this.read(12, timeoutMs);
      const rect = { x: head.readUInt16BE(0), y: head.readUInt16BE(2), w: head.readUInt16BE(4), h: head.readUInt16BE(6), encoding: head.readInt32BE(8) };
      info.rects.push(rect);
      if (rect.encoding === -223) {
        this.resize(rect.w, rect.h);
      } else if (rect.encoding === 0) {
        const bpp = this.format.bitsPerPixel / 8;
        const data = await this.read(rect.w * rect.h * bpp, timeoutMs);
        this.applyRaw(rect, data);
      } else {
        const decoder = this.decoders.get(rect.encoding);
        if (decoder === undefined) throw new Error(`unexpected encoding ${rect.encoding}`);
        await decoder(rect, this.byteSource(timeoutMs), this);
      }
    }
    return info;
  }

  /** Requests the whole screen (non-incremental) and reads updates until every pixel was received. */
  async readFullFrame(timeoutMs = READ_TIMEOUT_MS): Promise<Uint8Array> {
    this.requestUpdate(false);
    const seen = new Uint8Array(this.width * this.height);
    let missing = seen.length;
    while (missing > 0) {
      const info = await this.readUpdate(timeoutMs);
      for (const r of info.rects) {
        if (r.encoding === -223) continue;
        for (let y = r.y; y < r.y + r.h; y++) {
          for (let x = r.x; x < r.x + r.w; x++) {
            const i = y * this.width + x;
            if (seen[i] === 0) {
              seen[i] = 1;
              missing--;
            }
          }
        }
      }
      if (missing > 0) this.requestUpdate(false);
    }
    return this.rgba.slice();
  }

  private byteSource(timeoutMs: number): ByteSource {
    return {
      buffered: () => this.input,
      consume: (n) => {
        this.input = this.input.subarray(n);
      },
      more: () => this.buffer(this.input.length + 1, timeoutMs),
    };
  }

  /** Ends the stream. */
  close(): void {
    this.stream.destroy();
  }

  private resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.rgba = new Uint8Array(width * height * 4);
  }

  private applyRaw(r: { x: number; y: number; w: number; h: number }, data: Buffer): void {
    const pf = this.format;
    const bpp = pf.bitsPerPixel / 8;
    let o = 0;
    for (let y = r.y; y < r.y + r.h; y++) {
      for (let x = r.x; x < r.x + r.w; x++, o += bpp) {
        let v: number;
        if (bpp === 4) v = pf.bigEndian ? data.readUInt32BE(o) : data.readUInt32LE(o);
        else if (bpp === 2) v = pf.bigEndian ? data.readUInt16BE(o) : data.readUInt16LE(o);
        else v = data[o] ?? 0;
        if (x >= this.width || y >= this.height) continue;
        const i = (y * this.width + x) * 4;
        this.rgba[i] = Math.round((((v >>> pf.redShift) & pf.redMax) * 255) / pf.redMax);
        this.rgba[i + 1] = Math.round((((v >>> pf.greenShift) & pf.greenMax) * 255) / pf.greenMax);
        this.rgba[i + 2] = Math.round((((v >>> pf.blueShift) & pf.blueMax) * 255) / pf.blueMax);
        this.rgba[i + 3] = 255;
      }
    }
  }
}

/** Decodes a binary PPM (P6, maxval 255) into RGBA. */
export function decodePpm(ppm: Buffer): { width: number; height: number; rgba: Uint8Array } {
  // Header: "P6", width, height, maxval, separated by whitespace, then one whitespace byte.
  const fields: string[] = [];
  let i = 0;
  while (fields.length < 4) {
    while (i < ppm.length && /\s/.test(String.fromCharCode(ppm[i] ?? 0))) i++;
    if (ppm[i] === 0x23) {
      while (i < ppm.length && ppm[i] !== 0x0a) i++;
      continue;
    }
    const start = i;
    while (i < ppm.length && !/\s/.test(String.fromCharCode(ppm[i] ?? 0))) i++;
    fields.push(ppm.toString('latin1', start, i));
  }
  i++;
  const [magic, w, h, max] = fields;
  if (magic !== 'P6' || max !== '255') throw new Error(`not a P6/255 PPM: ${fields.join(' ')}`);
  const width = Number(w);
  const height = Number(h);
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    rgba[p * 4] = ppm[i + p * 3] ?? 0;
    rgba[p * 4 + 1] = ppm[i + p * 3 + 1] ?? 0;
    rgba[p * 4 + 2] = ppm[i + p * 3 + 2] ?? 0;
    rgba[p * 4 + 3] = 255;
  }
  return { width, height, rgba };
}

/** Positions (pixel indexes) where two RGBA buffers of the same size differ in R, G or B. */
export function differingPixels(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = [];
  const n = Math.min(a.length, b.length) / 4;
  for (let p = 0; p < n; p++) {
    const i = p * 4;
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) out.push(p);
  }
  return out;
}
