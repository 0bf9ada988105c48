/**
 * The console tab's power features, as one state object the toolbar and dialogs render and the
 * console view feeds with its noVNC client: Type text, the Keys menu with sticky modifiers, the
 * clipboard, Screenshot, View only, scaling (fit without enlarging, fit, 1:1, remote resize) and
 * focus.
 *
 * How it works: `ConsoleView` calls `attach(rfb, screen)` when a client exists and `detach()` when it
 * goes; every action goes through the client it holds, so nothing else reaches into noVNC. Server
 * abilities are read when they become known: QEMU extended key events (noVNC's
 * `_qemuExtKeyEventSupported`, set when the server acknowledges the pseudo-encoding), SetDesktopSize
 * (`_supportsSetDesktopSize`, after the first ExtendedDesktopSize rectangle), extended clipboard
 * (`_clipboardServerCapabilitiesFormats`). Scaling is re-decided whenever the canvas (framebuffer) or
 * the stage changes size, so a guest resolution change re-fits.
 */
import type RFB from '@novnc/novnc';
import { SvelteSet } from 'svelte/reactivity';
import type { KeyEvent, TypePlan } from '../../../shared/keyboard/type-plan';
import { getLogger } from '../../../shared/log';
import { comboEvents, stickyKeys, type Key, type StickyModifier } from './keyboard/key-combos';
import { KeyTyper, type TyperState } from './keyboard/typer';

const log = getLogger('console-controls');

/** How the guest screen is fitted to the tab. */
export type ScalingMode = 'fit' | 'fit-up' | 'one-to-one' | 'remote';

/** The scaling choices in menu order. */
export const SCALING_MODES: readonly { id: ScalingMode; label: string }[] = [
  { id: 'fit', label: 'Fit (never enlarge)' },
  { id: 'fit-up', label: 'Fit (enlarge too)' },
  { id: 'one-to-one', label: '1:1' },
  { id: 'remote', label: 'Resize the guest' },
];

/** Progress of a Type text run. */
export interface TypingProgress {
  done: number;
  total: number;
  state: TyperState;
}

/** noVNC internals read (never written) to learn what the server supports. */
interface RfbInternals {
  _qemuExtKeyEventSupported?: boolean;
  _supportsSetDesktopSize?: boolean;
  _clipboardServerCapabilitiesFormats?: Record<number, unknown>;
  _clipboardServerCapabilitiesActions?: Record<number, boolean>;
}

/** localStorage key of the Ctrl+Alt+Del confirmation setting. */
const CONFIRM_CAD_KEY = 'porthole.confirm-ctrl-alt-del';

function loadFlag(key: string): boolean {
  try {
    return localStorage.getItem(key) === '1';
  } catch {
    return false;
  }
}

/** Extended clipboard format bit for text (RFB extended clipboard). */
const EXT_CLIPBOARD_TEXT = 1;
/** Extended clipboard "peek" action bit. */
const EXT_CLIPBOARD_PEEK = 1 << 26;

/** The power features of one console tab. */
export class ConsoleControls {
  viewOnly = $state(false);
  scaling = $state<ScalingMode>('fit');
  readonly sticky = new SvelteSet<StickyModifier>();
  /** The server takes QEMU extended key events (key positions), as QEMU and TigerVNC do. */
  scancodes = $state(false);
  /** The server supports SetDesktopSize (Xvnc). */
  remoteResize = $state(false);
  /** The guest's clipboard text as last received (ServerCutText), if any. */
  guestClipboard = $state<string | undefined>(undefined);
  /**
   * The guest shares its clipboard: the server has sent some text, or announced the full extended clipboard
   * (with "peek", as TigerVNC does). QEMU announces the extended clipboard without peek and serves it
   * only with a qemu-vdagent in the guest, which XenServer's QEMU does not have: not shared.
   */
  clipboardShared = $state(false);
  /** The server announced the extended clipboard (no Latin-1 limit). */
  clipboardUnicode = $state(false);
  typing = $state<TypingProgress | undefined>(undefined);
  /** The toolbar dialog open, if any (Ctrl+Shift+V opens Type text from the console). */
  dialog = $state<'type' | 'clipboard' | 'ctrl-alt-del' | undefined>(undefined);
  /** Ask before sending Ctrl+Alt+Del (remembered in localStorage). */
  confirmCtrlAltDel = $state(loadFlag(CONFIRM_CAD_KEY));
  /** Framebuffer size, px. */
  frameWidth = $state(0);
  frameHeight = $state(0);

