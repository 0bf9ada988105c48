// The harness client against a real WebSocket server (the `ws` package) speaking the wire protocol
// written in harness-client.ts: replies, errors, pushes, queued requests and reconnect after a drop.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { PortholeError } from '../../../shared/errors';
import type { HarnessClient, HarnessStatus } from './harness-client';
import { createHarnessClient } from './harness-client';

interface Frame {
  id: number;
  channel: string;
  arg?: unknown;
}

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
await new Promise<void>((resolve) => server.once('listening', resolve));
const port = (server.address() as AddressInfo).port;
const frames: Frame[] = [];
let connections = 0;
server.on('connection', (socket, request) => {
  connections++;
  if (!request.url?.includes('token=good')) {
    socket.close(4401, 'bad token');
    return;
  }
  socket.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as Frame;
    frames.push(frame);
    if (frame.channel === 'pool:list') socket.send(JSON.stringify({ id: frame.id, result: { ok: true, value: [] } }));
    else if (frame.channel === 'pool:remove') socket.send(JSON.stringify({ id: frame.id, result: { ok: false, error: { code: 'UNKNOWN_POOL', message: 'No pool x.' } } }));
    else if (frame.channel === 'demo:start') {
      socket.send(JSON.stringify({ event: 'pool:state', payload: { id: 'd', state: { kind: 'connecting', address: 'demo' } } }));
      socket.send(JSON.stringify({ id: frame.id, result: { ok: true, value: { id: 'd' } } }));
    } else if (frame.channel === 'ui:get') socket.terminate();
  });
});

const clients: HarnessClient[] = [];
after(async () => {
  for (const c of clients) c.close();
  for (const s of server.clients) s.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function client(token: string): HarnessClient {
  const c = createHarnessClient({
    url: `ws://127.0.0.1:${port}/api?token=${token}`,
    createSocket: (url) => new WebSocket(url),
    backoffBaseMs: 20,
    backoffMaxMs: 50,
  });
  clients.push(c);
  return c;
}

function waitStatus(c: HarnessClient, kind: HarnessStatus['kind']): Promise<void> {
  return new Promise((resolve) => {
    if (c.status().kind === kind) return resolve();
    const off = c.onStatus((s) => {
      if (s.kind === kind) {
        off();
        resolve();
      }
    });
  });
}

test('requests made before the socket opens are queued, sent, and unwrapped', async () => {
  const c = client('good');
  const pools = await c.invoke('pool:list', undefined);
  assert.deepEqual(pools, []);
  const sent = frames.find((f) => f.channel === 'pool:list');
  assert.ok(sent !== undefined && typeof sent.id === 'number' && !('arg' in sent));
});

test('error replies become thrown errors with the wire code and message', async () => {
  const c = client('good');
  await assert.rejects(c.invoke('pool:remove', { id: 'x' }), (error: unknown) => {
    assert.ok(error instanceof PortholeError);
    assert.equal(error.code, 'UNKNOWN_POOL');
    assert.equal(error.message, 'No pool x.');
    return true;
  });
  assert.deepEqual(frames.find((f) => f.channel === 'pool:remove')?.arg, { id: 'x' });
});

test('push events reach listeners until they unsubscribe', async () => {
  const c = client('good');
  const seen: string[] = [];
  const off = c.on('pool:state', (p) => seen.push(`${p.id}:${p.state.kind}`));
  await c.invoke('demo:start', undefined);
  assert.deepEqual(seen, ['d:connecting']);
  off();
  await c.invoke('demo:start', undefined);
  assert.deepEqual(seen, ['d:connecting']);
});

test('a dropped socket fails requests in flight, reconnects by itself and tells reopen listeners', async () => {
  const c = client('good');
  await c.invoke('pool:list', undefined);
  let reopened = 0;
  c.onReopen(() => reopened++);
  const statuses: string[] = [];
  c.onStatus((s) => statuses.push(s.kind));
  await assert.rejects(c.invoke('ui:get', undefined), (error: unknown) => error instanceof PortholeError && error.code === 'INTERNAL');
  await waitStatus(c, 'open');
  assert.equal(reopened, 1);
  assert.deepEqual(statuses.slice(0, 3), ['waiting', 'connecting', 'open']);
  assert.deepEqual(await c.invoke('pool:list', undefined), []);
});

test('a refused token keeps retrying with the close reason shown', async () => {
  const before = connections;
  const c = client('bad');
  const reason = await new Promise<string>((resolve) => {
    const off = c.onStatus((s) => {
      if (s.kind === 'waiting' && s.attempt >= 2) {
        off();
        resolve(s.reason);
      }
    });
  });
  assert.equal(reason, 'bad token');
  assert.ok(connections - before >= 2);
  c.close();
  assert.equal(c.status().kind, 'closed');
  await assert.rejects(c.invoke('pool:list', undefined));
});
