/**
 * The config file: configured pools (with their pinned certificates and, when allowed, an encrypted
 * password), and the UI state. One JSON file, `config.json`, with a `version`.
 *
 * How it works:
 * - Writes are atomic: the JSON goes to a temp file in the same directory, is fsync'ed, then renamed
 *   over `config.json` (rename is atomic on one filesystem) and the directory is fsync'ed. A crash or a
 *   SIGKILL at any moment leaves either the old or the new file, never half of one. Saves are
 *   serialised; the last one wins.
 * - Mode 0600 for the file, 0700 for the directory: the file may hold safeStorage-encrypted passwords.
 * - A file that does not parse, or has an unknown version, is renamed aside to
 *   `config.json.corrupt-<timestamp>` and reported as a warning; the app starts empty but nothing is
 *   silently lost. Leftover temp files from a killed write are removed on a later load.
 *
 * Passwords never appear here in clear: `StoredPool.secret` is an opaque base64 blob from the
 * secret store.
 */
import { mkdir, open, readFile, readdir, rename, unlink, chmod, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { PinnedHost, UiState } from '../../shared/contract';
import { PortholeError } from '../../shared/errors';
import { getLogger } from '../../shared/log';

const log = getLogger('config');

/** Current config file format version. */
export const CONFIG_VERSION = 1;
/** File name inside the config dir. */
export const CONFIG_FILE = 'config.json';
const TEMP_PREFIX = `${CONFIG_FILE}.tmp-`;
/** Temp files older than this are leftovers of a killed write (younger ones may be another process' write in flight), ms. */
const STALE_TEMP_MS = 60_000;

/** A pool as stored. */
export interface StoredPool {
  id: string;
  name: string;
  /** As the user typed it: host, host:port or https URL. */
  address: string;
  username: string;
  /** Certificates pinned for this pool's hosts. */
  pins: PinnedHost[];
  /** Every member address last seen (failover candidates). */
  members?: string[];
  /** Password sealed by the secret store (base64), only when the user asked to remember it and it is allowed. */
  secret?: string;
  /** The user asked to remember the password (stored only when the secret store allows it). */
  remember?: boolean;
  /** The user opted in to storing under Linux basic_text (after the warning). */
  allowPlainTextStorage?: boolean;
}

/** The whole file. */
export interface ConfigData {
  version: typeof CONFIG_VERSION;
  pools: StoredPool[];
  ui: UiState;
}

/** What `load` returns: the data and any warning the UI should show. */
export interface LoadResult {
  data: ConfigData;
  warnings: string[];
}

/** An empty config. */
export function emptyConfig(): ConfigData {
  return { version: CONFIG_VERSION, pools: [], ui: { tabs: [] } };
}

/**
 * The config dir: `PORTHOLE_CONFIG_DIR` when set, else the platform's app-data folder for "Porthole"
 * (the same folder Electron uses as userData, so the CLI and the app share one config).
 */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.PORTHOLE_CONFIG_DIR !== undefined && env.PORTHOLE_CONFIG_DIR !== '') return env.PORTHOLE_CONFIG_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Porthole');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Porthole');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Porthole');
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPin(v: unknown): v is PinnedHost {
  return isObj(v) && typeof v.address === 'string' && typeof v.fingerprint === 'string' && (v.source === 'user' || v.source === 'pool');
}

function isStoredPool(v: unknown): v is StoredPool {
  return (
    isObj(v) &&
    typeof v.id === 'string' &&
    typeof v.name === 'string' &&
    typeof v.address === 'string' &&
    typeof v.username === 'string' &&
    Array.isArray(v.pins) &&
    v.pins.every(isPin) &&
    (v.members === undefined || (Array.isArray(v.members) && v.members.every((m) => typeof m === 'string'))) &&
    (v.secret === undefined || typeof v.secret === 'string')
  );
}

/** Checks a parsed file; returns a reason when it is not a config we understand. */
export function checkConfig(v: unknown): string | undefined {
  if (!isObj(v)) return 'not a JSON object';
  if (v.version !== CONFIG_VERSION) return `unknown version ${JSON.stringify(v.version)}`;
  if (!Array.isArray(v.pools) || !v.pools.every(isStoredPool)) return 'malformed pools';
  if (!isObj(v.ui) || !Array.isArray(v.ui.tabs)) return 'malformed ui state';
  return undefined;
}

/** Loads and saves `config.json` in one directory. */
export class ConfigStore {
  /** The directory holding config.json. */
  readonly dir: string;
  private queue: Promise<void> = Promise.resolve();
  private counter = 0;
  /** The text of the queued write that has not started yet, and that write (later saves join it). */
  private waiting: { text: string; run: Promise<void> } | undefined;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Path of the config file. */
  get path(): string {
    return join(this.dir, CONFIG_FILE);
  }

  /** Reads the config (empty when absent). A corrupt or unknown-version file is moved aside and reported. */
  async load(): Promise<LoadResult> {
    await this.ensureDir();
    await this.removeStaleTemps();
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { data: emptyConfig(), warnings: [] };
      throw new PortholeError('CONFIG_ERROR', `Cannot read ${this.path}: ${(error as Error).message}`);
    }
    let parsed: unknown;
    let problem: string | undefined;
    try {
      parsed = JSON.parse(text);
      problem = checkConfig(parsed);
    } catch (error) {
      problem = `not valid JSON (${(error as Error).message})`;
    }
    if (problem === undefined) return { data: parsed as ConfigData, warnings: [] };
    const aside = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(this.path, aside);
    const warning = `The configuration file was not usable (${problem}). It was kept as ${aside} and Porthole started with an empty configuration.`;
    log.warn('config moved aside', { problem, aside });
    return { data: emptyConfig(), warnings: [warning] };
  }

  /** Files written so far (saves made while a write waits for its turn join it: one write, the newest data). */
  get writes(): number {
    return this.counter;
  }

  /**
   * Writes the config atomically (temp + fsync + rename + dir fsync). Saves are serialised, and those
   * made before the queued write starts are coalesced into it (pinning a 64-host pool is 64 saves).
   * Resolves once a write holding this data (or newer) is on disk.
   */
  save(data: ConfigData): Promise<void> {
    const text = JSON.stringify(data, null, 2) + '\n';
    if (this.waiting !== undefined) {
      this.waiting.text = text;
      return this.waiting.run;
    }
    const waiting: { text: string; run: Promise<void> } = { text, run: Promise.resolve() };
    waiting.run = this.queue.then(() => {
      this.waiting = undefined;
      return this.writeAtomic(waiting.text);
    });
    this.waiting = waiting;
    this.queue = waiting.run.catch(() => undefined);
    return waiting.run;
  }

  private async ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  private async removeStaleTemps(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const full = join(this.dir, name);
      const info = await stat(full).catch(() => undefined);
      if (info !== undefined && Date.now() - info.mtimeMs > STALE_TEMP_MS) await unlink(full).catch(() => undefined);
    }
  }

  private async writeAtomic(text: string): Promise<void> {
    await this.ensureDir();
    const temp = join(this.dir, `${TEMP_PREFIX}${process.pid}-${++this.counter}`);
    try {
      const handle = await open(temp, 'w', 0o600);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await chmod(temp, 0o600);
      await rename(temp, this.path);
      const dir = await open(this.dir, 'r');
      try {
        await dir.sync();
      } catch {
        // Some platforms (Windows) cannot fsync a directory; the rename is still atomic.
      } finally {
        await dir.close();
      }
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw new PortholeError('CONFIG_ERROR', `Cannot write ${this.path}: ${(error as Error).message}`);
    }
  }
}
