/**
 * One thumbnail: a short-lived console connection that takes one picture and hangs up.
 *
 * How it works: `openTunnel` (tunnel.ts) opens the console exactly as a console tab's relay does —
 * pinned TLS to the host in the console's location, CONNECT with the session cookie, 401 → log in
 * again once, 500 → look the console up again, 503 → CONSOLE_IN_USE naming who holds it (so a busy
 * console is reported, never taken) — then `ThumbnailRfbClient` reads one full frame, the socket is
 * destroyed and the frame box-filtered down (thumbnail-scale.ts). The whole fetch is bounded by
 * `timeoutMs` and by `signal` (the wall closed or stopped watching the VM); either way the socket is
 * gone when the promise settles. Framebuffers are recycled: a wall fetches screens of the same few
 * sizes over and over, and a fresh megabyte per picture kept the garbage collector busy (npm run
 * bench -- wall); the spares are bounded (`MAX_SPARE_BYTES`) and zero-filled before reuse, so no pixel
 * of one VM can show in another's thumbnail.
 */
import { PortholeError } from '../../../shared/errors';
import type { ConsoleSource, ConsoleUpstream } from '../console-source';
import { ThumbnailRfbClient } from './thumbnail-rfb';
import { downscale, type Thumbnail } from './thumbnail-scale';
import { openTunnel } from './tunnel';

/** Default limit on one whole fetch (TLS, CONNECT, handshake, one frame), ms. */
export const FETCH_TIMEOUT_MS = 15_000;

/** Most bytes of spare framebuffers kept between fetches. */
export const MAX_SPARE_BYTES = 8 * 1024 * 1024;

/** Spare framebuffers for the next fetches (see the header). */
const spares: Uint8Array[] = [];
let spareBytes = 0;

/** A zero-filled framebuffer of `bytes`: a spare of that size when there is one. */
function takeFramebuffer(bytes: number): Uint8Array {
  const i = spares.findIndex((b) => b.length === bytes);
  if (i < 0) return new Uint8Array(bytes);
  const [buffer] = spares.splice(i, 1) as [Uint8Array];
  spareBytes -= buffer.length;
  return buffer.fill(0);
}

/** Keeps a framebuffer no longer read for a later fetch, within the bound. */
function giveBackFramebuffer(buffer: Uint8Array): void {
  if (buffer.length === 0 || spareBytes + buffer.length > MAX_SPARE_BYTES) return;
  spares.push(buffer);
  spareBytes += buffer.length;
}

/** Options of one fetch. */
export interface FetchOptions {
  maxWidth: number;
  maxHeight: number;
  signal: AbortSignal;
  timeoutMs?: number;
  /** Called once the tunnel is open (counts live connections). */
  onOpen?: () => void;
}

/** A fetched thumbnail and the screen it came from. */
export interface FetchedThumbnail {
  thumbnail: Thumbnail;
  screenWidth: number;
  screenHeight: number;
  /** The console as finally reached (a 500 may have moved it). */
  upstream: ConsoleUpstream;
}

/** Opens `upstream`'s console, reads one frame, closes, and returns it shrunk. */
export async function fetchThumbnail(source: ConsoleSource, upstream: ConsoleUpstream, opts: FetchOptions): Promise<FetchedThumbnail> {
  const timeoutMs = opts.timeoutMs ?? FETCH_TIMEOUT_MS;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), timeoutMs);
  const signal = AbortSignal.any([opts.signal, timeout.signal]);
  try {
    const tunnel = await openTunnel(source, upstream, { signal });
    const { socket } = tunnel;
    opts.onOpen?.();
    const frame = await new Promise<ThumbnailRfbClient>((resolve, reject) => {
      const client = new ThumbnailRfbClient((bytes) => socket.write(bytes), takeFramebuffer);
      const finish = (error?: PortholeError): void => {
        signal.removeEventListener('abort', onAbort);
        socket.off('close', onClose);
        socket.destroy();
        // A failed fetch keeps its framebuffer: a late chunk could still be copied into it.
        if (error === undefined) resolve(client);
        else reject(error);
      };
      const onAbort = (): void =>
        finish(new PortholeError('CONSOLE_ERROR', timeout.signal.aborted ? `The console sent no picture within ${timeoutMs / 1000} s.` : 'The thumbnail was cancelled.'));
      const onClose = (): void => finish(new PortholeError('CONSOLE_ERROR', 'The console closed before sending a picture.'));
      const feed = (chunk: Buffer): void => {
        client.feed(chunk);
        if (client.state === 'done') finish();
        else if (client.state === 'failed') finish(new PortholeError('CONSOLE_ERROR', `The console could not be read (${client.error ?? 'unknown'}).`));
      };
      signal.addEventListener('abort', onAbort);
      socket.on('close', onClose);
      if (tunnel.head.length > 0) feed(tunnel.head);
      tunnel.start((chunk, release) => {
        if (client.state === 'done' || client.state === 'failed') {
          release();
          return;
        }
        try {
          feed(chunk);
        } finally {
          release();
        }
      });
    });
    const picture = frame.frame;
    if (picture === undefined) throw new PortholeError('CONSOLE_ERROR', 'The console sent no picture.');
    const thumbnail = downscale(picture, opts.maxWidth, opts.maxHeight);
    giveBackFramebuffer(frame.framebuffer);
    return { thumbnail, screenWidth: picture.width, screenHeight: picture.height, upstream: tunnel.upstream };
  } finally {
    clearTimeout(timer);
  }
}
