import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TabsState } from './tabs-model';
import { EMPTY_TABS, dropIndex, tabKey, tabsReducer, tabsToUi } from './tabs-model';

function openAll(...uuids: string[]): TabsState {
  return uuids.reduce<TabsState>((s, u) => tabsReducer(s, { type: 'open', poolId: 'p', vmUuid: u, protocol: 'rfb' }), EMPTY_TABS);
}
const names = (s: TabsState): string[] => s.tabs.map((t) => t.vmUuid);

test('open adds and selects; opening again focuses the existing tab', () => {
  let s = openAll('a', 'b', 'c');
  assert.deepEqual(names(s), ['a', 'b', 'c']);
  assert.equal(s.active, 2);
  s = tabsReducer(s, { type: 'open', poolId: 'p', vmUuid: 'a', protocol: 'rfb' });
  assert.deepEqual(names(s), ['a', 'b', 'c']);
  assert.equal(s.active, 0);
  s = tabsReducer(s, { type: 'open', poolId: 'p', vmUuid: 'a', protocol: 'vt100' });
  assert.equal(s.tabs.length, 4);
  assert.equal(s.tabs[3]!.key, tabKey('p', 'a', 'vt100'));
});

test('closing selects the right neighbour, else the left; closing others keeps the selection', () => {
  let s = tabsReducer(openAll('a', 'b', 'c'), { type: 'select', key: tabKey('p', 'b', 'rfb') });
  s = tabsReducer(s, { type: 'close', key: tabKey('p', 'b', 'rfb') });
  assert.deepEqual(names(s), ['a', 'c']);
  assert.equal(s.tabs[s.active]!.vmUuid, 'c');
  s = tabsReducer(s, { type: 'close', key: tabKey('p', 'c', 'rfb') });
  assert.equal(s.tabs[s.active]!.vmUuid, 'a');
  s = tabsReducer(openAll('a', 'b', 'c'), { type: 'close', key: tabKey('p', 'a', 'rfb') });
  assert.equal(s.tabs[s.active]!.vmUuid, 'c');
  s = tabsReducer(tabsReducer(s, { type: 'close', key: tabKey('p', 'b', 'rfb') }), { type: 'close', key: tabKey('p', 'c', 'rfb') });
  assert.deepEqual(s, { tabs: [], active: -1 });
  assert.equal(tabsReducer(s, { type: 'close', key: 'nope' }), s);
});

test('move reorders and the selected tab stays selected', () => {
  let s = tabsReducer(openAll('a', 'b', 'c', 'd'), { type: 'select', key: tabKey('p', 'b', 'rfb') });
  s = tabsReducer(s, { type: 'move', from: 1, to: 3 });
  assert.deepEqual(names(s), ['a', 'c', 'd', 'b']);
  assert.equal(s.tabs[s.active]!.vmUuid, 'b');
  s = tabsReducer(s, { type: 'move', from: 0, to: 99 });
  assert.deepEqual(names(s), ['c', 'd', 'b', 'a']);
  assert.equal(s.tabs[s.active]!.vmUuid, 'b');
  // Drop on the right half of tab 2 when dragging tab 0 → after it.
  assert.equal(dropIndex(0, 2, true), 2);
  assert.equal(dropIndex(0, 2, false), 1);
  assert.equal(dropIndex(3, 1, false), 1);
  assert.equal(dropIndex(3, 1, true), 2);
});

test('next and previous wrap around', () => {
  let s = openAll('a', 'b', 'c');
  s = tabsReducer(s, { type: 'next' });
  assert.equal(s.active, 0);
  s = tabsReducer(s, { type: 'previous' });
  assert.equal(s.active, 2);
  const one = openAll('a');
  assert.equal(tabsReducer(one, { type: 'next' }), one);
});

test('restore drops malformed and duplicate tabs and clamps the active index; save round-trips', () => {
  const s = tabsReducer(EMPTY_TABS, {
    type: 'restore',
    ui: {
      tabs: [
        { poolId: 'p', vmUuid: 'a', protocol: 'rfb' },
        { poolId: 'p', vmUuid: 'a', protocol: 'rfb' },
        { poolId: 'p', vmUuid: 'b', protocol: 'rdp' as 'rfb' },
        { poolId: 'p', vmUuid: 'c', protocol: 'vt100' },
      ],
      activeTab: 7,
    },
  });
  assert.deepEqual(names(s), ['a', 'c']);
  assert.equal(s.active, 0);
  const back = tabsReducer(EMPTY_TABS, { type: 'restore', ui: tabsToUi(tabsReducer(s, { type: 'next' })) });
  assert.deepEqual(back, tabsReducer(s, { type: 'next' }));
});
