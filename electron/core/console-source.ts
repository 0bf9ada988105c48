/**
 * What the console bridge needs from a connected pool, and its implementation over a `PoolSession`.
 *
 * The bridge resolves a VM's console at open time (console rows are recreated on migration and
 * reboot, so a cached location goes stale), sends the session id only in the `Cookie` header over a
 * pinned TLS connection to the host in `location`, and re-logs in once after a 401.
 */
import { PortholeError } from '../../shared/errors';
import type { PoolSession } from './pools/session';

/** Where one console lives, as the pool reported it. */
export interface ConsoleUpstream {
  /** `https://host[:port]/console?uuid=…` (domU) or `…?ref=OpaqueRef:…` (dom0). */
  location: string;
  protocol: 'rfb' | 'vt100';
  vmUuid: string;
  consoleUuid: string;
  vmName: string;
}

/** What the bridge needs from a connected pool. */
export interface ConsoleSource {
  /** Current console of the VM (first of that protocol), or a PortholeError VM_NOT_RUNNING / NO_CONSOLE / UNKNOWN_VM. */
  resolve(vmUuid: string, protocol: 'rfb' | 'vt100'): Promise<ConsoleUpstream>;
  /** The pool's current XAPI session id (secret: never log it). */
  sessionId(): string;
  /** Re-login once (after a console 401) and return the new session id. */
  refreshSession(): Promise<string>;
  /** Pinned fingerprint for a host address (and port). */
  pin(host: string, port: number): string | undefined;
}

/** The console source of one pool session. */
export function sessionConsoleSource(session: PoolSession, pin: (host: string, port: number) => string | undefined): ConsoleSource {
  return {
    resolve(vmUuid, protocol) {
      if (session.state.kind !== 'connected') return Promise.reject(new PortholeError('NOT_CONNECTED'));
      const hit = session.inventory.resolveConsole(vmUuid, protocol);
      if (typeof hit === 'string') {
        const message =
          hit === 'UNKNOWN_VM' ? 'No such VM in this pool.' : hit === 'VM_NOT_RUNNING' ? 'The VM is not running.' : `The VM has no ${protocol === 'rfb' ? 'graphical' : 'text'} console.`;
        return Promise.reject(new PortholeError(hit, message));
      }
      return Promise.resolve({ location: hit.location, protocol: hit.protocol, vmUuid: hit.vmUuid, consoleUuid: hit.consoleUuid, vmName: hit.vmName });
    },
    sessionId: () => session.sessionId(),
    refreshSession: () => session.refreshSession(),
    pin,
  };
}
