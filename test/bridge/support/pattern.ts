/**
 * A console that streams a known pseudo-random pattern as fast as it is read, for tests that check
 * every byte arrives (by hash) and how far the bridge lets the stream run ahead of the page.
 */
import { createHash, type Hash } from 'node:crypto';
import { Duplex } from 'node:stream';
import type { ConnectAnswer } from './console-server';

/** Chunk `index` of the pattern, `size` bytes (a multiple of 4). */
export function patternChunk(index: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = (index + 1) * 0x9e3779b1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeInt32LE(x | 0, i);
  }
  return out;
}

/** A pattern console: `answer` is the CONNECT answer that serves it; `produced` and `sent` (their hash) tell what it sent. */
export interface PatternConsole {
  readonly produced: number;
  readonly sent: Hash;
  readonly answer: () => ConnectAnswer;
}

/** A console that sends `total` bytes of the pattern in 64 KiB chunks, then ends. */
export function startPatternConsole(total: number): PatternConsole {
  const chunk = 64 * 1024;
  const state = {
    produced: 0,
    sent: createHash('sha256'),
    answer: (): ConnectAnswer => ({
      status: 200,
      stream: () =>
        new Duplex({
          read() {
            if (state.produced >= total) {
              this.push(null);
              return;
            }
            const data = patternChunk(state.produced / chunk, chunk);
            state.sent.update(data);
            state.produced += chunk;
            this.push(data);
          },
          write(_c, _e, cb) {
            cb();
          },
        }),
    }),
  };
  return state;
}
