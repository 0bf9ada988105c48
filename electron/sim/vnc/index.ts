/**
 * Entry point of the simulator's console servers: one call to start a VM's `rfb` console server of
 * a given kind, one to start its `vt100` text console. `synthetic` is built in; every other kind
 * runs through a launcher the caller injects (test/backends/), so the app bundle holds no launcher.
 */
import { startSyntheticVnc } from './synthetic';
import type { VncBackend, VncBackendOptions, VncKind, VncLaunchers } from './types';

export { startTextConsole } from './text-console';
export { startSyntheticVnc, type SyntheticOptions, type SyntheticVncBackend } from './synthetic';
export { createDuplexPair } from './duplex-pair';
export type { TextConsoleBackend, VncBackend, VncBackendOptions, VncKind, VncLauncher, VncLaunchers } from './types';
export { VNC_KINDS } from './types';

/** Starts a console server of `kind` for one VM; resolves when it accepts connections. */
export function startVncBackend(kind: VncKind, opts: VncBackendOptions, launchers: VncLaunchers = {}): Promise<VncBackend> {
  const launch = launchers[kind] ?? (kind === 'synthetic' ? startSyntheticVnc : undefined);
  if (launch === undefined) {
    return Promise.reject(new Error(`no launcher for ${kind} consoles (the simulator builds in only synthetic; pass launchers from test/backends/)`));
  }
  return launch(opts);
}
