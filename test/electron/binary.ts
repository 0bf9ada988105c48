/**
 * Where the Electron binary is, if this machine has one: `PORTHOLE_ELECTRON`, else the one the
 * `electron` package downloaded (its path.txt names the file inside node_modules/electron/dist).
 * Never `require('electron')`: that tries to download the binary when it is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root. */
export const ROOT = join(import.meta.dirname, '..', '..');

/** Absolute path of the Electron executable, or undefined. */
export function electronBinary(): string | undefined {
  const override = process.env.PORTHOLE_ELECTRON;
  if (override !== undefined && override !== '') return existsSync(override) ? override : undefined;
  const pkg = join(ROOT, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const binary = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : undefined;
}

/** The plain-words line printed when the suite cannot run. */
export const SKIPPED_MESSAGE =
  'SKIPPED: the Electron end-to-end suite did not run — no Electron binary on this machine ' +
  '(node_modules/electron/dist is absent; `node node_modules/electron/install.js` downloads it, or set PORTHOLE_ELECTRON=/path/to/electron).';
