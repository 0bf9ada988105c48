/**
 * The benchmark's console stand-in, run as its own process: a bulk source and an echo, reachable as
 * raw TCP, raw TLS, and TLS behind xapi's CONNECT answer (for the bridge).
 *
 * Protocol after connecting (and, on the CONNECT port, after the 200): the client sends frames
 * `[type u8][length u32 BE][payload]`. `B` + u64 count: the target streams `D` frames of 64 KiB data
 * (respecting backpressure, so its own queue is one frame) until `count` bytes, then an empty `F`.
 * `E` + 16 bytes: answered at once with the same `E` frame, slotted between data frames — so a
 * round trip measured during a bulk transfer shows every queue on the way.
 * Prints one JSON line `{tcpPort, tlsPort, connectPort, fingerprint, pem}` when ready.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { generate } from 'selfsigned';
import { fingerprintFromPem } from '../../../electron/core/tls-pin';

const DATA_FRAME_BYTES = 64 * 1024;
const OK = 'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nCache-Control: no-cache, no-store\r\n\r\n';

function serve(socket: Duplex & { setNoDelay?: (on: boolean) => void }, initial: Buffer): void {
  socket.setNoDelay?.(true);
  socket.on('error', () => undefined);
  const payload = Buffer.alloc(DATA_FRAME_BYTES, 0x5a);
  const dataHead = Buffer.from([0x44, 0, 0, 0, 0]);
  dataHead.writeUInt32BE(DATA_FRAME_BYTES, 1);
  let left = 0;
  let waiting = false;
  const pump = (): void => {
    waiting = false;
    while (left > 0) {
      const n = Math.min(left, DATA_FRAME_BYTES);
      left -= n;
      let ok: boolean;
      if (n === DATA_FRAME_BYTES) {
        socket.write(dataHead);
        ok = socket.write(payload);
      } else {
        const head = Buffer.from([0x44, 0, 0, 0, 0]);
        head.writeUInt32BE(n, 1);
        socket.write(head);
        ok = socket.write(payload.subarray(0, n));
      }
      if (left === 0) socket.write(Buffer.from([0x46, 0, 0, 0, 0]));
      if (!ok) {
        waiting = true;
        socket.once('drain', pump);
        return;
      }
    }
  };
  let buf = initial;
  const onData = (chunk: Buffer): void => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (buf.length >= 5) {
      const len = buf.readUInt32BE(1);
      if (buf.length < 5 + len) break;
      const type = buf[0];
      const body = buf.subarray(5, 5 + len);
      if (type === 0x45) socket.write(buf.subarray(0, 5 + len));
      else if (type === 0x42) {
        left = Number(body.readBigUInt64BE(0));
        if (!waiting) pump();
      }
      buf = buf.subarray(5 + len);
    }
  };
  socket.on('data', onData);
  if (initial.length > 0) onData(Buffer.alloc(0));
}

const pems = await generate([{ name: 'commonName', value: 'bench-target' }], { keySize: 2048 });
// TLS 1.2, as xapi's stunnel speaks it. It also keeps websockify --ssl-target from hanging: its
// blocking recv() is woken by TLS 1.3's post-handshake session tickets and then waits for data forever.
const tlsOptions = { key: pems.private, cert: pems.cert, maxVersion: 'TLSv1.2' as const };
// What each TLS client negotiated, printed once per kind (stderr), so a run shows raw TLS, websockify
// and the bridge compared like with like (same protocol version and cipher).
const seen = new Set<string>();
const noteCipher = (kind: string, s: tls.TLSSocket): void => {
  const line = `bench target: ${kind} client negotiated ${s.getProtocol() ?? '?'} ${s.getCipher().name}`;
  if (seen.has(line)) return;
  seen.add(line);
  process.stderr.write(`${line}\n`);
};
const tcp = net.createServer((s) => serve(s, Buffer.alloc(0)));
const raw = tls.createServer(tlsOptions, (s) => {
  noteCipher('TLS port', s);
  serve(s, Buffer.alloc(0));
});
const connect = tls.createServer(tlsOptions, (s) => {
  noteCipher('CONNECT port', s);
  s.on('error', () => undefined);
  let head = Buffer.alloc(0);
  const onHead = (chunk: Buffer): void => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    s.off('data', onHead);
    s.write(OK);
    serve(s, head.subarray(end + 4));
  };
  s.on('data', onHead);
});
const listen = (server: net.Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
const [tcpPort, tlsPort, connectPort] = [await listen(tcp), await listen(raw), await listen(connect)];
process.stdout.write(JSON.stringify({ tcpPort, tlsPort, connectPort, fingerprint: fingerprintFromPem(pems.cert), pem: pems.cert }) + '\n');
