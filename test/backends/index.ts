/**
 * The console-server launchers that start external programs (QEMU, TigerVNC's Xvnc, x11vnc), for
 * tests, benchmarks and `npm run sim`. They live outside electron/ so the app never bundles them; the
 * simulator gets them through `SimulatorOptions.launchers`.
 */
import { startSyntheticVnc } from '../../electron/sim/vnc/index';
import type { VncKind, VncLauncher } from '../../electron/sim/vnc/types';
import { startQemuVnc } from './qemu';
import { startRfb33 } from './rfb33';
import { startXvnc } from './xvnc';

/** A launcher for every console kind (synthetic included, so a chooser may pick any). */
export const LAUNCHERS: Readonly<Record<VncKind, VncLauncher>> = {
  qemu: startQemuVnc,
  xvnc: startXvnc,
  rfb33: startRfb33,
  synthetic: startSyntheticVnc,
};

/** The external programs each kind needs (none for `synthetic`). */
export const VNC_KIND_TOOLS: Readonly<Record<VncKind, readonly string[]>> = {
  qemu: ['qemu-system-x86_64'],
  xvnc: ['Xvnc', 'xterm'],
  rfb33: ['Xvfb', 'xterm', 'x11vnc'],
  synthetic: [],
};
