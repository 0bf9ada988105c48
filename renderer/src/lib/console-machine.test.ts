import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PoolSummary } from '../../../shared/contract';
import type { VmNode } from '../../../shared/inventory';
import type { ConsoleEvent, ConsoleState } from './console-machine';
import {
  LOCAL_NETWORK_BLOCKED_MESSAGE,
  LOCAL_NETWORK_PERMISSIONS,
  localNetworkBlocked,
  INITIAL_CONSOLE_STATE, MAX_AUTO_RETRIES, consoleTarget, consoleTransition, dataState, describeClose, planForTarget, targetKey,
} from './console-machine';

function run(state: ConsoleState, ...events: ConsoleEvent[]): ConsoleState | undefined {
  let s: ConsoleState | undefined = state;
  for (const e of events) {
    if (s === undefined) return undefined;
    s = consoleTransition(s, e);
  }
  return s;
}

test('a connection walks ticket → socket → handshake → connected', () => {
  const s = run(INITIAL_CONSOLE_STATE, { type: 'connect', attempt: 0 }, { type: 'ticket' }, { type: 'socket-open' }, { type: 'connected' });
  assert.deepEqual(s, { kind: 'connected', attempt: 0 });
  assert.equal(dataState(s), 'connected');
  assert.equal(dataState(INITIAL_CONSOLE_STATE), 'connecting');
});

test('late callbacks from an abandoned attempt are illegal', () => {
  assert.equal(consoleTransition(INITIAL_CONSOLE_STATE, { type: 'ticket' }), undefined);
  assert.equal(consoleTransition({ kind: 'not-running', powerState: 'Halted' }, { type: 'connected' }), undefined);
  assert.equal(consoleTransition({ kind: 'not-running', powerState: 'Halted' }, { type: 'failed', message: 'x', code: undefined }), undefined);
  assert.equal(run(INITIAL_CONSOLE_STATE, { type: 'connect', attempt: 0 }, { type: 'connected' }), undefined);
});

test('failures retry with growing delays, then stop; some codes never retry', () => {
  let s: ConsoleState = INITIAL_CONSOLE_STATE;
  const delays: (number | undefined)[] = [];
  for (let i = 0; i <= MAX_AUTO_RETRIES; i++) {
    const attempt = s.kind === 'disconnected' ? s.attempt : 0;
    s = run(s, { type: 'connect', attempt }, { type: 'failed', message: 'lost', code: 'CONSOLE_ERROR' })!;
    assert.equal(s.kind, 'disconnected');
    delays.push(s.kind === 'disconnected' ? s.retryInMs : -1);
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, undefined]);
  const forbidden = run(INITIAL_CONSOLE_STATE, { type: 'connect', attempt: 0 }, { type: 'failed', message: 'no', code: 'CONSOLE_FORBIDDEN' });
  assert.equal(forbidden?.kind === 'disconnected' ? forbidden.retryInMs : -1, undefined);
  // A drop after a working session starts counting again.
  const dropped = run({ kind: 'connected', attempt: 5 }, { type: 'failed', message: 'x', code: undefined });
  assert.deepEqual(dropped, { kind: 'disconnected', message: 'x', code: undefined, attempt: 1, retryInMs: 1000 });
});

const connected: PoolSummary = { id: 'p', name: 'Lab', address: 'a', username: 'u', password: 'memory', state: { kind: 'connected', master: 'a' }, demo: false };
const vm: VmNode = {
  kind: 'vm', id: 'p/r', poolId: 'p', ref: 'r', uuid: 'u', name: 'web', description: '', powerState: 'Running', hostId: 'p/h',
  tags: [], allowedActions: [], consoles: [{ uuid: 'c1', protocol: 'rfb' }, { uuid: 't1', protocol: 'vt100' }],
};

test('target follows the pool, the power state and the console uuid', () => {
  assert.equal(consoleTarget({ ...connected, state: { kind: 'connecting', address: 'a' } }, vm, false, 'rfb', true).kind, 'pool-offline');
  assert.deepEqual(consoleTarget(connected, vm, false, 'rfb', true), { kind: 'ready', consoleUuid: 'c1' });
  assert.deepEqual(consoleTarget(connected, vm, false, 'vt100', true), { kind: 'ready', consoleUuid: 't1' });
  assert.deepEqual(consoleTarget(connected, { ...vm, powerState: 'Halted', consoles: [] }, false, 'rfb', true), { kind: 'not-running', powerState: 'Halted' });
  assert.deepEqual(consoleTarget(connected, { ...vm, consoles: [] }, false, 'rfb', true), { kind: 'no-console' });
  assert.deepEqual(consoleTarget(connected, undefined, false, 'rfb', true), { kind: 'gone' });
  assert.equal(consoleTarget(connected, undefined, false, 'rfb', false).kind, 'pool-offline');
  assert.deepEqual(consoleTarget(connected, undefined, true, 'rfb', true), { kind: 'ready', consoleUuid: undefined });
});

