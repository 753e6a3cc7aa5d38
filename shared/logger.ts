/**
 * Structured logs: one JSON object per line on stderr, so they can be read by people and by log shippers
 * alike. `--log-level` (or SWITCHBOARD_LOG_LEVEL) sets the threshold.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Extra fields on a log line: `code` (an error code), `peer` (an address), anything JSON-serialisable. */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** @default 'info', or SWITCHBOARD_LOG_LEVEL when set. */
export const DEFAULT_LOG_LEVEL: LogLevel = isLogLevel(process.env.SWITCHBOARD_LOG_LEVEL)
  ? process.env.SWITCHBOARD_LOG_LEVEL
  : 'info';

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/** Errors become `{ error, code }` so their message and code survive JSON. */
function plain(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) {
      out[key] = value.message;
      const code = (value as { code?: unknown }).code;
      if (code !== undefined && out.code === undefined) out.code = code;
      if (key === 'error' && value.stack) out.stack = value.stack;
    } else {
      out[key] = value;
    }
  }
  return out;
}

export function createLogger(
  base: LogFields = {},
  level: LogLevel = DEFAULT_LOG_LEVEL,
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const threshold = rank[level];
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields) => {
    if (rank[lvl] < threshold) return;
    const line = { time: new Date().toISOString(), level: lvl, ...base, msg, ...(fields ? plain(fields) : {}) };
    write(JSON.stringify(line) + '\n');
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger({ ...base, ...fields }, level, write),
  };
}
