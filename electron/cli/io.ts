/**
 * What every CLI subcommand gets (streams and environment, so tests can drive them in-process), the
 * table of distinct exit codes per error code, and the wait for SIGINT/SIGTERM of the serving commands.
 */
import type { ErrorCode } from '../../shared/errors';

/** Streams and environment of one CLI run. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** Exit status per error: distinct for each case an admin's script may want to tell apart. */
export const EXIT_CODES: Partial<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 2,
  WRONG_PASSWORD: 10,
  NEEDS_PASSWORD: 11,
  CERT_UNTRUSTED: 12,
  CERT_CHANGED: 13,
  HOST_UNREACHABLE: 14,
  HOST_STILL_BOOTING: 15,
  UNKNOWN_POOL: 16,
  UNKNOWN_VM: 17,
  OPERATION_NOT_ALLOWED: 18,
  XAPI_ERROR: 19,
  VM_NOT_RUNNING: 20,
  NO_CONSOLE: 21,
  CONSOLE_UNAUTHORIZED: 22,
  CONSOLE_FORBIDDEN: 23,
  CONSOLE_NOT_FOUND: 24,
  CONSOLE_IN_USE: 25,
  CONSOLE_ERROR: 26,
  CONFIG_ERROR: 27,
  PERMISSION_DENIED: 28,
};

/** Exit status for an error code (1 for anything without its own). */
export function exitCodeFor(code: ErrorCode): number {
  return EXIT_CODES[code] ?? 1;
}

/** Resolves at the first SIGINT or SIGTERM (then listens for neither), for commands that serve until stopped. */
export function untilStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
