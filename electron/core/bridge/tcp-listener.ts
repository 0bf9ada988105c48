/**
 * External viewer mode: a plain TCP listener whose every connection gets a fresh console tunnel, so
 * TigerVNC, Remmina or any VNC viewer (or a terminal, for vt100) can open a Porthole console.
 *
 * How it works: each accepted socket is paused while the console is looked up again and the tunnel is
 * opened (tunnel.ts, with all its refusal handling); then the bytes that came with the 200 are written
 * and both directions flow with backpressure (reading one side stops while the other cannot take more).
 * When the tunnel cannot be opened, an RFB viewer is told why the way RFB 3.3 allows — the server
 * greeting, then security type 0 with the reason — so the viewer shows the message; a vt100 client gets
 * the message as text. An RFB console that answers 200 and then sends no greeting within
 * `firstBytesTimeoutMs` is treated the same way (the viewer is told the host went silent, as the page is
 * with close 4014); a text console may rightly stay quiet until a key is pressed, so it gets no bound.
 * The listener itself binds to whatever address the caller gives: the CLI only
 * passes a non-loopback one when the user asked for it explicitly.
 */
import net from 'node:net';
import { getLogger } from '../../../shared/log';
import { explainError } from './explain';
import { ConsoleSilentError, openTunnel, type TunnelOptions } from './tunnel';
import { FIRST_BYTES_TIMEOUT_MS } from './relay';
import type { ConsoleSource } from '../console-source';
import type { ConsoleProtocol } from '../../../shared/contract';

const log = getLogger('bridge');

/** Time a failing RFB viewer gets to send its version before it is told the reason, ms. */
export const FAILURE_GREETING_TIMEOUT_MS = 5_000;

/** Options of `listenTcp`. */
export interface TcpListenOptions {
  host: string;
  port: number;
  source: ConsoleSource;
  vmUuid: string;
  protocol: ConsoleProtocol;
  tunnel?: TunnelOptions;
  /** How long an RFB console may stay silent after its 200 before the viewer is told, ms. */
  firstBytesTimeoutMs?: number;
  /** Each connection's outcome, for the CLI's log lines. */
  onEvent?: (event: { kind: 'open' | 'closed' | 'failed'; peer: string; message?: string }) => void;
}

/** A running listener. */
export interface TcpConsoleListener {
  readonly host: string;
  readonly port: number;
  /** Viewer connections currently open. */
  connections(): number;
  close(): Promise<void>;
}

/** Tells an RFB viewer why there is no console: RFB 3.3 greeting, then security type 0 and the reason. */
function refuseRfb(client: net.Socket, message: string): void {
  const reason = Buffer.from(message, 'utf8');
  const failure = Buffer.alloc(8 + reason.length);
  failure.writeUInt32BE(0, 0);
  failure.writeUInt32BE(reason.length, 4);
  reason.copy(failure, 8);
  client.write('RFB 003.003\n');
  let got = 0;
  const timer = setTimeout(() => client.end(failure), FAILURE_GREETING_TIMEOUT_MS);
  client.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= 12) {
      clearTimeout(timer);
      client.end(failure);
    }
  });
  client.once('close', () => clearTimeout(timer));
  client.resume();
}

/** Listens on host:port and relays each connection to a new tunnel for the VM's console. */
export async function listenTcp(opts: TcpListenOptions): Promise<TcpConsoleListener> {
  const clients = new Set<net.Socket>();
  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    const peer = `${client.remoteAddress ?? '?'}:${client.remotePort ?? 0}`;
    clients.add(client);
    client.setNoDelay(true);
    client.on('error', (error) => log.debug('viewer socket error', { error }));
    const abort = new AbortController();
    client.once('close', () => {
      clients.delete(client);
      abort.abort();
    });
    void (async () => {
      try {
        const upstream = await opts.source.resolve(opts.vmUuid, opts.protocol);
        const tunnel = await openTunnel(opts.source, upstream, { ...opts.tunnel, signal: abort.signal });
        if (client.destroyed) {
          tunnel.socket.destroy();
          return;
        }
        const tls = tunnel.socket;
        const onTlsClose = (): void => {
          client.destroy();
        };
        tls.once('close', onTlsClose);
        client.once('close', () => tls.destroy());
        if (tunnel.head.length > 0) client.write(tunnel.head);
        let silent: NodeJS.Timeout | undefined;
        if (tunnel.head.length === 0 && opts.protocol === 'rfb') {
          const ms = opts.firstBytesTimeoutMs ?? FIRST_BYTES_TIMEOUT_MS;
          silent = setTimeout(() => {
            // Nothing reached the viewer yet, so it can still be given a greeting and the reason.
            tls.off('close', onTlsClose);
            client.unpipe(tls);
            tls.destroy();
            const why = explainError(new ConsoleSilentError(`The console host accepted the connection but sent no screen data within ${ms / 1000} s.`));
            opts.onEvent?.({ kind: 'failed', peer, message: why.message });
            refuseRfb(client, why.message);
          }, ms);
          client.once('close', () => clearTimeout(silent));
        }
        // Console → viewer: stop reading TLS while the viewer's socket is full (chunks are released
        // once written, see read-ring.ts); viewer → console: pipe() does the same the other way.
        let waiting = false;
        tunnel.start((chunk, release) => {
          if (silent !== undefined) {
            clearTimeout(silent);
            silent = undefined;
          }
          if (!client.write(chunk, release) && !waiting) {
            waiting = true;
            tls.pause();
            client.once('drain', () => {
              waiting = false;
              tls.resume();
            });
          }
        });
        client.pipe(tls);
        client.resume();
        opts.onEvent?.({ kind: 'open', peer });
        client.once('close', () => opts.onEvent?.({ kind: 'closed', peer }));
      } catch (error) {
        if (client.destroyed) return;
        const why = explainError(error);
        opts.onEvent?.({ kind: 'failed', peer, message: why.message });
        if (opts.protocol === 'rfb') refuseRfb(client, why.message);
        else client.end(`\r\nporthole: ${why.message}\r\n`);
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  return {
    host: address.address,
    port: address.port,
    connections: () => clients.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of clients) c.destroy();
        server.close(() => resolve());
      }),
  };
}
