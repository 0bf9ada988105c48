/**
 * The synthetic console server: an in-process RFB server with a test-pattern screen. No external
 * programs, so it ships inside the app for the demo pool and backs the fast tests.
 *
 * How it works: a `Framebuffer` holds the screen — a title bar with the VM name, colour bars and
 * per-channel gradients (so pixel-format conversions show), a bar that moves and a counter that
 * advances every `tickMs`, and the text typed so far (printable ASCII key-downs, Return, BackSpace)
 * in a 5x7 font. Each `connect()` makes an in-memory duplex pair and serves RFB (`rfb-server.ts`) on
 * one end. The animation follows the clock, like a real screen that changes whether anyone watches:
 * the step is the time since the server started over `tickMs`. The timer that draws each step runs
 * only while at least one client is connected, so an idle demo pool costs nothing; a client that
 * connects first brings the screen up to the current step (a short-lived viewer every few seconds
 * sees it moved on). `stop()` closes every connection and the timer.
 */
import type { Duplex } from 'node:stream';
import { createDuplexPair } from './duplex-pair';
import { Framebuffer, type Rgb } from './framebuffer';
import { GLYPH_HEIGHT_PX, GLYPH_WIDTH_PX } from './font';
import { serveRfb, type RfbServerConnection } from './rfb-server';
import type { VncBackend, VncBackendOptions } from './types';

/** Default screen size, px. */
export const SYNTHETIC_DEFAULT_WIDTH_PX = 800;
/** Default screen height, px. */
export const SYNTHETIC_DEFAULT_HEIGHT_PX = 600;
/** Default animation step, ms. */
export const SYNTHETIC_DEFAULT_TICK_MS = 500;
/** Typed text kept, characters (older text scrolls away). */
const MAX_TYPED_CHARS = 4000;

const TEXT_SCALE = 2;
const CELL_W = (GLYPH_WIDTH_PX + 1) * TEXT_SCALE;
const CELL_H = (GLYPH_HEIGHT_PX + 1) * TEXT_SCALE;
const MARGIN = 12;
const TITLE_H = 40;
const BARS_Y = TITLE_H + 8;
const BARS_H = 48;
const GRADIENT_Y = BARS_Y + BARS_H + 8;
const GRADIENT_ROW_H = 12;
const MOVER_Y = GRADIENT_Y + 3 * GRADIENT_ROW_H + 12;
const MOVER_H = 16;
const MOVER_W = 64;
const COUNTER_Y = MOVER_Y + MOVER_H + 10;
const TEXT_Y = COUNTER_Y + CELL_H + 16;

const BACKGROUND: Rgb = [24, 32, 44];
const TITLE_BG: Rgb = [40, 96, 200];
const WHITE: Rgb = [255, 255, 255];
const TEXT_FG: Rgb = [220, 230, 240];
const BAR_COLOURS: readonly Rgb[] = [
  [255, 255, 255],
  [255, 255, 0],
  [0, 255, 255],
  [0, 255, 0],
  [255, 0, 255],
  [255, 0, 0],
  [0, 0, 255],
  [0, 0, 0],
];

/** Keysyms the screen understands beyond printable ASCII. */
const XK_BACKSPACE = 0xff08;
const XK_TAB = 0xff09;
const XK_RETURN = 0xff0d;
const XK_KP_ENTER = 0xff8d;

/** Options of the synthetic server. */
export interface SyntheticOptions extends VncBackendOptions {
  /** Animation step, ms; 0 freezes the picture (for exact pixel comparisons). */
  tickMs?: number;
}

/** The synthetic backend, with views of its state for tests. */
export interface SyntheticVncBackend extends VncBackend {
  readonly kind: 'synthetic';
  /** A copy of the screen as RGBA bytes. */
  snapshot(): { width: number; height: number; rgba: Uint8Array };
  /** Text typed so far (`\n` for Return). */
  readonly typedText: string;
  /** Last pointer position and button mask reported by a client. */
  readonly pointer: { x: number; y: number; buttons: number };
  /** Text received with ClientCutText, latest last. */
  readonly cutText: string;
  /** The animation step shown now. */
  readonly ticks: number;
  /** Number of open client connections. */
  readonly connections: number;
  /** Changes the screen size (clients that announced DesktopSize are told). */
  resize(width: number, height: number): void;
}

