import { resolveConfigPath, resolveSocketPath } from "../../common/paths.ts";
import type { Config, resolveConfig } from "../../server/config.ts";
import { type CommandContext, type CommandModule, numberFlag, stringFlag } from "../command.ts";
import { EXIT_CODES, exitCodeFor } from "../exit_codes.ts";
import { printError } from "../output.ts";

function readIfPresent(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined; // No config file: defaults.
    throw error;
  }
}

/**
 * The daemon's config from `serve`'s flags, the environment and the config file, resolved by
 * `resolve` (server/config.ts, loaded by the caller only when it needs it). The TOML parser is
 * loaded only when there is a file.
 */
export async function configFrom(
  resolve: typeof resolveConfig,
  ctx: Pick<CommandContext, "flags" | "facts">,
): Promise<Config> {
  const { flags, facts } = ctx;
  const path = resolveConfigPath(facts);
  const text = readIfPresent(path);
  const configData = text === undefined
    ? undefined
    : (await import("../../server/config_toml.ts")).parseConfigFile(path, text);
  return resolve({ ...facts, configData, stderrIsTerminal: Deno.stderr.isTerminal() }, {
    socket: stringFlag(flags, "socket"),
    db: stringFlag(flags, "db") ?? stringFlag(flags, "db-path"),
    logFile: stringFlag(flags, "log-file"),
    timeout: numberFlag(flags, "timeout"),
    noTimeout: flags["no-timeout"] === true,
    verbose: flags.verbose === true,
    readTimeout: numberFlag(flags, "read-timeout"),
    maxFrameBytes: numberFlag(flags, "max-frame-bytes"),
    maxHeaderBytes: numberFlag(flags, "max-header-bytes"),
  });
}

/** `serve`: run the daemon in the foreground until a signal, `system.shutdown` or inactivity. */
export const serveCommand: CommandModule = {
  async run({ flags, facts }) {
    // Loaded here, not at the top: one-off CLI calls must not load sqlite, zod or the handlers.
    const { loggerFor, resolveConfig, serve } = await import("../../server/mod.ts");
    let config;
    try {
      config = await configFrom(resolveConfig, { flags, facts });
    } catch (error) {
      printError(`Cannot start: ${(error as Error).message}`);
      return EXIT_CODES.usage;
    }
    const { log, sink } = loggerFor(config);
    const onRejection = (event: PromiseRejectionEvent) => {
      // One bad request must never take the daemon down: log the stray rejection and carry on.
      event.preventDefault();
      log.error("Unhandled rejection", { error: event.reason });
    };
    globalThis.addEventListener("unhandledrejection", onRejection);
    /** A start that failed, before the socket listens or while the services are built. */
    const failed = (error: unknown) => {
      log.error("Cannot start", { error });
      printError(
        `Cannot start on "${resolveSocketPath(facts, config.socketPath)}": ${
          (error as Error).message
        }`,
      );
      return exitCodeFor(error);
    };
    let daemon;
    try {
      daemon = await serve(config, { log });
    } catch (error) {
      const code = failed(error);
      sink.close();
      globalThis.removeEventListener("unhandledrejection", onRejection);
      return code;
    }
    const forced = Promise.withResolvers<number>();
    let signals = 0;
    const onSignal = () => {
      signals++;
      if (signals === 1) void daemon.shutdown("signal");
      else forced.resolve(EXIT_CODES.interrupted); // A second signal forces the exit.
    };
    Deno.addSignalListener("SIGINT", onSignal);
    Deno.addSignalListener("SIGTERM", onSignal);
    const code = await Promise.race([
      daemon.stopped.then(() => EXIT_CODES.ok, failed),
      forced.promise,
    ]);
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    globalThis.removeEventListener("unhandledrejection", onRejection);
    sink.close();
    return code;
  },
};
