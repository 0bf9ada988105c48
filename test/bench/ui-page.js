/* global window, document, performance, requestAnimationFrame, MutationObserver, HTMLCanvasElement, HTMLElement */
// Page-side instruments of the UI benchmark (test/bench/ui.ts), installed with `addInitScript` before
// the app loads. Plain browser JavaScript: it runs inside Chromium, not under Node.
//
// - records when the largest message arrives on the API socket (the inventory for a big pool); its
//   listener is registered before the app's own, so it sees the message first;
// - `armKeydown()` / `armClick()` note the time of the next keydown / click (the user's action);
// - notes, for the console sockets, when each was created, opened and got its first and latest message,
//   and when the last console ticket (`console:open` reply) arrived, for the breakdown of a console's
//   way back (`consoleSteps()`);
// - `frameWhen(test, timeoutMs)` resolves with ms from that keydown to the first animation frame where
//   `test()` holds: the frame in which the result is on screen (timed when its callback runs);
// - `armKeyFrame(test, timeoutMs)` starts that frame watch at the next keydown itself (the promise is
//   `keyFrame`), so a frame painted while the test driver is still returning from the key press counts.
(() => {
  const bench = {
    bigMessageAt: 0,
    bigMessageBytes: 0,
    start: 0,
    treeChanged: false,
    clickAt: 0,
    ticketAt: 0,
    lastConsole: undefined,
    // ms from the click to each step of the latest console connection: ticket reply, socket created,
    // socket open, first message (the greeting), latest message (the first update, once painted).
    consoleSteps() {
      const c = bench.lastConsole;
      if (c === undefined) return [];
      return [bench.ticketAt, c.created, c.open, c.first, c.latest].map((t) => t - bench.clickAt);
    },
    armKeydown() {
      document.addEventListener('keydown', () => (bench.start = performance.now()), { capture: true, once: true });
    },
    armKeyFrame(test, timeoutMs) {
      bench.keyFrame = new Promise((resolve, reject) => {
        document.addEventListener(
          'keydown',
          () => {
            bench.start = performance.now();
            bench.frameWhen(test, timeoutMs).then(resolve, reject);
          },
          { capture: true, once: true },
        );
      });
    },
    keyFrame: undefined,
    // Notes the time of the next click (the Trust button) in `clickAt`.
    armClick() {
      document.addEventListener('click', () => (bench.clickAt = performance.now()), { capture: true, once: true });
    },
    watchTree() {
      bench.treeChanged = false;
      const tree = document.querySelector('[role="tree"]');
      if (tree === null) return;
      const observer = new MutationObserver(() => {
        bench.treeChanged = true;
        observer.disconnect();
      });
      observer.observe(tree, { subtree: true, childList: true, attributes: true, characterData: true });
    },
    frameWhen(test, timeoutMs, from) {
      const start = from ?? bench.start;
      const limit = performance.now() + timeoutMs;
      return new Promise((resolve, reject) => {
        // The callback's own time, not the frame's begin time: after a long task the frame's begin
        // time can be older than the work it shows (the result is painted after this callback).
        const tick = () => {
          const now = performance.now();
          if (test()) resolve(now - start);
          else if (now > limit) reject(new Error('timed out'));
          else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      });
    },
    canvasPainted() {
      const c = document.querySelector('[role="tabpanel"]:not([hidden]) canvas');
      if (!(c instanceof HTMLCanvasElement) || c.width === 0 || c.height === 0) return false;
      const ctx = c.getContext('2d');
      if (ctx === null) return false;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4 * 7) if (d[i + 3] !== 0 && (d[i] | d[i + 1] | d[i + 2]) !== 0) return true;
      return false;
    },
    // Rows the (virtualised) tree holds, in view or not.
    treeRows() {
      const tree = document.querySelector('[role="tree"]');
      return tree instanceof HTMLElement ? Number(tree.dataset.rowCount ?? 0) : 0;
    },
    // VM rows on screen (resident VMs are at level 3, under their host).
    vmRows() {
      return document.querySelectorAll('[role="tree"] [role="treeitem"][aria-level="3"]').length;
    },
    // A VM row's power state is the first part of its accessible description.
    rowState(name) {
      for (const row of document.querySelectorAll('[role="tree"] [role="treeitem"]')) {
        if (row.getAttribute('aria-label') !== name) continue;
        return (row.getAttribute('aria-description') ?? '').split(',')[0];
      }
      return null;
    },
  };
  window.__bench = bench;
  // A wrapper, not a subclass: it returns the native socket itself, because noVNC checks a raw
  // channel's methods on its direct prototype.
  const Native = window.WebSocket;
  function Measured(url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    if (String(url).includes('/console/')) {
      const c = { created: performance.now(), open: 0, first: 0, latest: 0 };
      bench.lastConsole = c;
      socket.addEventListener('open', () => (c.open = performance.now()));
      socket.addEventListener('message', () => {
        c.latest = performance.now();
        if (c.first === 0) c.first = c.latest;
      });
    }
    if (String(url).includes('/api')) {
      socket.addEventListener('message', (event) => {
        const size = typeof event.data === 'string' ? event.data.length : 0;
        if (typeof event.data === 'string' && event.data.includes('"url":"ws://') && event.data.includes('/console/')) bench.ticketAt = performance.now();
        if (size > bench.bigMessageBytes) {
          bench.bigMessageBytes = size;
          bench.bigMessageAt = performance.now();
        }
      });
    }
    return socket;
  }
  Measured.prototype = Native.prototype;
  for (const key of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) Measured[key] = Native[key];
  window.WebSocket = Measured;
})();
