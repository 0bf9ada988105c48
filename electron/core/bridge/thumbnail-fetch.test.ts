// One thumbnail fetch against a real TLS console host speaking a scripted RFB 3.8 server: the picture is
// the server's, and a recycled framebuffer never carries one VM's pixels into another VM's thumbnail
// (a server that only ever paints part of its screen leaves the rest black, not the previous screen).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { fetchThumbnail } from './thumbnail-fetch';
import { FakeSource, startConsoleServer, upstreamAt } from '../../../test/bridge/support/console-server';

const WIDTH = 64;
const HEIGHT = 48;
const RED_565 = 0xf800;

/**
 * An RFB 3.8 server (no security) whose every update is one Raw rectangle of `paintWidth` columns in
 * RGB565 red from the left edge — the pixel format the thumbnail client asks for.
 */
function scriptedServer(paintWidth: number): Duplex {
  let input = Buffer.alloc(0);
  let stage: 'version' | 'security' | 'init' | 'messages' = 'version';
  const server = new Duplex({
    read() {
      /* pushed as the client speaks */
    },
    write(chunk: Buffer, _encoding, done) {
      input = Buffer.concat([input, chunk]);
      for (;;) {
        if (stage === 'version' && input.length >= 12) {
          input = input.subarray(12);
          server.push(Buffer.from([1, 1])); // one security type: None
          stage = 'security';
        } else if (stage === 'security' && input.length >= 1) {
          input = input.subarray(1);
          server.push(Buffer.alloc(4)); // SecurityResult OK
          stage = 'init';
        } else if (stage === 'init' && input.length >= 1) {
          input = input.subarray(1);
          const init = Buffer.alloc(24); // size, pixel format (16), name length
          init.writeUInt16BE(WIDTH, 0);
          init.writeUInt16BE(HEIGHT, 2);
          Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0]).copy(init, 4);
          init.writeUInt32BE(4, 20);
          server.push(Buffer.concat([init, Buffer.from('test')]));
          stage = 'messages';
        } else if (stage === 'messages' && input.length >= 1) {
          const type = input[0];
          const size = type === 0 ? 20 : type === 2 ? (input.length >= 4 ? 4 + 4 * input.readUInt16BE(2) : Infinity) : type === 3 ? 10 : 1;
          if (input.length < size) break;
          input = input.subarray(size);
          if (type === 3) {
            const head = Buffer.alloc(4 + 12);
            head.writeUInt16BE(1, 2); // one rectangle
            head.writeUInt16BE(paintWidth, 4 + 4);
            head.writeUInt16BE(HEIGHT, 4 + 6);
            const pixels = Buffer.alloc(paintWidth * HEIGHT * 2);
            for (let i = 0; i < pixels.length; i += 2) pixels.writeUInt16LE(RED_565, i);
            server.push(Buffer.concat([head, pixels]));
          }
        } else break;
      }
      done();
    },
  });
  server.push('RFB 003.008\n');
  return server;
}

let paintWidth = WIDTH;
const host = await startConsoleServer(() => ({ status: 200, stream: () => scriptedServer(paintWidth) }));
after(() => host.close());

async function fetchOne(): Promise<Uint8Array> {
  const source = new FakeSource(upstreamAt(host.port));
  source.pins.set(`127.0.0.1:${host.port}`, host.fingerprint);
  const got = await fetchThumbnail(source, upstreamAt(host.port), { maxWidth: WIDTH, maxHeight: HEIGHT, signal: new AbortController().signal });
  assert.deepEqual([got.screenWidth, got.screenHeight, got.thumbnail.width, got.thumbnail.height], [WIDTH, HEIGHT, WIDTH, HEIGHT]);
  return got.thumbnail.rgba;
}

/** The RGBA of pixel (x, y) of a WIDTH-wide thumbnail. */
const pixel = (rgba: Uint8Array, x: number, y: number): number[] => [...rgba.subarray((y * WIDTH + x) * 4, (y * WIDTH + x) * 4 + 4)];

test('a thumbnail is the server picture; a later, partly painted screen shows black where it was not painted', async () => {
  paintWidth = WIDTH;
  const full = await fetchOne();
  assert.deepEqual(pixel(full, WIDTH - 1, HEIGHT - 1), [255, 0, 0, 255], 'the whole first screen is red');
  // The next server paints only the left half, every time it is asked (the client gives up asking
  // after a few updates and takes what it has): the right half was never sent.
  paintWidth = WIDTH / 2;
  const half = await fetchOne();
  assert.deepEqual(pixel(half, 0, 0), [255, 0, 0, 255]);
  assert.deepEqual(pixel(half, WIDTH - 1, HEIGHT - 1), [0, 0, 0, 255], 'no pixel of the previous screen');
});
