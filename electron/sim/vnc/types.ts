/**
 * The console servers the simulator puts behind each running VM's console rows.
 *
 * - `qemu`: a real qemu-system-x86_64 (-vnc unix:..., QMP for screendump), as XenServer HVM guests have.
 * - `xvnc`: TigerVNC Xvnc running an xterm (typed keys can be checked in a file the xterm writes).
 * - `rfb33`: a server that speaks only RFB 3.3, as vncterm does for PV guests and dom0 (x11vnc -rfbversion 3.3).
 * - `synthetic`: an in-process RFB server (no external programs): a changing test pattern and typed
 *   text drawn on screen. Used by fast tests and the in-app demo pool.
 *
 * Only `synthetic` lives here (it ships with the app's demo pool). The other kinds start external
 * programs; their launchers live in test/backends/ and are handed to the simulator as `launchers`,
 * so nothing under electron/ can start a process.
 *
 * The simulator's console handler calls `connect()` once per accepted CONNECT and pipes the TLS socket
 * to the returned stream both ways. Start them with `startVncBackend` / `startTextConsole` (index.ts).
 */
import type { Duplex } from 'node:stream';

export type VncKind = 'qemu' | 'xvnc' | 'rfb33' | 'synthetic';

export const VNC_KINDS: readonly VncKind[] = ['qemu', 'xvnc', 'rfb33', 'synthetic'];

export interface VncBackendOptions {
  /** VM name, shown by backends that can draw it. */
  name: string;
  /** A private scratch directory for sockets, logs and files (created by the caller). */
  workDir: string;
  /** Screen width, px (qemu ignores it: the guest decides). */
  width?: number;
  /** Screen height, px (qemu ignores it: the guest decides). */
  height?: number;
}

/** A running console server for one VM. */
export interface VncBackend {
  readonly kind: VncKind;
  /** Opens a new client stream to the server (a unix socket, TCP loopback, or in-memory pair). */
  connect(): Promise<Duplex>;
  /** Stops the server and every process and socket it owns. Idempotent. */
  stop(): Promise<void>;
  /** qemu only: the guest screen as a binary PPM (P6), through QMP `screendump`. */
  screendump?(): Promise<Buffer>;
  /** xvnc and rfb33: a file the xterm writes typed input to (`cat > file`), so tests can check keys. */
  readonly typedFile?: string;
  /** qemu only: QEMU's input trace (`input_event_key_qcode … key qcode X, down 1` lines), so tests can check keys. */
  readonly inputTrace?: string;
  /** xvnc and rfb33: the X display number (tests set its keyboard layout with setxkbmap). */
  readonly display?: number;
  /** rfb33 only: x11vnc's log with its keyboard debugging on (`# keyboard(down, 0x40 "at")` per key event received). */
  readonly keyLog?: string;
}

/** Starts one VM's console server of one kind; resolves when it accepts connections. */
export type VncLauncher = (opts: VncBackendOptions) => Promise<VncBackend>;

/** Launchers for the kinds that need external programs (test/backends/ has them all). */
export type VncLaunchers = Partial<Readonly<Record<VncKind, VncLauncher>>>;

/** A `vt100` text console: a byte stream for a terminal view. */
export interface TextConsoleBackend {
  connect(): Promise<Duplex>;
  stop(): Promise<void>;
}
