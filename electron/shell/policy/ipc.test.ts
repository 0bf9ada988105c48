import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REQUEST_CHANNELS } from '../../../shared/contract';
import type { RequestChannel } from '../../../shared/contract';
import { PortholeError } from '../../../shared/errors';
import { createInvokeHandler, parseInvokeRequest, refuseSender } from './ipc';
import { toWireError } from '../../../shared/wire';
import type { FrameLike, InvokeEventLike, InvokeHandlerDeps } from './ipc';

const OUR_ID = 7;

function frame(overrides: Partial<FrameLike> = {}): FrameLike {
  return { url: 'app://porthole/index.html', origin: 'app://porthole', parent: null, processId: 3, routingId: 1, ...overrides };
}

function event(senderFrame: FrameLike | null, opts: { id?: number; mainFrame?: FrameLike } = {}): InvokeEventLike {
  return { sender: { id: opts.id ?? OUR_ID, mainFrame: opts.mainFrame ?? frame() }, senderFrame };
}

function setup(local: InvokeHandlerDeps['local'] = {}) {
  const backendCalls: { channel: RequestChannel; arg: unknown }[] = [];
  const reports: { kind: string; detail: Record<string, unknown> }[] = [];
  let answer: (channel: RequestChannel, arg: unknown) => Promise<unknown> = () => Promise.resolve('ok');
  const handler = createInvokeHandler({
    isOurWindow: (id) => id === OUR_ID,
    backend: (channel, arg) => {
      backendCalls.push({ channel, arg });
      return answer(channel, arg);
    },
    local,
    report: (kind, detail) => reports.push({ kind, detail }),
  });
  return { handler, backendCalls, reports, setAnswer: (f: typeof answer) => (answer = f) };
}

test('our main frame on app://porthole is accepted', () => {
  assert.equal(refuseSender(event(frame()), (id) => id === OUR_ID), undefined);
});

test('foreign senders are refused: other window, subframe, other origin, navigated, destroyed frame', () => {
  const ours = (id: number) => id === OUR_ID;
  assert.equal(refuseSender(event(frame(), { id: 99 }), ours), 'not one of our windows');
  assert.equal(refuseSender(event(frame({ parent: frame(), routingId: 5 })), ours), 'not the main frame');
  assert.equal(refuseSender(event(frame({ routingId: 2 })), ours), 'not the main frame');
  assert.equal(refuseSender(event(frame({ processId: 4 })), ours), 'not the main frame');
  assert.equal(refuseSender(event(frame({ origin: 'https://evil.example', url: 'https://evil.example/' })), ours), 'foreign origin');
  // Origin claims ours but URL is elsewhere (and the reverse): both must match.
  assert.equal(refuseSender(event(frame({ url: 'file:///etc/passwd' })), ours), 'foreign origin');
  assert.equal(refuseSender(event(frame({ origin: 'null' })), ours), 'foreign origin');
  assert.equal(refuseSender(event(frame({ url: 'app://porthole.evil/index.html', origin: 'app://porthole.evil' })), ours), 'foreign origin');
  assert.equal(refuseSender(event(null), ours), 'no sender frame');
});

test('a dropped sender never reaches the backend and gets no envelope', async () => {
  const { handler, backendCalls, reports } = setup();
  const evil = event(frame({ origin: 'https://evil.example', url: 'https://evil.example/x' }));
  const reply = await handler(evil, { channel: 'pool:list', arg: undefined });
  assert.equal(reply, undefined);
  assert.equal(backendCalls.length, 0);
  assert.deepEqual(reports, [{ kind: 'dropped', detail: { reason: 'foreign origin', origin: 'https://evil.example' } }]);
});

