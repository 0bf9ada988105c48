/**
 * The benchmark's floor for any Node relay, as its own process: the bridge's own console tunnel
 * (pinned TLS through `openTunnel`, CONNECT, the read ring) relayed to a plain loopback TCP client, with
 * no WebSocket, no HTTP upgrade, no handshake help and no checks of the bytes. The bench reads its CPU
 * per MiB beside the bridge's: what is left between the two is what WebSocket framing and the bridge's
 * own logic cost, and the floor itself is what Node's TLS and the kernel's loopback cost on this machine.
 * argv: the CONNECT port of the bench target and its fingerprint. Prints one JSON line `{ port }` when
 * it listens; each accepted connection gets its own tunnel.
 */
import net from 'node:net';
import { HIGH_WATER_BYTES } from '../../../electron/core/bridge/relay';
import { openTunnel } from '../../../electron/core/bridge/tunnel';
import { benchConsole } from './bench-source';

const [connectPort, fingerprint] = process.argv.slice(2);
const { upstream, source } = benchConsole(connectPort, fingerprint);

const server = net.createServer((client) => {
  client.setNoDelay(true);
  client.pause();
  client.on('error', () => undefined);
  void openTunnel(source, upstream).then(
    (tunnel) => {
      const tls = tunnel.socket;
      tls.on('error', () => undefined);
      tls.on('close', () => client.destroy());
      client.on('close', () => tls.destroy());
      if (tunnel.head.length > 0) client.write(tunnel.head);
      // Like the bridge: one writev per event-loop turn, chunks released once written, TLS paused while
      // the client socket holds more than the bridge's high-water mark.
      let corked = false;
      const uncork = (): void => {
        corked = false;
        client.uncork();
      };
      let paused = false;
      const resume = (): void => {
        paused = false;
        tls.resume();
      };
      tunnel.start((chunk, release) => {
        if (!corked) {
          corked = true;
          client.cork();
          setImmediate(uncork);
        }
        client.write(chunk, release);
        if (client.writableLength >= HIGH_WATER_BYTES && !paused) {
          paused = true;
          tls.pause();
          client.once('drain', resume);
        }
      });
      client.on('data', (d: Buffer) => {
        if (!tls.write(d)) {
          client.pause();
          tls.once('drain', () => client.resume());
        }
      });
      client.resume();
    },
    () => client.destroy(),
  );
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: (server.address() as net.AddressInfo).port }) + '\n'));
process.once('SIGTERM', () => process.exit(0));
