/**
 * XAPI error codes in plain words, for the toasts, the task list and the CLI.
 *
 * `explainXapiError(code, params)` returns one sentence saying what went wrong and, where there is
 * one, what helps; unknown codes get a sentence that still names the code so it can be looked up.
 * Pure code; the parameter positions follow xapi's `api_errors.ml` (e.g. `VM_BAD_POWER_STATE [vm,
 * expected, actual]`, `OTHER_OPERATION_IN_PROGRESS [class, ref, op]`).
 */

const WORDS: Record<string, (p: readonly string[]) => string> = {
  VM_BAD_POWER_STATE: (p) => `The VM is ${p[2] ?? 'in another power state'}; this needs it ${p[1] ?? 'in another state'}.`,
  OTHER_OPERATION_IN_PROGRESS: (p) => `Another operation${p[2] !== undefined && p[2] !== '' ? ` (${p[2].replace(/_/g, ' ')})` : ''} is already running on it; wait for it to finish.`,
  OPERATION_NOT_ALLOWED: (p) => `XAPI does not allow it now${p[0] !== undefined ? `: ${p[0]}` : '.'}`,
  VM_LACKS_FEATURE: () => 'The guest tools (PV drivers) are not running in the VM; use the forced variant instead.',
  VM_LACKS_FEATURE_SHUTDOWN: () => 'The guest tools (PV drivers) are not running in the VM; use Force shut down instead.',
  VM_LACKS_FEATURE_SUSPEND: () => 'The guest tools (PV drivers) are not running in the VM, so it cannot be suspended.',
  VM_MISSING_PV_DRIVERS: () => 'The guest tools (PV drivers) are not installed in the VM; use the forced variant instead.',
  VM_IS_TEMPLATE: () => 'It is a template, not a VM.',
  RBAC_PERMISSION_DENIED: (p) => `Your account's role does not permit it${p[0] !== undefined ? ` (${p[0]})` : ''}.`,
  HOST_OFFLINE: () => 'The host it needs is offline.',
  HOST_NOT_LIVE: () => 'The host it needs is not live (the pool has lost its heartbeat).',
  HOST_DISABLED: () => 'The host is disabled (maintenance mode).',
  NO_HOSTS_AVAILABLE: () => 'No host of the pool is available to run the VM.',
  HOST_NOT_ENOUGH_FREE_MEMORY: () => 'No host has enough free memory for the VM.',
  VM_REQUIRES_SR: () => 'The VM needs a storage repository the host cannot see.',
  VM_REQUIRES_NETWORK: () => 'The VM needs a network the host is not connected to.',
  VM_MIGRATE_FAILED: (p) => `The migration failed${p[3] !== undefined ? `: ${p[3]}` : '.'}`,
  VM_HOST_INCOMPATIBLE_VERSION: () => 'The destination host runs an incompatible version.',
  HOST_CANNOT_ATTACH_NETWORK: () => 'The destination host cannot attach the VM\'s network.',
  TASK_CANCELLED: () => 'It was cancelled.',
  HANDLE_INVALID: (p) => `The ${p[0] ?? 'object'} no longer exists.`,
  UUID_INVALID: (p) => `No ${p[0] ?? 'object'} with that uuid exists.`,
  SESSION_INVALID: () => 'The session with the pool ended; Porthole reconnects.',
  SESSION_AUTHENTICATION_FAILED: () => 'The user name or password was rejected.',
  HOST_IS_SLAVE: (p) => `This host is not the pool master${p[0] !== undefined ? ` (the master is ${p[0]})` : ''}.`,
  HOST_STILL_BOOTING: () => 'The host is still starting its toolstack; try again in a moment.',
  INTERNAL_ERROR: (p) => `XAPI reported an internal error${p[0] !== undefined ? `: ${p[0]}` : '.'}`,
};

/** One sentence for a XAPI error code and its parameters. */
export function explainXapiError(code: string, params: readonly string[] = []): string {
  const words = WORDS[code];
  return words === undefined ? `The pool reported ${code}${params.length > 0 ? ` (${params.join(', ')})` : ''}.` : words(params);
}
