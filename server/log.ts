/**
 * The daemon's logger: one line per event, to stderr when it is a terminal, else to a log file.
 * A pipe on stderr that nobody reads fills at 64 KiB and would freeze the daemon, so the daemon
 * writes there only when a person is watching.
 *
 * @module
 */
import { openPrivateFile } from "./private_files.ts";
import { isoNow } from "./clock.ts";

/** Log levels, least to most severe. */
export const LOG_LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
/** A log level name. */
export type LogLevel = keyof typeof LOG_LEVELS;

/** Structured fields on a log line. An `error` field is written with its stack and causes. */
export type LogFields = Record<string, unknown>;

/** The logging interface handlers get through `ctx.log`. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Where log lines go. */
export interface LogSink {
  write(line: string): void;
  close(): void;
}

const encoder = new TextEncoder();

/** The longest line the log keeps; the rest is cut, saying how much. */
export const MAX_LOG_LINE_CHARS = 16 * 1024;

/** Text from outside (a method name, a path, an error's message) with no line break left in it. */
function escapeText(text: string): string {
  return text.replace(
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001f\u007f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * An error as the log shows it: its message escaped (it may quote a client's input), then the
 * stack frames, one per line, then its causes.
 */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return escapeText(String(error));
  const frames = (error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  let text = [`${error.name}: ${escapeText(error.message)}`, ...frames].join("\n");
  if (error.cause !== undefined) text += `\nCaused by: ${describeError(error.cause)}`;
  return text;
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return describeError(value);
  if (typeof value === "string") return /^[\w./:@-]*$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** Cuts a line longer than the cap. */
function capped(line: string): string {
  return line.length <= MAX_LOG_LINE_CHARS
    ? line
    : `${line.slice(0, MAX_LOG_LINE_CHARS)}… (${line.length - MAX_LOG_LINE_CHARS} more characters)`;
}

/** Creates a logger that writes lines at or above `level` to `sink`. */
export function createLogger(options: { level: LogLevel; sink: LogSink }): Logger {
  const threshold = LOG_LEVELS[options.level];
  function log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (LOG_LEVELS[level] < threshold) return;
    let line = `${isoNow()} ${level.toUpperCase()} ${escapeText(message)}`;
    for (const [key, value] of Object.entries(fields)) line += ` ${key}=${formatValue(value)}`;
    try {
      options.sink.write(capped(line) + "\n");
    } catch {
      // Logging must never take the daemon down: a full disk or a closed stderr loses the line.
    }
  }
  return {
    debug: (message, fields) => log("debug", message, fields),
    info: (message, fields) => log("info", message, fields),
    warn: (message, fields) => log("warn", message, fields),
    error: (message, fields) => log("error", message, fields),
  };
}

/** A sink that writes to stderr. Use it only when stderr is a terminal. */
export function stderrSink(): LogSink {
  return { write: (line) => void Deno.stderr.writeSync(encoder.encode(line)), close() {} };
}

/** Default size at which the log file is rotated to `<path>.1`. */
export const DEFAULT_LOG_ROTATE_BYTES = 10 * 1024 * 1024;

/** A sink that appends to a file (mode 0600), keeping one rotated generation at `<path>.1`. */
export function fileSink(path: string, rotateBytes = DEFAULT_LOG_ROTATE_BYTES): LogSink {
  let file = openPrivateFile(path, { what: "log file", append: true });
  let size = file.statSync().size;
  return {
    write(line) {
      const bytes = encoder.encode(line);
      if (size + bytes.length > rotateBytes && size > 0) {
        file.close();
        Deno.renameSync(path, `${path}.1`);
        file = openPrivateFile(path, { what: "log file", append: true });
        size = 0;
      }
      file.writeSync(bytes);
      size += bytes.length;
    },
    close: () => file.close(),
  };
}

/** A logger that drops everything, for tests and tools. */
export const SILENT_LOGGER: Logger = createLogger({
  level: "error",
  sink: { write() {}, close() {} },
});
