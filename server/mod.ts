/**
 * The daemon, as a library: `serve(config)` starts it and returns a `Daemon`.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { Daemon } from "./daemon.ts";
import { createLogger, fileSink, type Logger, type LogSink, stderrSink } from "./log.ts";

export { type Config, resolveConfig, type ServeFlags } from "./config.ts";
export { Daemon } from "./daemon.ts";

/** Options for `serve`. */
export interface ServeOptions {
  /** Use this logger instead of the one the config describes (tests pass a silent one). */
  log?: Logger;
}

/** Creates the logger the config asks for: stderr when it is a terminal, else the log file. */
export function loggerFor(config: Config): { log: Logger; sink: LogSink } {
  const sink = config.logToStderr ? stderrSink() : fileSink(config.logPath);
  return { log: createLogger({ level: config.verbose ? "debug" : "info", sink }), sink };
}

/**
 * Starts a daemon.
 * @throws {ConflictError} when another daemon owns the socket
 * @throws {DatabaseError} when the database cannot be opened
 */
export function serve(config: Config, options: ServeOptions = {}): Promise<Daemon> {
  const log = options.log ?? loggerFor(config).log;
  return Daemon.start(config, { log });
}
