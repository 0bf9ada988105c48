/**
 * One console wall: the page's WebSocket on `/overview/<token>` and the thumbnail fetches behind it.
 *
 * How it works: the page says which VMs are on screen (`watch`, shared/wall-protocol.ts). Each
 * watched VM has a due time; `pump()` takes the due ones, earliest first (never-fetched first of
 * all), looks each console up again (console rows move on migration and reboot) and starts a
 * short-lived fetch (thumbnail-fetch.ts) when its host has a free slot — at most `perHost` thumbnail
 * connections per host at a time; a VM waiting for a slot starts when one frees. After a picture the
 * VM is due again `intervalMs` later; a console in use by someone else (503) is reported as such and
 * left alone for `inUseRetryMs`; errors back off. One timer waits for the next due time.
 * When the page stops watching a VM its fetch is aborted; when the socket closes (the view was
 * hidden, the page went away) every fetch is aborted and nothing is scheduled again: a hidden wall
 * costs nothing. Thumbnails are dropped, not queued, while the page's socket is backed up.
 * Each watched VM's last picture sent is kept (169 KiB at 240×180: 11 MiB for a wall of 64, freed when
 * the VM is no longer watched or the wall closes): a new one goes out as only the rows that changed
 * (thumbnail-delta.ts), and not at all when nothing did; after a status, or when a size changes, the
 * whole picture goes out again (the page has nothing, or nothing of that size, to patch).
 */
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { CONSOLE_CLOSE, encodeCloseReason } from '../../../shared/console-close';
import { PortholeError, type ErrorCode } from '../../../shared/errors';
import { getLogger } from '../../../shared/log';
import { encodeFrameHeader, parseWallKey, parseWatch, type WallStatus, type WallStatusKind } from '../../../shared/wall-protocol';
import type { ConsoleSource } from '../console-source';
import { changedRows } from './thumbnail-delta';
import { fetchThumbnail } from './thumbnail-fetch';
import type { Thumbnail } from './thumbnail-scale';
import { parseLocation } from './tunnel';

const log = getLogger('wall');

/** Thumbnail bounds, px: the size of a tile's screen in the page, so the page draws it 1:1. */
export const THUMB_MAX_WIDTH = 240;
export const THUMB_MAX_HEIGHT = 180;
/** How long a console found in use is left alone before it is tried again, ms. */
export const IN_USE_RETRY_MS = 60_000;
/** Longest back-off after repeated errors, ms. */
export const MAX_ERROR_BACKOFF_MS = 60_000;
/** Bytes queued to the page above which new thumbnails are dropped until it catches up. */
export const PAGE_BACKLOG_BYTES = 4 * 1024 * 1024;

/** What a wall token grants: the console sources of connected pools, and the wall's settings. */
export interface WallGrant {
  /** Tokens are revoked per pool; a wall spans pools, so it uses this marker. */
  poolId: '';
  /** The console source of a pool; throws NOT_CONNECTED (or another PortholeError) when there is none. */
  source(poolId: string): ConsoleSource;
  /** Most thumbnail connections per host at a time. */
  perHost: number;
  /** Time between two pictures of one VM, ms. */
  intervalMs: number;
}

/** Knobs for tests. */
export interface WallOptions {
  inUseRetryMs?: number;
  fetchTimeoutMs?: number;
}

/** Counters shared by the walls of one bridge (leak tests, the benchmark). */
export interface WallCounters {
  /** Thumbnail tunnels open now. */
  open: number;
  /** Pictures taken so far (sent or not). */
  pictures: number;
  /** Thumbnail messages sent to pages so far (whole pictures or changed rows). */
  frames: number;
  /** Pictures not sent because they equalled the last one sent. */
  unchanged: number;
  /** RGBA bytes sent to pages so far. */
  bytes: number;
  /** Most thumbnail tunnels ever open at once to one host. */
  maxPerHost: number;
}

interface Entry {
  key: string;
  poolId: string;
  vmUuid: string;
  /** ms since epoch when the next picture is wanted. */
  due: number;
  /** Set while a lookup or fetch runs. */
  busy?: AbortController;
  /** Consecutive errors (for the back-off). */
  errors: number;
  /** The last picture the page was sent, while it shows it (see the header). */
  sent?: SentPicture;
}