test('plans: keep a live session, reattach on a new console uuid, stop when the VM halts', () => {
  const live: ConsoleState = { kind: 'connected', attempt: 0 };
  assert.deepEqual(planForTarget(live, 'c1', { kind: 'ready', consoleUuid: 'c1' }), { kind: 'keep' });
  assert.deepEqual(planForTarget(live, 'c1', { kind: 'ready', consoleUuid: 'c2' }), { kind: 'connect' });
  assert.deepEqual(planForTarget(live, 'c1', { kind: 'no-console' }), { kind: 'keep' });
  assert.deepEqual(planForTarget(live, 'c1', { kind: 'pool-offline', detail: 'x' }), { kind: 'keep' });
  assert.deepEqual(planForTarget(live, 'c1', { kind: 'not-running', powerState: 'Halted' }), { kind: 'not-running', powerState: 'Halted' });
  const trying: ConsoleState = { kind: 'connecting', step: 'ticket', attempt: 1 };
  assert.deepEqual(planForTarget(trying, 'c1', { kind: 'pool-offline', detail: 'Lab is disconnected.' }), { kind: 'wait', detail: 'Lab is disconnected.' });
  const stopped: ConsoleState = { kind: 'not-running', powerState: 'Halted' };
  // A running VM without a console row says so plainly instead of spinning (it attaches when one appears).
  const plan = planForTarget(stopped, 'c1', { kind: 'no-console' });
  assert.equal(plan.kind, 'unavailable');
  assert.equal(dataState(consoleTransition(stopped, { type: 'unavailable', message: plan.kind === 'unavailable' ? plan.message : '' }) ?? stopped), 'no-console');
  assert.deepEqual(planForTarget(stopped, 'c1', { kind: 'ready', consoleUuid: 'c3' }), { kind: 'connect' });
  const failed: ConsoleState = { kind: 'disconnected', message: 'x', code: undefined, attempt: 1, retryInMs: 1000 };
  assert.deepEqual(planForTarget(failed, 'c1', { kind: 'ready', consoleUuid: 'c1' }), { kind: 'connect' });
  assert.notEqual(targetKey({ kind: 'ready', consoleUuid: 'c1' }), targetKey({ kind: 'ready', consoleUuid: 'c2' }));
});

test('close reasons: the bridge JSON decides message and retry; plain WebSocket codes get words', () => {
  assert.deepEqual(describeClose(4003, JSON.stringify({ code: 'CONSOLE_FORBIDDEN', message: 'Needs pool-admin' })), { message: 'Needs pool-admin', code: 'CONSOLE_FORBIDDEN', retry: 'policy' });
  assert.equal(describeClose(4012, JSON.stringify({ code: 'CONSOLE_ERROR', message: 'Console replaced' })).retry, 'now');
  const idle = describeClose(4011, JSON.stringify({ code: 'CONSOLE_ERROR', message: 'Closed by the server' }));
  assert.equal(idle.retry, 'never');
  assert.match(idle.message, /without input/);
  const silent = describeClose(4014, JSON.stringify({ code: 'CONSOLE_ERROR', message: 'The console host accepted the connection but sent no screen data within 10 s.' }));
  assert.deepEqual(silent, { message: 'The console host accepted the connection but sent no screen data within 10 s.', code: 'CONSOLE_ERROR', retry: 'policy' });
  assert.equal(describeClose(1006, '').message, 'The connection to the console was lost.');
  assert.equal(describeClose(1011, '').message, 'The console connection closed (code 1011).');
});

test('retry hints: a replaced console retries at once, an idle timeout never, forbidden never', () => {
  const start = run(INITIAL_CONSOLE_STATE, { type: 'connect', attempt: 0 }, { type: 'ticket' }, { type: 'socket-open' }, { type: 'connected' })!;
  const moved = consoleTransition(start, { type: 'failed', message: 'replaced', code: 'CONSOLE_ERROR', retry: 'now' });
  assert.equal(moved?.kind === 'disconnected' ? moved.retryInMs : -1, 0);
  const idle = consoleTransition(start, { type: 'failed', message: 'idle', code: 'CONSOLE_ERROR', retry: 'never' });
  assert.equal(idle?.kind === 'disconnected' ? idle.retryInMs : -1, undefined);
  const forbidden = consoleTransition(start, { type: 'failed', message: 'no', code: 'CONSOLE_FORBIDDEN', retry: 'policy' });
  assert.equal(forbidden?.kind === 'disconnected' ? forbidden.retryInMs : -1, undefined);
});

test('Local Network Access: a denied name means blocked; prompt, granted or unknown names do not', () => {
  // What Chromium 156 answers after a public page's socket to loopback was refused.
  assert.equal(localNetworkBlocked(['denied', 'denied', 'prompt']), true);
  // A local page (the harness on 127.0.0.1): nothing was refused.
  assert.equal(localNetworkBlocked(['prompt', 'prompt', 'prompt']), false);
  // Electron with the permission granted; a browser without these names.
  assert.equal(localNetworkBlocked(['granted', 'granted', undefined]), false);
  assert.equal(localNetworkBlocked([undefined, undefined, undefined]), false);
  assert.deepEqual([...LOCAL_NETWORK_PERMISSIONS].sort(), ['local-network', 'local-network-access', 'loopback-network']);
  assert.match(LOCAL_NETWORK_BLOCKED_MESSAGE, /Local Network Access/);
});
