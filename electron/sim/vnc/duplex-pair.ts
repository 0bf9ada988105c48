/**
 * An in-memory, socket-like pair of Duplex streams (Node 20 has no `stream.duplexPair`).
 *
 * How it works: bytes written to one end are pushed into the other end's readable side. When the
 * reader is slow (`push` returns false) the writer's callback is held until the reader asks for more
 * (`_read`), so backpressure behaves as on a socket. `end()` on one side ends the other's readable side;
 * destroying one side destroys the other (as a reset socket would), so both owners see `close`.
 */
import { Duplex } from 'node:stream';

class PairEnd extends Duplex {
  peer: PairEnd | undefined;
  /** A write callback held back until this end's reader drains. */
  private heldCallback: (() => void) | undefined;

  override _read(): void {
    const cb = this.heldCallback;
    this.heldCallback = undefined;
    cb?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    if (peer === undefined || peer.destroyed) {
      callback(new Error('stream peer closed'));
      return;
    }
    if (peer.push(chunk)) callback();
    else peer.heldCallback = () => callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    if (peer !== undefined && !peer.destroyed) peer.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    this.peer = undefined;
    const held = this.heldCallback;
    this.heldCallback = undefined;
    held?.();
    if (peer !== undefined) {
      peer.peer = undefined;
      // The far side sees the connection go away, like a socket whose peer vanished.
      if (!peer.destroyed) process.nextTick(() => peer.destroy());
    }
    callback(error);
  }
}

/** Returns two connected in-memory duplex streams: what one writes, the other reads. */
export function createDuplexPair(): [Duplex, Duplex] {
  const a = new PairEnd();
  const b = new PairEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