/** A picture as sent to the page. */
interface SentPicture {
  thumbnail: Thumbnail;
  screenWidth: number;
  screenHeight: number;
}

const STATUS_OF: Partial<Record<ErrorCode, WallStatusKind>> = {
  CONSOLE_IN_USE: 'in-use',
  VM_NOT_RUNNING: 'not-running',
  UNKNOWN_VM: 'not-running',
  NOT_CONNECTED: 'offline',
};

/** One page's wall. */
export class ThumbnailWall {
  private readonly entries = new Map<string, Entry>();
  private readonly active = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  /** `client` is the raw socket under `ws` (for its write backlog); `onClosed` runs once. */
  constructor(
    private readonly ws: WebSocket,
    private readonly client: Duplex & { writableLength: number },
    private readonly grant: WallGrant,
    private readonly counters: WallCounters,
    private readonly opts: WallOptions,
    private readonly onClosed: (wall: ThumbnailWall) => void,
  ) {
    ws.on('message', this.onMessage);
    ws.on('close', this.onClose);
    ws.on('error', (error) => log.debug('wall socket error', { error }));
  }

  /** VMs watched now. */
  get watching(): number {
    return this.entries.size;
  }

  private readonly onMessage = (data: RawData, isBinary: boolean): void => {
    const keys = isBinary ? undefined : parseWatch(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'));
    if (keys === undefined) {
      // A page of ours never sends anything else: treat it as a bug or an attack and stop.
      this.shutdown('INVALID_ARGUMENT', 'The wall sent a malformed message.', CONSOLE_CLOSE.error);
      return;
    }
    const wanted = new Set(keys);
    for (const [key, entry] of this.entries) {
      if (wanted.has(key)) continue;
      entry.busy?.abort();
      this.entries.delete(key);
    }
    for (const key of keys) {
      if (this.entries.has(key)) continue;
      const parsed = parseWallKey(key);
      if (parsed !== undefined) this.entries.set(key, { key, ...parsed, due: 0, errors: 0 });
    }
    this.pump();
  };

  private readonly onClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const entry of this.entries.values()) entry.busy?.abort();
    this.entries.clear();
    this.onClosed(this);
  };

  /** Aborts the fetches of one pool (it disconnected); its tiles then report `offline`. */
  closePool(poolId: string): void {
    for (const entry of this.entries.values()) if (entry.poolId === poolId) entry.busy?.abort();
  }

  /** Closes the wall from the bridge (shutdown) or after a protocol error. */
  shutdown(code: ErrorCode, message: string, closeCode: number = CONSOLE_CLOSE.shutdown): void {
    if (this.closed) return;
    for (const entry of this.entries.values()) entry.busy?.abort();
    this.ws.close(closeCode, encodeCloseReason(code, message));
    // The close handshake may never finish with a dead page: forget everything now.
    this.onClose();
  }

  /** Starts what is due and sets the timer for the next due time. */
  private pump(): void {
    if (this.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    const due = [...this.entries.values()].filter((e) => e.busy === undefined && e.due <= now).sort((a, b) => a.due - b.due);
    for (const entry of due) void this.start(entry);
    let next = Infinity;
    for (const e of this.entries.values()) if (e.busy === undefined && e.due > now) next = Math.min(next, e.due);
    if (next !== Infinity) {
      this.timer = setTimeout(() => this.pump(), next - now);
      this.timer.unref();
    }
  }

  private async start(entry: Entry): Promise<void> {
    const abort = new AbortController();
    entry.busy = abort;
    let source: ConsoleSource;
    let host: string;
    let upstream;
    try {
      source = this.grant.source(entry.poolId);
      upstream = await source.resolve(entry.vmUuid, 'rfb');
      host = `${entry.poolId}|${parseLocation(upstream.location).host}`;
    } catch (error) {
      this.settle(entry, abort, error);
      return;
    }
    if (abort.signal.aborted || this.closed) return;
    const inUse = this.active.get(host) ?? 0;
    if (inUse >= this.grant.perHost) {
      // No slot on this host: wait, still due, until a fetch there ends (it pumps again).
      entry.busy = undefined;
      return;
    }
    this.active.set(host, inUse + 1);
    let opened = false;
    try {
      const got = await fetchThumbnail(source, upstream, {
        maxWidth: THUMB_MAX_WIDTH,
        maxHeight: THUMB_MAX_HEIGHT,
        signal: abort.signal,
        ...(this.opts.fetchTimeoutMs === undefined ? {} : { timeoutMs: this.opts.fetchTimeoutMs }),
        onOpen: () => {
          opened = true;
          this.counters.open++;
          this.counters.maxPerHost = Math.max(this.counters.maxPerHost, this.active.get(host) ?? 0);
        },
      });
      if (opened) this.counters.open--;
      opened = false;
      if (entry.busy === abort && !this.closed) this.sendFrame(entry, { thumbnail: got.thumbnail, screenWidth: Math.min(got.screenWidth, 0xffff), screenHeight: Math.min(got.screenHeight, 0xffff) });
      this.settle(entry, abort, undefined);
    } catch (error) {
      if (opened) this.counters.open--;
      this.settle(entry, abort, error);
    } finally {
      const left = (this.active.get(host) ?? 1) - 1;
      if (left <= 0) this.active.delete(host);
      else this.active.set(host, left);
      this.pump();
    }
  }

  /** Records a finished lookup or fetch and when the VM is due next. */
  private settle(entry: Entry, abort: AbortController, error: unknown): void {
    if (entry.busy !== abort) return;
    entry.busy = undefined;
    if (abort.signal.aborted || this.closed || this.entries.get(entry.key) !== entry) return;
    const now = Date.now();
    if (error === undefined) {
      entry.errors = 0;
      entry.due = now + this.grant.intervalMs;
      return;
    }
    const code: ErrorCode = error instanceof PortholeError ? error.code : 'INTERNAL';
    const message = error instanceof PortholeError ? error.message : 'The thumbnail failed.';
    const status = STATUS_OF[code] ?? 'error';
    const users = error instanceof PortholeError && typeof error.details?.users === 'string' ? error.details.users : undefined;
    this.sendStatus({ type: 'status', key: entry.key, status, message, ...(users === undefined ? {} : { users }) });
    // The tile now shows the status: the next picture goes out whole, even if it did not change.
    entry.sent = undefined;
    if (status === 'in-use') {
      // Someone else holds this console: leave it alone for a long while.
      entry.due = now + (this.opts.inUseRetryMs ?? IN_USE_RETRY_MS);
    } else {
      entry.errors++;
      entry.due = now + Math.min(MAX_ERROR_BACKOFF_MS, this.grant.intervalMs * 2 ** Math.min(entry.errors - 1, 6));
    }
    if (status === 'error') log.info('thumbnail failed', { vm: entry.vmUuid, code });
  }

  private sendStatus(status: WallStatus): void {
    if (this.closed) return;
    this.ws.send(JSON.stringify(status));
  }

  private sendFrame(entry: Entry, picture: SentPicture): void {
    this.counters.pictures++;
    const { thumbnail: thumb, screenWidth, screenHeight } = picture;
    const last = entry.sent;
    const sameSize =
      last !== undefined &&
      last.thumbnail.width === thumb.width &&
      last.thumbnail.height === thumb.height &&
      last.screenWidth === screenWidth &&
      last.screenHeight === screenHeight;
    const rows = sameSize ? changedRows(last.thumbnail.rgba, thumb.rgba, thumb.width, thumb.height) : { top: 0, end: thumb.height };
    if (rows === undefined) {
      this.counters.unchanged++;
      return;
    }
    // A page that does not keep up gets fewer pictures, not a growing queue (and keeps its last one).
    if (this.client.writableLength > PAGE_BACKLOG_BYTES) return;
    const header = encodeFrameHeader(entry.key, thumb.width, thumb.height, screenWidth, screenHeight, rows.top);
    const pixels = thumb.rgba.subarray(rows.top * thumb.width * 4, rows.end * thumb.width * 4);
    // Header and pixels as two fragments of one message: no copy to join them.
    this.ws.send(header, { binary: true, compress: false, fin: false });
    this.ws.send(pixels, { binary: true, compress: false, fin: true });
    entry.sent = picture;
    this.counters.frames++;
    this.counters.bytes += pixels.length;
  }
}
