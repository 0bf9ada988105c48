import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MENU_ACTIONS } from '../../../shared/contract';
import { actionItems, buildMenuTemplate, isMenuAction, isShellAction, SHELL_ACTIONS } from './menu-template';

const PLATFORMS: NodeJS.Platform[] = ['linux', 'win32', 'darwin'];

test('every page action and shell action appears exactly once on every platform', () => {
  for (const platform of PLATFORMS) {
    const actions = actionItems(buildMenuTemplate(platform, false)).map((i) => i.action);
    assert.deepEqual([...actions].sort(), [...MENU_ACTIONS, ...SHELL_ACTIONS].sort(), platform);
  }
});

test('accelerators are the documented ones and never collide', () => {
  const expected = (mac: boolean): Record<string, string | undefined> => ({
    'pool:add': 'CmdOrCtrl+N',
    'tab:close': 'CmdOrCtrl+W',
    'tab:next': 'Ctrl+Tab',
    'tab:previous': 'Ctrl+Shift+Tab',
    'tab:popout': 'CmdOrCtrl+Shift+O',
    'view:fullscreen': mac ? 'Ctrl+Command+F' : 'F11',
    'console:ctrl-alt-del': 'CmdOrCtrl+Alt+End',
    'console:release-keyboard': undefined,
    'app:about': undefined,
    'app:logs': undefined,
  });
  for (const platform of PLATFORMS) {
    const items = actionItems(buildMenuTemplate(platform, false));
    assert.deepEqual(Object.fromEntries(items.map((i) => [i.action, i.accelerator])), expected(platform === 'darwin'), platform);
    const accels = items.flatMap((i) => (i.accelerator === undefined ? [] : [i.accelerator]));
    assert.equal(new Set(accels).size, accels.length, platform);
  }
});

test('macOS gets the app menu, Edit roles and the Window menu; others get Quit in File and About in Help', () => {
  const mac = buildMenuTemplate('darwin', false);
  assert.deepEqual(mac.map((s) => s.label), ['Porthole', 'File', 'Edit', 'View', 'Console', 'Window', 'Help']);
  assert.ok(mac[0]!.items.some((i) => i.kind === 'role' && i.role === 'quit'));
  assert.equal(mac.find((s) => s.label === 'Window')!.role, 'windowMenu');
  const linux = buildMenuTemplate('linux', false);
  assert.deepEqual(linux.map((s) => s.label), ['File', 'Edit', 'View', 'Console', 'Help']);
  assert.ok(linux[0]!.items.some((i) => i.kind === 'role' && i.role === 'quit'));
  for (const t of [mac, linux]) {
    const edit = t.find((s) => s.label === 'Edit')!.items.flatMap((i) => (i.kind === 'role' ? [i.role] : []));
    assert.deepEqual(edit, ['undo', 'redo', 'cut', 'copy', 'paste', 'selectAll']);
  }
});

test('developer tools only when asked (unpackaged builds)', () => {
  const roles = (devTools: boolean) => buildMenuTemplate('linux', devTools).flatMap((s) => s.items.flatMap((i) => (i.kind === 'role' ? [i.role] : [])));
  assert.equal(roles(false).includes('toggleDevTools'), false);
  assert.equal(roles(true).includes('toggleDevTools'), true);
});

test('the release item shows the platform release chord', () => {
  const label = (p: NodeJS.Platform) => actionItems(buildMenuTemplate(p, false)).find((i) => i.action === 'console:release-keyboard')!.label;
  assert.equal(label('linux'), 'Release Keyboard (Ctrl+Alt+Shift)');
  assert.equal(label('darwin'), 'Release Keyboard (Control+Option+Shift)');
});

test('shell actions are told apart from page actions', () => {
  assert.equal(isShellAction('view:fullscreen'), true);
  assert.equal(isShellAction('app:logs'), true);
  assert.equal(isShellAction('tab:close'), false);
  assert.equal(isMenuAction('tab:close'), true);
  assert.equal(isMenuAction('view:fullscreen'), false);
  assert.equal(isMenuAction(3), false);
});
