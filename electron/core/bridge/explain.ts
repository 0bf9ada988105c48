/**
 * Why did an open console end, and why did one fail to open? Turns both into a close kind from
 * `shared/console-close.ts` plus a plain message.
 *
 * How an upstream end is explained: the console server closing the stream says nothing by itself, so
 * the console is looked up again — asked of XAPI itself when the source can (`fresh`): the
 * inventory learns of a migration or reboot only with the next event, after the stream has already
 * been cut, and would call a moved console "closed". Gone VM → "the VM stopped"; another console row or location →
 * "moved" (migration or reboot: the UI opens a new ticket); same console, still running, and the user
 * gave no keyboard or mouse input for at least `idleHintMs` → the pool's console idle timeout
 * (`pool.vm_console_idle_timeout` / `host.console_idle_timeout`, which xapi measures on exactly those
 * inputs); otherwise "the console server closed the connection".
 *
 * `isActiveRfbInput` mirrors xapi's idle rule (KeyEvent, PointerEvent, QEMU client messages reset the
 * clock; FramebufferUpdateRequests do not) with a cheap test on each client message: a chunk made only
 * of 10-byte FramebufferUpdateRequests is passive, anything else counts as input.
 */
import { PortholeError, type ErrorCode } from '../../../shared/errors';
import { closeKindFor, type ConsoleCloseKind } from '../../../shared/console-close';
import type { ConsoleSource, ConsoleUpstream } from '../console-source';
import { ConsoleSilentError } from './tunnel';

/** Most time spent looking a console up again to explain its end, ms. */
export const EXPLAIN_TIMEOUT_MS = 3_000;

/** A close kind with its error code and message. */
export interface Explained {
  kind: ConsoleCloseKind;
  code: ErrorCode;
  message: string;
}

/** The close for an error that stopped a console from opening (or ended it). */
export function explainError(error: unknown): Explained {
  if (error instanceof ConsoleSilentError) return { kind: 'silent', code: error.code, message: error.message };
  if (error instanceof PortholeError) return { kind: closeKindFor(error.code), code: error.code, message: error.message };
  return { kind: 'error', code: 'INTERNAL', message: 'The console bridge failed.' };
}

const FBUR_BYTES = 10;
const FBUR_TYPE = 3;

/** True when a client→server RFB chunk holds anything but FramebufferUpdateRequests. */
export function isActiveRfbInput(chunk: Uint8Array): boolean {
  if (chunk.length === 0 || chunk.length % FBUR_BYTES !== 0) return true;
  for (let i = 0; i < chunk.length; i += FBUR_BYTES) if (chunk[i] !== FBUR_TYPE) return true;
  return false;
}

/** The console as XAPI has it now (`fresh`), or the source's own view when it cannot ask or the call fails. */
export async function lookUpNow(source: ConsoleSource, upstream: ConsoleUpstream): Promise<ConsoleUpstream> {
  if (source.fresh === undefined) return source.resolve(upstream.vmUuid, upstream.protocol);
  try {
    return await source.fresh(upstream.vmUuid, upstream.protocol);
  } catch (error) {
    if (error instanceof PortholeError && ['VM_NOT_RUNNING', 'NO_CONSOLE', 'UNKNOWN_VM'].includes(error.code)) throw error;
    return source.resolve(upstream.vmUuid, upstream.protocol);
  }
}

function minutesOrSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 120 ? `${Math.round(s / 60)} min` : `${s} s`;
}

/** Explains why the console server ended an open console (see the header). */
export async function explainUpstreamEnd(
  source: ConsoleSource,
  upstream: ConsoleUpstream,
  quietMs: number,
  idleHintMs: number,
  timeoutMs = EXPLAIN_TIMEOUT_MS,
): Promise<Explained> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const now = await Promise.race([lookUpNow(source, upstream), deadline]);
    if (now !== 'timeout') {
      if (now.location !== upstream.location || now.consoleUuid !== upstream.consoleUuid) {
        return { kind: 'moved', code: 'CONSOLE_ERROR', message: `The console of ${upstream.vmName} moved (migration or reboot).` };
      }
      if (upstream.protocol === 'rfb' && quietMs >= idleHintMs) {
        return {
          kind: 'idle-timeout',
          code: 'CONSOLE_ERROR',
          message: `Console idle timeout: no keyboard or mouse input for ${minutesOrSeconds(quietMs)}.`,
        };
      }
    }
  } catch (error) {
    if (error instanceof PortholeError && error.code === 'VM_NOT_RUNNING') {
      return { kind: 'vm-not-running', code: 'VM_NOT_RUNNING', message: `${upstream.vmName} stopped.` };
    }
    if (error instanceof PortholeError && (error.code === 'NO_CONSOLE' || error.code === 'UNKNOWN_VM')) {
      return { kind: 'no-console', code: error.code, message: error.message };
    }
  } finally {
    clearTimeout(timer);
  }
  return { kind: 'closed', code: 'CONSOLE_ERROR', message: 'The console server closed the connection.' };
}
