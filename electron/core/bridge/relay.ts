/**
 * One console connection: a page's WebSocket on one side, the XAPI console tunnel on the other.
 *
 * State machine (`transition` owns it and rejects anything else):
 *   opening ──tunnel up──▶ open ──either side ends──▶ closing ──▶ closed
 *      └───────────── failure / page gone ─────────────────────────▲
 * While `opening`, the WebSocket is paused (an early message is kept and sent first). Once `open`,
 * bytes are relayed as binary frames with no copies, no per-chunk allocation (read-ring.ts) and no queue of our own, with backpressure both
 * ways: TLS reading stops while the page's socket holds more than `highWaterBytes` unsent and resumes
 * on its 'drain'; WebSocket reading stops while TLS `write()` says it is full and resumes on the TLS
 * 'drain'. Toward the page there is also a send window: every quarter window of console bytes is
 * followed by a ping carrying the running byte count, which the page's WebSocket answers with a pong
 * once it has read everything before it. TLS reading stops while more than `sendWindowBytes` are
 * unacknowledged and resumes when half of that is left. Without it, a page slower than the console
 * lets the kernel's loopback buffers (autotuned to megabytes, and Node cannot size them) fill up, and
 * the page's keystrokes wait behind all of that (docs/performance.md).
 * When one side ends, the other is closed with a reason (see `shared/console-close.ts`).
 * `heartbeat()` (called by the bridge every ping interval) pings the page and terminates a page that
 * showed no sign of life (no pong, no progress draining our writes) for a whole interval.
 * On RFB consoles served by QEMU, one empty ClientCutText follows the page's first update request so
 * QEMU's refresh timer answers it at once (first-frame.ts). On RFB consoles the bridge also sends the
 * page's fixed handshake answers upstream as the server's messages arrive and drops the page's own
 * copies (handshake-ahead.ts), so the server's handshake round trips overlap the page's.
 * An RFB server speaks first (its ProtocolVersion greeting), so an RFB console whose host answered
 * 200 and then sends nothing for `firstBytesTimeoutMs` is closed as `silent` (4014) with a sentence
 * saying so, instead of leaving the tab waiting for a screen forever. vt100 consoles may rightly stay
 * quiet until a key is pressed, so they get no such bound.
 */
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { RawData, WebSocket } from 'ws';
import { encodeCloseReason, CONSOLE_CLOSE } from '../../../shared/console-close';
import { getLogger } from '../../../shared/log';
import { PortholeError } from '../../../shared/errors';
import { explainError, explainUpstreamEnd, isActiveRfbInput, type Explained } from './explain';
import { FirstFrameWatch, REFRESH_NUDGE } from './first-frame';
import { HandshakeAhead } from './handshake-ahead';
import { ConsoleSilentError, openTunnel, type Tunnel, type TunnelOptions } from './tunnel';
import type { ConsoleSource, ConsoleUpstream } from '../console-source';

const log = getLogger('bridge');

/**
 * Default unsent bytes on the page's socket above which TLS reading stops, bytes. Bytes only queue here
 * once the kernel's socket buffers to the page are full, so this is pure added latency under load; the
 * bench (npm run bench -- bridge) showed no throughput loss going from 1 MiB to 256 KiB (and less queue).
 */
export const HIGH_WATER_BYTES = 256 * 1024;
/** Time an RFB console gets, after the 200, to send its first bytes (the greeting), ms. */
export const FIRST_BYTES_TIMEOUT_MS = 10_000;
/** Default quiet input time after which an upstream close is explained as the idle timeout, ms. */
export const IDLE_HINT_MS = 60_000;
/**
 * Default send window toward the page, bytes: console bytes sent and not yet acknowledged by the page's
 * pong. 2 MiB is about 3 ms of the bench's fastest stream. In the runs measured, 1 MiB gave a lower
 * loaded p99 and less throughput (docs/performance.md).
 */
export const SEND_WINDOW_BYTES = 2 * 1024 * 1024;

/** The relay's states. */
export type RelayState = 'opening' | 'open' | 'closing' | 'closed';

const LEGAL: Record<RelayState, readonly RelayState[]> = {
  opening: ['open', 'closing', 'closed'],
  open: ['closing', 'closed'],
  closing: ['closed'],
  closed: [],
};