test('malformed requests and unknown channels answer INVALID_ARGUMENT without calling the backend', async () => {
  const { handler, backendCalls } = setup();
  const bad: unknown[] = [
    undefined,
    null,
    'pool:list',
    ['pool:list'],
    {},
    { channel: 'pool:nuke', arg: {} },
    { channel: 'constructor' },
    { channel: 'pool:list', arg: undefined, extra: 1 },
    { channel: 42 },
  ];
  for (const payload of bad) {
    const reply = await handler(event(frame()), payload);
    assert.deepEqual(reply, { ok: false, error: { code: 'INVALID_ARGUMENT', message: 'Unknown or malformed request.' } }, JSON.stringify(payload));
  }
  assert.equal(backendCalls.length, 0);
});

test('every contract channel is accepted by the parser', () => {
  for (const channel of REQUEST_CHANNELS) assert.deepEqual(parseInvokeRequest({ channel, arg: 1 }), { channel, arg: 1 });
  assert.deepEqual(parseInvokeRequest({ channel: 'pool:list' }), { channel: 'pool:list', arg: undefined });
});

test('values come back in an ok envelope; the argument reaches the backend untouched', async () => {
  const { handler, backendCalls, setAnswer } = setup();
  setAnswer((channel, arg) => Promise.resolve({ echoed: channel, arg }));
  const arg = { id: 'p1', password: 'hunter2' };
  const reply = await handler(event(frame()), { channel: 'pool:connect', arg });
  assert.deepEqual(reply, { ok: true, value: { echoed: 'pool:connect', arg } });
  assert.deepEqual(backendCalls, [{ channel: 'pool:connect', arg }]);
});

test('PortholeErrors keep code and message; other errors become a generic INTERNAL and are reported without args', async () => {
  const { handler, reports, setAnswer } = setup();
  setAnswer(() => Promise.reject(new PortholeError('CERT_CHANGED', 'Certificate of 10.0.0.1 changed.', { old: 'AA' })));
  assert.deepEqual(await handler(event(frame()), { channel: 'pool:connect', arg: { id: 'p', password: 'secret' } }), {
    ok: false,
    error: { code: 'CERT_CHANGED', message: 'Certificate of 10.0.0.1 changed.' },
  });
  const boom = new TypeError('Cannot read properties of undefined (reading "x") at /home/me/secret/path.ts:1');
  setAnswer(() => Promise.reject(boom));
  const reply = await handler(event(frame()), { channel: 'pool:add', arg: { password: 'secret' } });
  assert.deepEqual(reply, { ok: false, error: { code: 'INTERNAL', message: 'Something went wrong inside Porthole.' } });
  assert.equal(JSON.stringify(reply).includes('secret'), false);
  const internal = reports.filter((r) => r.kind === 'internal');
  assert.equal(internal.length, 1);
  assert.equal(JSON.stringify(internal).includes('"password"'), false);
  assert.equal(internal[0]!.detail.channel, 'pool:add');
});

test('a throwing non-Error value is INTERNAL too', () => {
  assert.deepEqual(toWireError('just a string'), { code: 'INTERNAL', message: 'Something went wrong inside Porthole.' });
  assert.deepEqual(toWireError({ code: 'CERT_CHANGED', message: 'forged' }), { code: 'INTERNAL', message: 'Something went wrong inside Porthole.' });
});

test('shell-local channels are answered by the shell with the sender id, never by the backend', async () => {
  const seen: { arg: unknown; id: number }[] = [];
  const { handler, backendCalls } = setup({
    'console:capture': (arg, sender) => {
      seen.push({ arg, id: sender.webContentsId });
    },
    'console:popout': () => {
      throw new PortholeError('INVALID_ARGUMENT', 'vmUuid is not a UUID.');
    },
  });
  assert.deepEqual(await handler(event(frame()), { channel: 'console:capture', arg: { active: true } }), { ok: true, value: undefined });
  assert.deepEqual(seen, [{ arg: { active: true }, id: OUR_ID }]);
  assert.deepEqual(await handler(event(frame()), { channel: 'console:popout', arg: {} }), {
    ok: false,
    error: { code: 'INVALID_ARGUMENT', message: 'vmUuid is not a UUID.' },
  });
  assert.equal(backendCalls.length, 0);
});
