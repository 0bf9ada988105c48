/**
 * The console the bridge benchmarks open: one fixed upstream on the bench target's TLS CONNECT port,
 * pinned to the target's fingerprint, with a fixed session id (the target checks neither cookie nor path).
 * Shared by the bridge process (bench-bridge.ts) and the floor relay (bench-node-floor.ts), so both
 * open exactly the same tunnel.
 */
import type { ConsoleSource, ConsoleUpstream } from '../../../electron/core/console-source';

/** The bench console's VM uuid. */
export const BENCH_VM_UUID = 'b0000000-0000-4000-8000-00000000be9c';

/** The upstream and source of the bench console behind `connectPort`, pinned to `fingerprint`. */
export function benchConsole(connectPort: string | undefined, fingerprint: string | undefined): { upstream: ConsoleUpstream; source: ConsoleSource } {
  const upstream: ConsoleUpstream = {
    location: `https://127.0.0.1:${connectPort ?? ''}/console?uuid=bench-console`,
    protocol: 'rfb',
    vmUuid: BENCH_VM_UUID,
    consoleUuid: 'bench-console',
    vmName: 'bench',
  };
  const source: ConsoleSource = {
    resolve: () => Promise.resolve(upstream),
    sessionId: () => 'OpaqueRef:bench',
    refreshSession: () => Promise.resolve('OpaqueRef:bench'),
    pin: () => fingerprint,
  };
  return { upstream, source };
}