/** How often backpressure stopped either side (shared by the relays of one bridge). */
export interface RelayCounters {
  /** TLS reading paused because the page's socket was full. */
  upstreamPauses: number;
  /** Page reading paused because TLS was full. */
  pagePauses: number;
  /** Most bytes ever waiting in a page socket's write queue (the bridge's own buffering). */
  maxPageQueueBytes: number;
  /** WebSocket messages received from pages (tests wait on it instead of sleeping). */
  pageMessages: number;
  /** TLS reading paused because the page had not acknowledged a whole send window. */
  windowPauses: number;
}

/** Knobs of one relay. */
export interface RelayOptions extends TunnelOptions {
  highWaterBytes?: number;
  idleHintMs?: number;
  explainTimeoutMs?: number;
  firstBytesTimeoutMs?: number;
  counters?: RelayCounters;
  /** The clock input quietness is measured with, ms (default Date.now; tests step it by hand). */
  clock?: () => number;
  /** Batch the frames of one event-loop turn into one write (default true; see onUpstreamData). */
  batchWrites?: boolean;
  /** Nudge QEMU's refresh timer after the first update request (default true; see first-frame.ts). */
  refreshNudge?: boolean;
  /** Answer the RFB handshake upstream for the page as the server's messages arrive (default true; see handshake-ahead.ts). */
  handshakeAhead?: boolean;
  /** Most console bytes sent to the page and not yet acknowledged by its pong, bytes (default `SEND_WINDOW_BYTES`; 0: no window). */
  sendWindowBytes?: number;
}

const SEND_OPTIONS = { binary: true, compress: false, fin: true } as const;

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** A page WebSocket relayed to one console tunnel. */
export class ConsoleRelay {
  private stateValue: RelayState = 'opening';
  private tls: TLSSocket | undefined;
  private upstream: ConsoleUpstream;
  private readonly abort = new AbortController();
  private early: Buffer[] = [];
  private tlsPaused = false;
  private wsPaused = false;
  private alive = true;
  private lastWritten = 0;
  private lastInputAt: number;
  private readonly highWater: number;
  private watch: FirstFrameWatch | undefined;
  private ahead: HandshakeAhead | undefined;
  private silentTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly window: number;
  /** Console bytes handed to the page socket so far, and those the page has acknowledged. */
  private sentBytes = 0;
  private ackedBytes = 0;
  /** The count at which the next acknowledgement ping goes out. */
  private nextPingAt: number;
  private windowPaused = false;

  /**
   * Starts opening the tunnel at once. `client` is the raw socket under `ws` (the one given to
   * handleUpgrade); `onClosed` runs once, when both sides are gone.
   */
  constructor(
    private readonly ws: WebSocket,
    private readonly client: Duplex & { writableLength: number; bytesWritten?: number },
    private readonly source: ConsoleSource,
    upstream: ConsoleUpstream,
    private readonly opts: RelayOptions,
    private readonly onClosed: (relay: ConsoleRelay) => void,
  ) {
    this.upstream = upstream;
    this.highWater = opts.highWaterBytes ?? HIGH_WATER_BYTES;
    this.window = opts.sendWindowBytes ?? SEND_WINDOW_BYTES;
    this.nextPingAt = this.window / 4;
    this.now = opts.clock ?? Date.now;
    this.lastInputAt = this.now();
    ws.binaryType = 'nodebuffer';
    ws.pause();
    ws.on('message', this.onPageMessage);
    ws.on('close', this.onPageClose);
    ws.on('error', (error) => log.debug('page socket error', { error }));
    ws.on('pong', this.onPong);
    void this.open();
  }

  /** The current state. */
  get state(): RelayState {
    return this.stateValue;
  }

  /** True while the upstream TLS socket exists (for leak counts). */
  get hasUpstream(): boolean {
    return this.tls !== undefined;
  }

  private transition(next: RelayState): boolean {
    if (!LEGAL[this.stateValue].includes(next)) return false;
    this.stateValue = next;
    return true;
  }

  private async open(): Promise<void> {
    try {
      const tunnel = await openTunnel(this.source, this.upstream, { ...this.opts, signal: this.abort.signal });
      if (this.stateValue !== 'opening') {
        tunnel.socket.destroy();
        return;
      }
      this.attach(tunnel);
    } catch (error) {
      if (this.stateValue !== 'opening') return;
      const why = explainError(error);
      log.info('console failed to open', { vm: this.upstream.vmUuid, code: why.code });
      this.closePage(why);
    }
  }