  private rfb: RFB | undefined;
  private screen: HTMLElement | undefined;
  private typer: KeyTyper | undefined;
  private observers: (ResizeObserver | MutationObserver)[] = [];
  private stickyHeld: Key[] = [];

  /** The live client, for the view's own calls. */
  get client(): RFB | undefined {
    return this.rfb;
  }

  /** A client is connected (the RFB handshake is done). */
  get ready(): boolean {
    return this.rfb !== undefined && this.frameWidth > 0;
  }

  /** Binds a new connected client and its screen element. */
  attach(rfb: RFB, screen: HTMLElement): void {
    this.detach();
    this.rfb = rfb;
    this.screen = screen;
    rfb.viewOnly = this.viewOnly;
    rfb.addEventListener('clipboard', (event) => {
      if (this.rfb !== rfb) return;
      const text = (event as CustomEvent<{ text: string }>).detail.text;
      // An empty clipboard proves nothing (QEMU answers with one when it has no guest agent).
      if (text === '') return;
      this.guestClipboard = text;
      this.clipboardShared = true;
      void navigator.clipboard?.writeText(this.guestClipboard).catch(() => undefined);
    });
    const canvas = screen.querySelector('canvas');
    if (canvas !== null) {
      // The console is a tab stop (noVNC makes its canvas focusable by script only).
      canvas.tabIndex = 0;
      canvas.setAttribute('aria-label', 'Console screen');
      const sizes = new MutationObserver(() => this.refresh());
      sizes.observe(canvas, { attributes: true, attributeFilter: ['width', 'height'] });
      this.observers.push(sizes);
    }
    const stage = new ResizeObserver(() => this.refresh());
    stage.observe(screen);
    this.observers.push(stage);
    this.refresh();
  }

  /** Forgets the client (it disconnected or the tab closed); a running Type text stops. */
  detach(): void {
    this.typer?.cancel();
    for (const o of this.observers) o.disconnect();
    this.observers = [];
    this.rfb = undefined;
    this.frameWidth = 0;
    this.frameHeight = 0;
  }

  /** Re-reads what the server supports and re-applies the scaling mode. */
  refresh(): void {
    const rfb = this.rfb;
    const screen = this.screen;
    if (rfb === undefined || screen === undefined) return;
    const internals = rfb as unknown as RfbInternals;
    this.scancodes = internals._qemuExtKeyEventSupported === true;
    this.remoteResize = internals._supportsSetDesktopSize === true;
    this.clipboardUnicode = internals._clipboardServerCapabilitiesFormats?.[EXT_CLIPBOARD_TEXT] !== undefined;
    if (this.clipboardUnicode && internals._clipboardServerCapabilitiesActions?.[EXT_CLIPBOARD_PEEK] === true) this.clipboardShared = true;
    const canvas = screen.querySelector('canvas');
    this.frameWidth = canvas?.width ?? 0;
    this.frameHeight = canvas?.height ?? 0;
    const mode = this.scaling === 'remote' && !this.remoteResize ? 'fit' : this.scaling;
    const box = screen.getBoundingClientRect();
    const larger = this.frameWidth > box.width || this.frameHeight > box.height;
    const scale = mode === 'fit-up' || (mode === 'fit' && larger);
    if (rfb.scaleViewport !== scale) rfb.scaleViewport = scale;
    if (rfb.resizeSession !== (mode === 'remote')) rfb.resizeSession = mode === 'remote';
    if (canvas !== null) {
      // Sharp when a framebuffer pixel covers one or more device pixels (1:1 on HiDPI, enlarged).
      const devicePx = (canvas.getBoundingClientRect().width * window.devicePixelRatio) / Math.max(1, canvas.width);
      canvas.style.imageRendering = devicePx >= 1 ? 'pixelated' : 'auto';
    }
  }

  /** Chooses a scaling mode. */
  setScaling(mode: ScalingMode): void {
    this.scaling = mode;
    this.refresh();
  }

  /** Turns View only on or off (no keyboard, mouse or clipboard input reaches the guest while on). */
  setViewOnly(on: boolean): void {
    this.viewOnly = on;
    if (on) this.cancelTyping();
    if (this.rfb !== undefined) this.rfb.viewOnly = on;
  }

