/**
 * Reads a TLS socket into a small ring of reusable buffers, so relaying a console allocates nothing per
 * chunk.
 *
 * Why: Node's TLS hands each decrypted 16 KiB chunk over in a freshly allocated buffer. At console
 * speeds that is hundreds of MiB per second of short-lived memory outside the JS heap, which V8 only
 * reclaims when its external-memory limit (~64 MiB) forces a collection: the bridge's RSS swings by that
 * much and the collections cost throughput. With the socket's `onread` option, Node decrypts straight
 * into buffers we provide instead.
 *
 * How it works: each read goes into a free slot of `SLOT_BYTES`; a new slot is created only when every
 * existing one still holds unreleased bytes, up to `slots` of them. Each read arrives in
 * `sink(chunk, release)`; the consumer calls `release()` once the bytes are no longer needed (the
 * relay: when the page socket has written them; a thumbnail: once copied into its framebuffer), which
 * returns the slot for the next read. So a consumer that keeps up reuses one or two slots however much
 * flows (a ring that always took the next slot in turn allocated all of them — 2 MiB — on every
 * tunnel that carried a full screen). When every slot is busy (the page is far behind — backpressure
 * will stop reading soon), a one-off buffer is used instead. Chunks handed out before a consumer is
 * attached are copied, so nothing is lost while the tunnel changes hands.
 */
import type { OnReadOpts } from 'node:net';

/** Size of one slot: the most TLS decrypts per read, bytes. */
export const SLOT_BYTES = 16 * 1024;
/** Default number of slots per console (2 MiB at most, allocated as needed). */
export const DEFAULT_SLOTS = 128;

/** A consumer of chunks; `release` must be called exactly once per chunk. */
export type ChunkSink = (chunk: Buffer, release: () => void) => void;

const NOOP = (): void => undefined;

/** The ring behind one socket. */
export class ReadRing {
  /** Slots ready for the next read (released, or never used). */
  private readonly free: Buffer[] = [];
  /** Slots created so far (at most `slots`). */
  private created = 0;
  private inUse = 0;
  private current: Buffer | undefined;
  private sinkFn: ChunkSink | undefined;
  private readonly held: Buffer[] = [];
  /** Reads that did not fit in the ring (for tests and tuning). */
  overflows = 0;

  constructor(private readonly slots = DEFAULT_SLOTS) {}

  /** The `onread` option for tls.connect. */
  readonly onread: OnReadOpts = {
    buffer: () => this.next(),
    callback: (bytes, buf) => {
      this.deliver(bytes, buf);
      return true;
    },
  };

  /** Slots currently holding unreleased data. */
  get busy(): number {
    return this.inUse;
  }

  /** Slots allocated so far (for tests: a consumer that keeps up needs very few). */
  get allocated(): number {
    return this.created;
  }

  /** Routes every chunk to `sink` (chunks that arrived before are passed first, as copies). */
  attach(sink: ChunkSink): void {
    this.sinkFn = sink;
    for (const chunk of this.held.splice(0)) sink(chunk, NOOP);
  }

  /** Stops routing chunks: later ones are copied and held until the next `attach`. */
  detach(): void {
    this.sinkFn = undefined;
  }

  private next(): Buffer {
    let slot = this.free.pop();
    if (slot === undefined && this.created < this.slots) {
      slot = Buffer.allocUnsafeSlow(SLOT_BYTES);
      this.created++;
    }
    this.current = slot;
    if (slot !== undefined) return slot;
    this.overflows++;
    return Buffer.allocUnsafe(SLOT_BYTES);
  }

  private deliver(bytes: number, buf: Uint8Array): void {
    const chunk = Buffer.from(buf.buffer, buf.byteOffset, bytes);
    const slot = this.current !== undefined && buf.buffer === this.current.buffer && buf.byteOffset === this.current.byteOffset ? this.current : undefined;
    this.current = undefined;
    const sink = this.sinkFn;
    if (sink === undefined) {
      this.held.push(Buffer.from(chunk));
      if (slot !== undefined) this.free.push(slot);
      return;
    }
    if (slot !== undefined) this.inUse++;
    let released = false;
    sink(chunk, () => {
      if (released) return;
      released = true;
      if (slot !== undefined) {
        this.inUse--;
        this.free.push(slot);
      }
    });
  }
}