type BackendState = 'running' | 'stopped';

class SyntheticBackend implements SyntheticVncBackend {
  readonly kind = 'synthetic' as const;
  private state: BackendState = 'running';
  private readonly fb: Framebuffer;
  private readonly conns = new Set<RfbServerConnection>();
  private timer: NodeJS.Timeout | undefined;
  private text = '';
  private clip = '';
  private tickCount = 0;
  /** When the server started (the animation's step 0), ms since the epoch. */
  private readonly startedAt = Date.now();
  private lastPointer = { x: 0, y: 0, buttons: 0 };

  constructor(
    private readonly name: string,
    private readonly tickMs: number,
    width: number,
    height: number,
  ) {
    this.fb = new Framebuffer(width, height);
    this.drawAll();
  }

  get typedText(): string {
    return this.text;
  }

  get pointer(): { x: number; y: number; buttons: number } {
    return { ...this.lastPointer };
  }

  get cutText(): string {
    return this.clip;
  }

  get ticks(): number {
    return this.tickCount;
  }

  get connections(): number {
    return this.conns.size;
  }

  snapshot(): { width: number; height: number; rgba: Uint8Array } {
    return this.fb.snapshot();
  }

  resize(width: number, height: number): void {
    this.fb.resize(width, height);
    this.drawAll();
  }

  connect(): Promise<Duplex> {
    if (this.state === 'stopped') return Promise.reject(new Error('synthetic console server is stopped'));
    if (this.timer === undefined) this.catchUp();
    const [client, server] = createDuplexPair();
    const conn = serveRfb(
      server,
      this.fb,
      this.name,
      {
        key: (keysym, down) => this.key(keysym, down),
        pointer: (x, y, buttons) => {
          this.lastPointer = { x, y, buttons };
        },
        cutText: (text) => {
          this.clip = text;
        },
      },
      (closed) => {
        this.conns.delete(closed);
        if (this.conns.size === 0) this.stopTimer();
      },
    );
    this.conns.add(conn);
    this.startTimer();
    return Promise.resolve(client);
  }

  stop(): Promise<void> {
    if (this.state === 'stopped') return Promise.resolve();
    this.state = 'stopped';
    for (const conn of [...this.conns]) conn.close('server stopped');
    this.conns.clear();
    this.stopTimer();
    return Promise.resolve();
  }

