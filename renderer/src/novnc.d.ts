/**
 * Types for the parts of noVNC 1.7 (`@novnc/novnc`, ESM `core/rfb.js`, no bundled typings) that
 * `ConsoleView.svelte` uses. See node_modules/@novnc/novnc/docs/API.md.
 */
declare module '@novnc/novnc' {
  /** Options of the RFB constructor. */
  export interface RfbOptions {
    shared?: boolean;
    credentials?: { username?: string; password?: string; target?: string };
    repeaterID?: string;
    wsProtocols?: string[];
  }

  /** A noVNC client bound to one target element and one WebSocket. */
  export default class RFB extends EventTarget {
    constructor(target: HTMLElement, urlOrChannel: string | WebSocket, options?: RfbOptions);
    viewOnly: boolean;
    focusOnClick: boolean;
    clipViewport: boolean;
    dragViewport: boolean;
    scaleViewport: boolean;
    resizeSession: boolean;
    showDotCursor: boolean;
    background: string;
    qualityLevel: number;
    compressionLevel: number;
    readonly capabilities: { power: boolean };
    disconnect(): void;
    sendCtrlAltDel(): void;
    sendKey(keysym: number, code: string | null, down?: boolean): void;
    /** Sends text to the server's clipboard (extended clipboard when offered, else Latin-1 ClientCutText). */
    clipboardPasteFrom(text: string): void;
    focus(options?: FocusOptions): void;
    blur(): void;
  }
}
