/**
 * Entry point of the simulator's console servers: one call to start a VM's `rfb` console server of
 * a given kind, one to start its `vt100` text console. See types.ts for what each kind is.
 */
import { startQemuVnc } from '../../../test/backends/qemu';
import { startRfb33 } from '../../../test/backends/rfb33';
import { startSyntheticVnc } from './synthetic';
import { startXvnc } from '../../../test/backends/xvnc';
import type { VncBackend, VncBackendOptions, VncKind } from './types';

export { startTextConsole } from './text-console';
export { startSyntheticVnc, type SyntheticOptions, type SyntheticVncBackend } from './synthetic';
export { createDuplexPair } from './duplex-pair';
export type { TextConsoleBackend, VncBackend, VncBackendOptions, VncKind } from './types';
export { VNC_KINDS } from './types';

/** The external programs each kind needs (none for `synthetic`). */
export const VNC_KIND_TOOLS: Readonly<Record<VncKind, readonly string[]>> = {
  qemu: ['qemu-system-x86_64'],
  xvnc: ['Xvnc', 'xterm'],
  rfb33: ['Xvfb', 'xterm', 'x11vnc'],
  synthetic: [],
};

/** Starts a console server of `kind` for one VM; resolves when it accepts connections. */
export function startVncBackend(kind: VncKind, opts: VncBackendOptions): Promise<VncBackend> {
  switch (kind) {
    case 'qemu':
      return startQemuVnc(opts);
    case 'xvnc':
      return startXvnc(opts);
    case 'rfb33':
      return startRfb33(opts);
    case 'synthetic':
      return startSyntheticVnc(opts);
  }
}
