import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mainWindowOptions, MIN_HEIGHT_PX, MIN_WIDTH_PX, popoutWindowOptions, secureWebPreferences } from './window-options';

const SECURE = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
};

test('webPreferences are locked down and carry the preload', () => {
  assert.deepEqual(secureWebPreferences('/app/preload.cjs', false), { preload: '/app/preload.cjs', devTools: false, ...SECURE });
  assert.equal(secureWebPreferences('/p', true).devTools, true);
});

test('the main window uses the remembered bounds and hides until ready', () => {
  const o = mainWindowOptions({ x: 10, y: 20, width: 900, height: 700, maximized: false }, '/p.cjs', false);
  assert.deepEqual({ x: o.x, y: o.y, width: o.width, height: o.height }, { x: 10, y: 20, width: 900, height: 700 });
  assert.equal(o.show, false);
  assert.equal(o.minWidth, MIN_WIDTH_PX);
  assert.equal(o.minHeight, MIN_HEIGHT_PX);
  assert.deepEqual(o.webPreferences, { preload: '/p.cjs', devTools: false, ...SECURE });
  const centred = mainWindowOptions({ width: 900, height: 700, maximized: false }, '/p.cjs', false);
  assert.equal('x' in centred || 'y' in centred, false);
});

test('pop-out windows get the same security options', () => {
  const o = popoutWindowOptions('/p.cjs', false);
  assert.deepEqual(o.webPreferences, { preload: '/p.cjs', devTools: false, ...SECURE });
  assert.equal(o.show, false);
});
