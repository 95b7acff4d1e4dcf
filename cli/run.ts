/**
 * The CLI: parses argv, finds the subcommand in the table, runs it, and turns its failure into one
 * line on stderr and an exit code.
 *
 * @module
 */
import { ClientError, ServerError } from "../client/errors.ts";
import { parseArgv } from "./argv.ts";
import { type CommandEntry, FLAGS, type FlagValues } from "./command.ts";
import { findCommand } from "./command_table.ts";
import { EXIT_CODES, exitCodeFor, UsageError } from "./exit_codes.ts";
import { printError, printNotice, printText } from "./output.ts";

/** What runs when no command is named: the daemon, as the terminal UI spawns it. */
const DEFAULT_COMMAND = "serve";

function parse(command: CommandEntry, argv: string[]): { flags: FlagValues; args: string[] } {
  const options = Object.fromEntries(
    [...command.flags, "help" as const].map((name) => [name, FLAGS[name]]),
  );
  const { values, positionals } = parseArgv(argv, options);
  return { flags: values as FlagValues, args: positionals };
}

function report(error: unknown, asJson: boolean): void {
  if (error instanceof ServerError) {
    if (asJson) {
      printNotice(
        JSON.stringify({ error: { code: error.code, message: error.message, data: error.data } }),
      );
    } else {printError(
        `${error.message} (code ${error.code}${error.kind ? `, ${error.kind}` : ""})`,
      );}
    return;
  }
  const kind = error instanceof UsageError
    ? "usage"
    : error instanceof ClientError
    ? error.kind
    : "internal";
  const message = error instanceof UsageError || error instanceof ClientError
    ? error.message
    : `Internal error: ${error instanceof Error ? error.message : String(error)}`;
  if (asJson) {
    // With --json, the CLI's own errors are JSON too, shaped like the daemon's.
    printNotice(JSON.stringify({ error: { code: null, message, data: { kind } } }));
    return;
  }
  printError(message);
  if (error instanceof UsageError) printNotice('Run "crystalmath-server help" for usage.');
}

/** Runs the CLI on `argv` and returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const named = argv[0] !== undefined && !argv[0].startsWith("-");
  let asJson = argv.includes("--json");
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  try {
    const command = findCommand(named ? argv[0]! : DEFAULT_COMMAND);
    const { flags, args } = parse(command, named ? argv.slice(1) : argv);
    asJson = flags.json === true;
    // A command that declares --help itself (call METHOD --help) answers it when given arguments.
    if (flags.help && (args.length === 0 || !command.flags.includes("help"))) {
      const { commandHelp } = await import("./commands/help.ts");
      printText(commandHelp(command));
      return EXIT_CODES.ok;
    }
    const implementation = await command.load();
    // The daemon handles its own signals.
    if (command.name !== DEFAULT_COMMAND) Deno.addSignalListener("SIGINT", onInterrupt);
    return await implementation.run({
      flags,
      args,
      facts: { os: Deno.build.os, env: Deno.env.toObject() },
      signal: controller.signal,
    });
  } catch (error) {
    report(error, asJson);
    return exitCodeFor(error);
  } finally {
    try {
      Deno.removeSignalListener("SIGINT", onInterrupt);
    } catch {
      // Never added (serve, or failed before): nothing to remove.
    }
  }
}
