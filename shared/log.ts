/**
 * One small level-gated logger per process (main, renderer, CLI, simulator).
 *
 * Each process calls `configureLog` once with its sink and level; modules call `getLogger('bridge')`
 * and log through it. Secrets never go through here: callers pass only safe fields, and `redact`
 * masks anything shaped like an XAPI session reference as a last line of defence.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Where formatted lines go (stderr under Node, a file in Electron, the dev console in the page). */
export type LogSink = (level: Exclude<LogLevel, 'silent'>, line: string) => void;

let currentLevel: LogLevel = 'warn';
let currentSink: LogSink = () => undefined;

/** Sets the process-wide sink and minimum level. */
export function configureLog(sink: LogSink, level: LogLevel): void {
  currentSink = sink;
  currentLevel = level;
}

/** Parses a level name (for PORTHOLE_LOG), falling back to `fallback`. */
export function parseLogLevel(value: string | undefined, fallback: LogLevel): LogLevel {
  return value !== undefined && value in ORDER ? (value as LogLevel) : fallback;
}

const OPAQUE_REF = /OpaqueRef:[0-9a-fA-F-]{8,}/g;

/** Masks XAPI opaque refs (session ids look like them) in a log line. */
export function redact(text: string): string {
  return text.replace(OPAQUE_REF, 'OpaqueRef:…');
}

/** A named logger. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

function format(scope: string, message: string, fields?: Record<string, unknown>): string {
  const extra = fields === undefined ? '' : ' ' + JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? v.message : v));
  return redact(`${new Date().toISOString()} [${scope}] ${message}${extra}`);
}

/** Returns the logger for one module scope. */
export function getLogger(scope: string): Logger {
  const emit = (level: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < ORDER[currentLevel]) return;
    currentSink(level, format(scope, message, fields));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
