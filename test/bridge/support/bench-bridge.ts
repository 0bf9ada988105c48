/**
 * The Porthole bridge as its own process for the benchmark (so its RSS and CPU are its own, like
 * websockify's). argv: the CONNECT port of the bench target and its fingerprint. Over IPC, each
 * `{ op: 'ticket' }` is answered with `{ url }`: a fresh one-time console URL whose upstream is the
 * target's TLS CONNECT port, through the real tunnel code (pinned TLS, CONNECT, answer parsing).
 */
import { createBridge } from '../../../electron/core/bridge';
import { BENCH_VM_UUID, benchConsole } from './bench-source';

const [connectPort, fingerprint, origin] = process.argv.slice(2);
const { source } = benchConsole(connectPort, fingerprint);
// Knobs for A/B runs of the relay's tuning (defaults otherwise).
const env = process.env;
const bridge = await createBridge({
  allowedOrigins: [origin ?? 'app://porthole'],
  ...(env.BRIDGE_HWM === undefined ? {} : { highWaterBytes: Number(env.BRIDGE_HWM) }),
  ...(env.BRIDGE_BATCH === '0' ? { batchWrites: false } : {}),
  ...(env.BRIDGE_WINDOW === undefined ? {} : { sendWindowBytes: Number(env.BRIDGE_WINDOW) }),
});
process.on('message', (msg: { op?: string }) => {
  if (msg.op === 'ticket') {
    void bridge.openConsole(source, { poolId: 'bench', vmUuid: BENCH_VM_UUID, protocol: 'rfb' }).then((t) => process.send?.({ url: t.url }));
  } else if (msg.op === 'stop') {
    void bridge.close().then(() => process.exit(0));
  }
});
// A clean exit on SIGTERM (how the bench stops it), so `--cpu-prof` in BRIDGE_NODE_FLAGS gets written.
process.once('SIGTERM', () => void bridge.close().then(() => process.exit(0)));
process.send?.({ ready: true });
