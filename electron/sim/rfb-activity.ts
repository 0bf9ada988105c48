/**
 * Watches the client → server half of an RFB stream for user input, as xapi's console idle monitor
 * does (`ocaml/xapi/console.ml` Console_idle_monitor, `Rfb_client_msgtype_parser`): only KeyEvent,
 * PointerEvent and QEMU client messages count as activity; update requests, encodings and pixel
 * formats do not. On anything it cannot parse it gives up (`broken`), and xapi then never times the
 * connection out, so neither does the simulator.
 *
 * States: version (12 bytes) → security choice (1 byte, only for 3.7/3.8) → ClientInit (1 byte) →
 * messages.
 */

type Phase = 'version' | 'security' | 'init' | 'messages';

/** Incremental parser of client RFB messages. */
export class RfbActivityParser {
  private phase: Phase = 'version';
  private buf: Buffer = Buffer.alloc(0);
  /** True after a parse error: stop judging activity. */
  broken = false;

  /** Feeds client bytes; returns true when they held a key, pointer or QEMU message. */
  feed(chunk: Buffer): boolean {
    if (this.broken) return false;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let active = false;
    for (;;) {
      const used = this.step();
      if (used === 'error') {
        this.broken = true;
        return active;
      }
      if (used === undefined) return active;
      if (used.active) active = true;
      this.buf = this.buf.subarray(used.length);
    }
  }

  private step(): { length: number; active: boolean } | undefined | 'error' {
    const b = this.buf;
    switch (this.phase) {
      case 'version': {
        if (b.length < 12) return undefined;
        const v = b.subarray(0, 12).toString('latin1');
        const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(v);
        if (m === null) return 'error';
        this.phase = Number(m[2]) >= 7 ? 'security' : 'init';
        return { length: 12, active: false };
      }
      case 'security':
        if (b.length < 1) return undefined;
        this.phase = 'init';
        return { length: 1, active: false };
      case 'init':
        if (b.length < 1) return undefined;
        this.phase = 'messages';
        return { length: 1, active: false };
      case 'messages':
        return this.message(b);
    }
  }

  private message(b: Buffer): { length: number; active: boolean } | undefined | 'error' {
    if (b.length < 1) return undefined;
    const need = (n: number, active = false): { length: number; active: boolean } | undefined => (b.length >= n ? { length: n, active } : undefined);
    switch (b[0]) {
      case 0: // SetPixelFormat
        return need(20);
      case 2: // SetEncodings
        return b.length < 4 ? undefined : need(4 + 4 * b.readUInt16BE(2));
      case 3: // FramebufferUpdateRequest
        return need(10);
      case 4: // KeyEvent
        return need(8, true);
      case 5: // PointerEvent
        return need(6, true);
      case 6: {
        // ClientCutText (a negative length is the extended form: its absolute value)
        if (b.length < 8) return undefined;
        const len = Math.abs(b.readInt32BE(4));
        return need(8 + len);
      }
      case 150: // EnableContinuousUpdates
        return need(10);
      case 248: // ClientFence
        return b.length < 9 ? undefined : need(9 + (b[8] ?? 0));
      case 250: // xvp
        return need(4);
      case 251: // SetDesktopSize
        return b.length < 8 ? undefined : need(8 + 16 * (b[6] ?? 0));
      case 255: {
        // QEMU client message: 0 = extended key event, 1 = audio
        if (b.length < 2) return undefined;
        if (b[1] === 0) return need(12, true);
        if (b[1] === 1) {
          if (b.length < 4) return undefined;
          const op = b.readUInt16BE(2);
          return need(op === 2 ? 10 : 4, true);
        }
        return 'error';
      }
      default:
        return 'error';
    }
  }
}