  private startTimer(): void {
    if (this.timer !== undefined || this.tickMs <= 0) return;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The animation step due now (see the header). */
  private dueTick(): number {
    return this.tickMs <= 0 ? 0 : Math.floor((Date.now() - this.startedAt) / this.tickMs);
  }

  /** Draws the step due now if the screen is behind it (no client saw the steps in between). */
  private catchUp(): void {
    const due = this.dueTick();
    if (due <= this.tickCount) return;
    this.tickCount = due;
    this.drawMover();
    this.drawCounter();
  }

  private tick(): void {
    this.tickCount = Math.max(this.tickCount + 1, this.dueTick());
    this.drawMover();
    this.drawCounter();
  }

  private key(keysym: number, down: boolean): void {
    if (!down) return;
    if (keysym >= 0x20 && keysym <= 0x7e) this.text += String.fromCharCode(keysym);
    else if (keysym >= 0xa0 && keysym <= 0xff) this.text += String.fromCharCode(keysym);
    else if (keysym === XK_RETURN || keysym === XK_KP_ENTER) this.text += '\n';
    else if (keysym === XK_TAB) this.text += ' ';
    else if (keysym === XK_BACKSPACE) this.text = this.text.slice(0, -1);
    else return;
    if (this.text.length > MAX_TYPED_CHARS) this.text = this.text.slice(-MAX_TYPED_CHARS);
    this.drawText();
  }

  private drawAll(): void {
    const { width } = this.fb;
    this.fb.fillRect(0, 0, this.fb.width, this.fb.height, BACKGROUND);
    this.fb.fillRect(0, 0, width, TITLE_H, TITLE_BG);
    this.fb.drawText(MARGIN, (TITLE_H - CELL_H) / 2 + 2, this.name, TEXT_SCALE, WHITE, TITLE_BG);
    const barW = Math.floor((width - 2 * MARGIN) / BAR_COLOURS.length);
    BAR_COLOURS.forEach((c, i) => this.fb.fillRect(MARGIN + i * barW, BARS_Y, barW, BARS_H, c));
    // One gradient row per channel, 0..255 across the usable width.
    const span = width - 2 * MARGIN;
    for (let x = 0; x < span; x++) {
      const v = Math.round((x * 255) / Math.max(1, span - 1));
      this.fb.fillRect(MARGIN + x, GRADIENT_Y, 1, GRADIENT_ROW_H, [v, 0, 0]);
      this.fb.fillRect(MARGIN + x, GRADIENT_Y + GRADIENT_ROW_H, 1, GRADIENT_ROW_H, [0, v, 0]);
      this.fb.fillRect(MARGIN + x, GRADIENT_Y + 2 * GRADIENT_ROW_H, 1, GRADIENT_ROW_H, [0, 0, v]);
    }
    this.drawMover();
    this.drawCounter();
    this.drawText();
  }

  private drawMover(): void {
    const track = this.fb.width - 2 * MARGIN;
    const travel = Math.max(1, track - MOVER_W);
    const step = (this.tickCount * 16) % (2 * travel);
    const x = step < travel ? step : 2 * travel - step;
    this.fb.fillRect(MARGIN, MOVER_Y, track, MOVER_H, BACKGROUND);
    this.fb.fillRect(MARGIN + x, MOVER_Y, MOVER_W, MOVER_H, WHITE);
  }

  private drawCounter(): void {
    const seconds = Math.floor((this.tickCount * this.tickMs) / 1000);
    const clock = `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
    this.fb.drawText(MARGIN, COUNTER_Y, `tick ${String(this.tickCount).padStart(6, '0')}  up ${clock}`, TEXT_SCALE, TEXT_FG, BACKGROUND);
  }

  private drawText(): void {
    const { width, height } = this.fb;
    const cols = Math.max(1, Math.floor((width - 2 * MARGIN) / CELL_W));
    const rows = Math.max(1, Math.floor((height - TEXT_Y - MARGIN) / CELL_H));
    const lines: string[] = [];
    for (const line of `${this.text}_`.split('\n')) {
      for (let i = 0; i === 0 || i < line.length; i += cols) lines.push(line.slice(i, i + cols));
    }
    const visible = lines.slice(-rows);
    this.fb.fillRect(MARGIN, TEXT_Y, cols * CELL_W, rows * CELL_H, BACKGROUND);
    visible.forEach((line, i) => this.fb.drawText(MARGIN, TEXT_Y + i * CELL_H, line, TEXT_SCALE, TEXT_FG, BACKGROUND));
  }
}

/** Starts a synthetic console server (in-process; nothing to spawn). */
export function startSyntheticVnc(opts: SyntheticOptions): Promise<SyntheticVncBackend> {
  const width = opts.width ?? SYNTHETIC_DEFAULT_WIDTH_PX;
  const height = opts.height ?? SYNTHETIC_DEFAULT_HEIGHT_PX;
  if (width < 64 || height < 64 || width > 4096 || height > 4096) return Promise.reject(new Error(`bad screen size ${width}x${height}`));
  return Promise.resolve(new SyntheticBackend(opts.name, opts.tickMs ?? SYNTHETIC_DEFAULT_TICK_MS, width, height));
}
