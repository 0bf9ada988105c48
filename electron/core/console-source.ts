/**
 * What the console bridge needs from a connected pool, and its implementation over a `PoolSession`.
 *
 * The bridge resolves a VM's console at open time (console rows are recreated on migration and
 * reboot, so a cached location goes stale), sends the session id only in the `Cookie` header over a
 * pinned TLS connection to the host in `location`, and re-logs in once after a 401.
 *
 * Two ways to look a console up: `resolve` reads the inventory (instant; what opening a console
 * uses), `fresh` asks XAPI itself. The inventory follows `event.from`, so right after a migration or
 * a reboot it still holds the old console row for a moment: when a console stream ends, the bridge
 * asks `fresh`, so "the console moved" is not mistaken for "the console server closed it".
 */
import { PortholeError } from '../../shared/errors';
import type { PoolSession } from './pools/session';
import type { ConsoleProtocol } from '../../shared/contract';
import { powerStateOf } from '../../shared/inventory-build';

/** Where one console lives, as the pool reported it. */
export interface ConsoleUpstream {
  /** `https://host[:port]/console?uuid=…` (domU) or `…?ref=OpaqueRef:…` (dom0). */
  location: string;
  protocol: ConsoleProtocol;
  vmUuid: string;
  consoleUuid: string;
  vmName: string;
}

/** What the bridge needs from a connected pool. */
export interface ConsoleSource {
  /** Current console of the VM (first of that protocol), or a PortholeError VM_NOT_RUNNING / NO_CONSOLE / UNKNOWN_VM. */
  resolve(vmUuid: string, protocol: ConsoleProtocol): Promise<ConsoleUpstream>;
  /** Like `resolve`, but asked of XAPI now rather than read from the inventory (which lags events). */
  fresh?(vmUuid: string, protocol: ConsoleProtocol): Promise<ConsoleUpstream>;
  /** The pool's current XAPI session id (secret: never log it). */
  sessionId(): string;
  /** Re-login once (after a console 401) and return the new session id. */
  refreshSession(): Promise<string>;
  /** Pinned fingerprint for a host address (and port). */
  pin(host: string, port: number): string | undefined;
}

function lookupError(hit: 'UNKNOWN_VM' | 'VM_NOT_RUNNING' | 'NO_CONSOLE', protocol: ConsoleProtocol): PortholeError {
  const message =
    hit === 'UNKNOWN_VM' ? 'No such VM in this pool.' : hit === 'VM_NOT_RUNNING' ? 'The VM is not running.' : `The VM has no ${protocol === 'rfb' ? 'graphical' : 'text'} console.`;
  return new PortholeError(hit, message);
}

const text = (rec: unknown, field: string): string => {
  const v = typeof rec === 'object' && rec !== null ? (rec as Record<string, unknown>)[field] : undefined;
  return typeof v === 'string' ? v : '';
};

/** The VM's console as XAPI has it now: VM.get_by_uuid, VM.get_record, then console.get_record per row. */
async function askXapi(session: PoolSession, vmUuid: string, protocol: ConsoleProtocol): Promise<ConsoleUpstream> {
  const vmRef = await session.call('VM.get_by_uuid', vmUuid);
  if (typeof vmRef !== 'string') throw lookupError('UNKNOWN_VM', protocol);
  const vm = await session.call('VM.get_record', vmRef);
  const power = powerStateOf(text(vm, 'power_state'));
  if (power !== 'Running' && power !== 'Paused') throw lookupError('VM_NOT_RUNNING', protocol);
  const consoles = typeof vm === 'object' && vm !== null ? (vm as Record<string, unknown>).consoles : undefined;
  for (const cref of Array.isArray(consoles) ? consoles : []) {
    if (typeof cref !== 'string') continue;
    const c = await session.call('console.get_record', cref);
    if (text(c, 'protocol') === protocol && text(c, 'location') !== '') {
      return { location: text(c, 'location'), protocol, vmUuid, consoleUuid: text(c, 'uuid'), vmName: text(vm, 'name_label') };
    }
  }
  throw lookupError('NO_CONSOLE', protocol);
}

/** The console source of one pool session. */
export function sessionConsoleSource(session: PoolSession, pin: (host: string, port: number) => string | undefined): ConsoleSource {
  return {
    async resolve(vmUuid, protocol) {
      if (session.state.kind !== 'connected') throw new PortholeError('NOT_CONNECTED');
      // The tree is on screen before the members' certificates are pinned: a console on a member waits for its pin.
      await session.membersPinned();
      if (session.state.kind !== 'connected') throw new PortholeError('NOT_CONNECTED');
      const hit = session.inventory.resolveConsole(vmUuid, protocol);
      if (typeof hit === 'string') throw lookupError(hit, protocol);
      return { location: hit.location, protocol: hit.protocol, vmUuid: hit.vmUuid, consoleUuid: hit.consoleUuid, vmName: hit.vmName };
    },
    fresh: (vmUuid, protocol) => askXapi(session, vmUuid, protocol),
    sessionId: () => session.sessionId(),
    refreshSession: () => session.refreshSession(),
    pin,
  };
}
