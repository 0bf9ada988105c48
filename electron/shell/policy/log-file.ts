/**
 * A size-rotated log file for the main process, used as the `configureLog` sink.
 *
 * Lines are appended synchronously (the main process logs little, and a crash must not lose the last
 * lines). Before a line would push the file past `maxBytes`, the files shift: `porthole.log.2` →
 * `.3`, `.1` → `.2`, `porthole.log` → `.1` (the oldest beyond `keep` is deleted), and a fresh file
 * starts. Files are created with mode 0600. Write errors are swallowed: logging never takes the app
 * down. Lines arrive already redacted by shared/log.ts; callers never pass secrets.
 */
import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LogSink } from '../../../shared/log';

/** Rotate when the current file would exceed this, in bytes. */
export const LOG_MAX_BYTES = 1024 * 1024;
/** Rotated files kept besides the current one. */
export const LOG_KEEP_FILES = 3;
/** File name of the current log inside the logs folder. */
export const LOG_FILE_NAME = 'porthole.log';

/** Options for one rotating log. */
export interface RotatingLogOptions {
  dir: string;
  fileName?: string;
  maxBytes?: number;
  keep?: number;
}

/** A rotating log: its sink and the path of the current file. */
export interface RotatingLog {
  readonly path: string;
  readonly sink: LogSink;
}

/** Opens (creating the folder) a rotating log. */
export function createRotatingLog(options: RotatingLogOptions): RotatingLog {
  const maxBytes = options.maxBytes ?? LOG_MAX_BYTES;
  const keep = options.keep ?? LOG_KEEP_FILES;
  const path = join(options.dir, options.fileName ?? LOG_FILE_NAME);
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  let size = 0;
  try {
    size = statSync(path).size;
  } catch {
    size = 0;
  }

  const rotate = (): void => {
    rmSync(`${path}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      try {
        renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      } catch {
        // that generation does not exist yet
      }
    }
    if (keep >= 1) renameSync(path, `${path}.1`);
    else rmSync(path, { force: true });
    size = 0;
  };

  const sink: LogSink = (level, line) => {
    const text = `${level.toUpperCase()} ${line}\n`;
    const bytes = Buffer.byteLength(text);
    try {
      if (size > 0 && size + bytes > maxBytes) rotate();
      appendFileSync(path, text, { mode: 0o600 });
      size += bytes;
    } catch {
      // Why: a full disk or a locked file must not crash the app; the line is lost.
    }
  };
  return { path, sink };
}
