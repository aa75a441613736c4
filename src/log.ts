// A small structured logger. JSON lines when stderr is not a terminal (services, containers),
// readable text on a terminal. Lifecycle events at info, per-frame detail at debug.

export type Level = "debug" | "info" | "warn" | "error";
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
  enabled(level: Level): boolean;
}

export interface LoggerOptions {
  level: Level;
  format: "auto" | "json" | "text";
  write?: (line: string) => void;
  isTTY?: boolean;
}

export function createLogger(opts: LoggerOptions, base: Fields = {}): Logger {
  const write = opts.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const json = opts.format === "json" || (opts.format === "auto" && !(opts.isTTY ?? process.stderr.isTTY));
  const min = rank[opts.level];
  const emit = (level: Level, msg: string, fields?: Fields) => {
    if (rank[level] < min) return;
    const all = { ...base, ...fields };
    for (const [k, v] of Object.entries(all)) if (v instanceof Error) all[k] = v.stack ?? v.message;
    if (json) {
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...all }));
    } else {
      const extra = Object.entries(all).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
      write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}${extra.length ? " " + extra.join(" ") : ""}`);
    }
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger(opts, { ...base, ...fields }),
    enabled: (level) => rank[level] >= min,
  };
}

/** A logger that drops everything; for unit tests of pure modules. */
export const silentLogger: Logger = createLogger({ level: "error", format: "json", write: () => {} });