  private attach(tunnel: Tunnel): void {
    const { socket: tls, upstream } = tunnel;
    this.transition('open');
    this.tls = tls;
    this.upstream = upstream;
    this.lastInputAt = this.now();
    if (upstream.protocol === 'rfb' && this.opts.refreshNudge !== false) this.watch = new FirstFrameWatch();
    if (upstream.protocol === 'rfb' && this.opts.handshakeAhead !== false) this.ahead = new HandshakeAhead((bytes) => tls.write(bytes));
    this.watch?.fromServer(tunnel.head);
    this.ahead?.fromServer(tunnel.head);
    if (tunnel.head.length > 0) this.ws.send(tunnel.head, SEND_OPTIONS);
    else if (upstream.protocol === 'rfb') {
      const ms = this.opts.firstBytesTimeoutMs ?? FIRST_BYTES_TIMEOUT_MS;
      this.silentTimer = setTimeout(() => this.onSilent(ms), ms);
    }
    tls.on('close', this.onUpstreamClose);
    tls.on('error', (error) => log.debug('console stream error', { error }));
    for (const chunk of this.early) this.writeUpstream(chunk);
    this.early = [];
    tunnel.start(this.onUpstreamData);
    if (!this.wsPaused) this.ws.resume();
    log.debug('console open', { vm: upstream.vmUuid, protocol: upstream.protocol });
  }

  private corked = false;

  private readonly uncork = (): void => {
    this.corked = false;
    this.client.uncork();
  };

  /**
   * TLS hands over at most 16 KiB per 'data' event. Each becomes its own binary frame (no copy), but
   * the page socket is corked for the rest of this event-loop turn, so all frames decrypted from one
   * batch of TCP reads leave in one writev: fewer syscalls and fuller segments with Nagle off, and
   * no added wait (the uncork runs right after the poll phase).
   */
  private readonly onUpstreamData = (chunk: Buffer, release: () => void): void => {
    if (this.silentTimer !== undefined) this.stopSilentTimer();
    if (!this.corked && this.opts.batchWrites !== false) {
      this.corked = true;
      this.client.cork();
      setImmediate(this.uncork);
    }
    if (this.watch?.active === true) this.watch.fromServer(chunk);
    // Before the page gets the chunk: the page's answer to it must find the bridge's already sent.
    if (this.ahead?.active === true) this.ahead.fromServer(chunk);
    // The chunk lives in the tunnel's read ring: it is released once the page socket has written it.
    this.ws.send(chunk, SEND_OPTIONS, release);
    if (this.window > 0) this.countSent(chunk.length);
    const queued = this.client.writableLength;
    const counters = this.opts.counters;
    if (counters !== undefined && queued > counters.maxPageQueueBytes) counters.maxPageQueueBytes = queued;
    if (!this.tlsPaused && queued >= this.highWater) {
      // The page reads slower than the console sends: stop reading TLS until the socket drains.
      this.tlsPaused = true;
      if (counters !== undefined) counters.upstreamPauses++;
      this.tls?.pause();
      this.client.once('drain', this.onClientDrain);
    }
  };

  private stopSilentTimer(): void {
    clearTimeout(this.silentTimer);
    this.silentTimer = undefined;
  }

  private onSilent(ms: number): void {
    this.silentTimer = undefined;
    if (this.stateValue !== 'open') return;
    log.info('console sent no greeting; closing it', { vm: this.upstream.vmUuid, ms });
    this.closePage(explainError(new ConsoleSilentError(`The console host accepted the connection but sent no screen data within ${ms / 1000} s.`)));
  }

  private readonly onClientDrain = (): void => {
    this.tlsPaused = false;
    if (this.stateValue === 'open' && !this.windowPaused) this.tls?.resume();
  };

  /** Counts bytes sent to the page: pings for acknowledgement, and stops reading TLS when the window is full. */
  private countSent(bytes: number): void {
    this.sentBytes += bytes;
    if (this.sentBytes >= this.nextPingAt) {
      this.nextPingAt = this.sentBytes + this.window / 4;
      const count = Buffer.allocUnsafe(8);
      count.writeDoubleBE(this.sentBytes);
      this.ws.ping(count);
    }
    if (!this.windowPaused && this.sentBytes - this.ackedBytes >= this.window) {
      this.windowPaused = true;
      if (this.opts.counters !== undefined) this.opts.counters.windowPauses++;
      this.tls?.pause();
    }
  }