  /** Gives the console the keyboard. */
  focus(): void {
    this.rfb?.focus({ preventScroll: true });
  }

  private sendKey(key: Key, down: boolean): void {
    this.rfb?.sendKey(key.keysym, key.code === '' ? null : key.code, down);
  }

  /** Sends a key combination (with the sticky modifiers, which it then releases). */
  sendCombo(keys: readonly Key[]): void {
    if (this.rfb === undefined || this.viewOnly) return;
    for (const e of comboEvents([...stickyKeys(this.sticky), ...keys])) this.sendKey(e.key, e.down);
    this.sticky.clear();
    this.focus();
  }

  /** Turns the Ctrl+Alt+Del confirmation on or off. */
  setConfirmCtrlAltDel(on: boolean): void {
    this.confirmCtrlAltDel = on;
    try {
      localStorage.setItem(CONFIRM_CAD_KEY, on ? '1' : '0');
    } catch {
      // storage unavailable: the setting lasts for this page
    }
  }

  /** Toggles a sticky modifier. */
  toggleSticky(id: StickyModifier): void {
    if (this.sticky.has(id)) this.sticky.delete(id);
    else this.sticky.add(id);
    this.focus();
  }

  /**
   * A key went down on the console (capture phase, before noVNC sends it): presses the sticky
   * modifiers first. `keyReleased` lets them go once that key is up.
   */
  keyPressed(event: KeyboardEvent): void {
    if (this.sticky.size === 0 || this.viewOnly || this.stickyHeld.length > 0) return;
    if (['Control', 'Alt', 'AltGraph', 'Shift', 'Meta'].includes(event.key)) return;
    this.stickyHeld = stickyKeys(this.sticky);
    for (const key of this.stickyHeld) this.sendKey(key, true);
  }

  /** The key that used the sticky modifiers is up: release them after noVNC has sent the key up. */
  keyReleased(): void {
    if (this.stickyHeld.length === 0) return;
    const held = this.stickyHeld;
    this.stickyHeld = [];
    setTimeout(() => {
      for (const key of [...held].reverse()) this.sendKey(key, false);
      this.sticky.clear();
    }, 0);
  }

  /** Types a plan at a steady rate (see `KeyTyper`); progress lands in `typing`. */
  type(plan: TypePlan): void {
    if (this.rfb === undefined || this.viewOnly) return;
    this.typer?.cancel();
    const sink = (e: KeyEvent): void => this.sendKey({ keysym: e.keysym, code: e.code }, e.down);
    this.typer = new KeyTyper(plan.steps, sink, (done, total, state) => {
      this.typing = { done, total, state };
      if (state !== 'typing') this.focus();
    });
  }

  /** Stops a running Type text. */
  cancelTyping(): void {
    this.typer?.cancel();
  }

  /** Sends text to the guest's clipboard. */
  sendClipboard(text: string): void {
    if (this.rfb === undefined || this.viewOnly) return;
    this.rfb.clipboardPasteFrom(text);
  }

  /** Characters the guest's clipboard cannot take (basic cut text is Latin-1 only). */
  clipboardLoss(text: string): string[] {
    if (this.clipboardUnicode) return [];
    const lost: string[] = [];
    for (const c of Array.from(text)) if ((c.codePointAt(0) ?? 0) > 0xff && !lost.includes(c)) lost.push(c);
    return lost;
  }

  /** The framebuffer as a PNG (the canvas backing store: one canvas pixel per framebuffer pixel). */
  async screenshot(): Promise<Blob> {
    const canvas = this.screen?.querySelector('canvas');
    if (canvas === null || canvas === undefined || this.rfb === undefined) throw new Error('The console is not connected.');
    return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob === null ? reject(new Error('The screen could not be encoded.')) : resolve(blob)), 'image/png'));
  }

  /** Leaves no noVNC mouse-capture layer behind (after fullscreen ends mid-drag, say). */
  releaseMouseCapture(): void {
    const layer = document.getElementById('noVNC_mouse_capture_elem');
    if (layer === null || layer.style.display === 'none') return;
    log.debug('releasing a stale noVNC mouse capture');
    // noVNC's own release path: a mouseup on its capture layer ends the capture (and the button).
    layer.dispatchEvent(new MouseEvent('mouseup', { bubbles: true, cancelable: true }));
  }
}
