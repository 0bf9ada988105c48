/**
 * Which real components (QEMU, Xvnc, x11vnc, Chromium, websockify) this machine has.
 *
 * Suites that need one call `needTool(...)` and pass the result as `skip` to node:test. Off CI a
 * missing tool skips the suite and says which and why; under `CI=true` a missing tool is a failure,
 * because CI installs them all (.ci/run).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Absolute path of an executable on PATH, or undefined. */
export function which(name: string): string | undefined {
  if (name.startsWith('/')) {
    try {
      accessSync(name, constants.X_OK);
      return name;
    } catch {
      return undefined;
    }
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Returns false when every tool exists, else a skip reason. Throws under CI=true, where a missing tool
 * means .ci/run is broken.
 */
export function needTools(...names: string[]): false | string {
  const missing = names.filter((n) => which(n) === undefined);
  if (missing.length === 0) return false;
  const reason = `needs ${missing.join(', ')} (not installed; .ci/run installs them)`;
  if (process.env.CI === 'true') throw new Error(`CI is missing required tools: ${reason}`);
  process.stderr.write(`SKIP suite: ${reason}\n`);
  return reason;
}