  /** Any pong shows the page alive; one carrying a byte count we sent acknowledges those bytes. */
  private readonly onPong = (data: Buffer): void => {
    this.alive = true;
    if (data.length !== 8) return;
    const acked = data.readDoubleBE(0);
    if (!(acked > this.ackedBytes && acked <= this.sentBytes)) return;
    this.ackedBytes = acked;
    if (this.windowPaused && this.sentBytes - this.ackedBytes <= this.window / 2) {
      this.windowPaused = false;
      if (this.stateValue === 'open' && !this.tlsPaused) this.tls?.resume();
    }
  };

  private readonly onPageMessage = (data: RawData): void => {
    const chunk = toBuffer(data);
    this.alive = true;
    if (this.upstream.protocol === 'vt100' || isActiveRfbInput(chunk)) this.lastInputAt = this.now();
    if (this.opts.counters !== undefined) this.opts.counters.pageMessages++;
    if (this.stateValue === 'opening') this.early.push(chunk);
    else if (this.stateValue === 'open') this.writeUpstream(chunk);
  };

  private writeUpstream(data: Buffer): void {
    const tls = this.tls;
    if (tls === undefined) return;
    let chunk = data;
    if (this.ahead?.active === true) {
      const rest = this.ahead.fromPage(data);
      if (rest === 'mismatch') {
        log.info('page answered the RFB handshake differently from the bridge; closing the console', { vm: this.upstream.vmUuid });
        this.closePage(explainError(new PortholeError('CONSOLE_ERROR', 'The console handshake went wrong: the page answered differently from what the bridge sent ahead for it.')));
        return;
      }
      if (rest.length === 0) return;
      chunk = rest;
    }
    let room = tls.write(chunk);
    if (this.watch?.fromPage(chunk) === true) room = tls.write(REFRESH_NUDGE);
    if (!room && !this.wsPaused) {
      // The console server cannot take more yet: stop reading the page until TLS drains.
      this.wsPaused = true;
      if (this.opts.counters !== undefined) this.opts.counters.pagePauses++;
      this.ws.pause();
      tls.once('drain', this.onUpstreamDrain);
    }
  }

  private readonly onUpstreamDrain = (): void => {
    this.wsPaused = false;
    if (this.stateValue === 'open') this.ws.resume();
  };

  private readonly onUpstreamClose = (): void => {
    if (!this.transition('closing')) return;
    const quietMs = this.now() - this.lastInputAt;
    const idleHintMs = this.opts.idleHintMs ?? IDLE_HINT_MS;
    this.tls = undefined;
    explainUpstreamEnd(this.source, this.upstream, quietMs, idleHintMs, this.opts.explainTimeoutMs).then(
      (why) => this.closePage(why),
      (error: unknown) => this.closePage(explainError(error)),
    );
  };

  private readonly onPageClose = (code: number): void => {
    const wasOpen = this.tls !== undefined;
    this.abort.abort();
    this.tls?.destroy();
    this.tls = undefined;
    this.early = [];
    this.stopSilentTimer();
    this.client.off('drain', this.onClientDrain);
    if (this.transition('closed')) {
      if (wasOpen) log.debug('page closed the console', { vm: this.upstream.vmUuid, code });
      this.onClosed(this);
    }
  };

  /** Closes the page side with a kind and message (the upstream side is closed by onPageClose). */
  private closePage(why: Explained): void {
    if (this.stateValue === 'closed') return;
    this.transition('closing');
    this.stopSilentTimer();
    this.tls?.destroy();
    // Read again, or the page's answering close frame would sit unread until ws's close timeout.
    this.ws.resume();
    this.ws.close(CONSOLE_CLOSE[why.kind], encodeCloseReason(why.code, why.message));
  }

  /** Closes the console from the bridge (shutdown, pool gone). */
  shutdown(why: Explained): void {
    this.abort.abort();
    this.closePage(why);
  }

  /** One ping round: terminate a page that gave no sign of life since the last round, then ping. */
  heartbeat(): void {
    if (this.stateValue === 'closed') return;
    // A page still taking our console data (or one we stopped reading) is alive even if its pong is
    // queued behind that data. The ping's own bytes are excluded: the count is taken after it.
    if ((this.client.bytesWritten ?? 0) !== this.lastWritten || this.wsPaused) this.alive = true;
    if (!this.alive) {
      log.info('page stopped answering pings; dropping the console', { vm: this.upstream.vmUuid });
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
    this.lastWritten = this.client.bytesWritten ?? 0;
  }
}
