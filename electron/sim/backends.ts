/**
 * The console servers of one running VM: an RFB server of the chosen kind (from `./vnc`, or an
 * injected launcher) and a text
 * console for `vt100` rows. Started together when the VM starts; either may fail on its own (a failed
 * RFB server means CONNECT answers 404, as xapi does when the VM has no VNC port or socket).
 */
import { getLogger } from '../../shared/log';
import { startTextConsole, startVncBackend } from './vnc';
import type { TextConsoleBackend, VncBackend, VncBackendOptions, VncKind, VncLaunchers } from './vnc/types';

const log = getLogger('sim');

/** What runs behind one VM's console rows. */
export interface VmConsoleServers {
  rfb: VncBackend | undefined;
  text: TextConsoleBackend | undefined;
  /** Stops both (idempotent). */
  stop(): Promise<void>;
}

/** Starts the RFB and text servers of a VM; never rejects (a part that fails is left undefined). */
export async function startConsoleServers(kind: VncKind, opts: VncBackendOptions, launchers: VncLaunchers): Promise<VmConsoleServers> {
  const [rfb, text] = await Promise.all([
    startVncBackend(kind, opts, launchers).catch((e: unknown) => {
      log.warn('VNC server failed to start', { vm: opts.name, kind, error: e });
      return undefined;
    }),
    startTextConsole(opts).catch((e: unknown) => {
      log.warn('text console failed to start', { vm: opts.name, error: e });
      return undefined;
    }),
  ]);
  let stopped: Promise<void> | undefined;
  const servers: VmConsoleServers = {
    rfb,
    text,
    stop() {
      stopped ??= Promise.all([rfb?.stop(), text?.stop()]).then(() => undefined);
      return stopped;
    },
  };
  return servers;
}
