/**
 * The page half of the console wall's connection: asks `overview:open` for a one-time bridge URL,
 * opens the WebSocket (the bridge checks Host, Origin and the token exactly as for a console), tells
 * the backend which tiles are on screen and hands the thumbnails and statuses it sends to the view.
 *
 * States: idle → opening → open → (closed by us → idle) | (lost → waiting → opening …). A lost
 * connection is tried again after `RETRY_MS` while the wall is still wanted; `stop()` closes the
 * socket at once, so nothing runs for a hidden wall. Each start bumps a generation, so callbacks of an
 * abandoned socket are ignored.
 */
import type { WallSettings } from '../../../shared/contract';
import { getLogger } from '../../../shared/log';
import { decodeFrame, encodeWatch, parseStatus, type WallFrame, type WallStatus } from '../../../shared/wall-protocol';
import { api, errorMessage } from './api';

const log = getLogger('wall');

/** Wait before opening a lost wall connection again, ms. */
export const RETRY_MS = 2_000;

/** What the view gets. */
export interface WallHandlers {
  frame(frame: WallFrame): void;
  status(status: WallStatus): void;
  /** The connection is up (`true`) or lost (`false`, with why). */
  connection(up: boolean, message?: string): void;
}

/** One wall connection, restartable. */
export class WallConnection {
  private socket: WebSocket | undefined;
  private generation = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private keys: readonly string[] = [];
  private sentKeys = '';

  constructor(private readonly handlers: WallHandlers) {}

  /** Opens (or re-opens, with new settings) the connection. */
  start(settings: WallSettings): void {
    this.stop();
    const generation = this.generation;
    const live = (): boolean => generation === this.generation;
    void api()
      .invoke('overview:open', settings)
      .then(
        ({ url }) => {
          if (!live()) return;
          const socket = new WebSocket(url);
          socket.binaryType = 'arraybuffer';
          this.socket = socket;
          socket.addEventListener('open', () => {
            if (!live()) return;
            this.sentKeys = '';
            this.flush();
            this.handlers.connection(true);
          });
          socket.addEventListener('message', (event: MessageEvent<ArrayBuffer | string>) => {
            if (!live()) return;
            if (typeof event.data === 'string') {
              const status = parseStatus(event.data);
              if (status !== undefined) this.handlers.status(status);
            } else {
              const frame = decodeFrame(event.data);
              if (frame !== undefined) this.handlers.frame(frame);
            }
          });
          socket.addEventListener('close', (event) => {
            if (!live()) return;
            this.socket = undefined;
            log.info('wall connection closed', { code: event.code });
            this.lost(settings, 'The overview lost its connection to the backend.');
          });
        },
        (error: unknown) => {
          if (live()) this.lost(settings, errorMessage(error));
        },
      );
  }

  private lost(settings: WallSettings, message: string): void {
    this.handlers.connection(false, message);
    const generation = this.generation;
    this.retry = setTimeout(() => {
      if (generation === this.generation) this.start(settings);
    }, RETRY_MS);
  }

  /** Sets the tiles on screen (sent now if open, else once open). */
  watch(keys: readonly string[]): void {
    this.keys = keys;
    this.flush();
  }

  private flush(): void {
    const text = encodeWatch(this.keys);
    if (this.socket?.readyState !== WebSocket.OPEN || text === this.sentKeys) return;
    this.sentKeys = text;
    this.socket.send(text);
  }

  /** Closes the connection; nothing more happens until `start`. */
  stop(): void {
    this.generation++;
    if (this.retry !== undefined) clearTimeout(this.retry);
    this.retry = undefined;
    this.socket?.close();
    this.socket = undefined;
  }
}
