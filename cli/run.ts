/**
 * The CLI: parses argv, finds the subcommand in the table, runs it, and turns its failure into one
 * line on stderr and an exit code.
 *
 * @module
 */
import { ClientError, ServerError } from "../client/errors.ts";
import { parseArgv } from "./argv.ts";
import { callCommand } from "./commands/call.ts";
import { doctorCommand } from "./commands/doctor.ts";
import { cancelCommand } from "./commands/cancel.ts";
import { clustersCommand } from "./commands/clusters.ts";
import { completionsCommand } from "./commands/completions.ts";
import { jobCommand } from "./commands/job.ts";
import { jobsCommand } from "./commands/jobs.ts";
import { logCommand } from "./commands/log.ts";
import { plotCommand } from "./commands/plot.ts";
import { submitCommand } from "./commands/submit.ts";
import { serveCommand } from "./commands/serve.ts";
import { serviceCommand } from "./commands/service.ts";
import { startCommand } from "./commands/start.ts";
import { statusCommand } from "./commands/status.ts";
import { stopCommand } from "./commands/stop.ts";
import { versionCommand } from "./commands/version.ts";
import { watchCommand } from "./commands/watch.ts";
import { type Command, FLAGS, type FlagSpec, type FlagValues } from "./command.ts";
import { EXIT_CODES, exitCodeFor, UsageError } from "./exit_codes.ts";
import { printError, printNotice, printText } from "./output.ts";

const helpCommand: Command = {
  name: "help",
  summary: "Show this help, or one command's help",
  usage: "help [COMMAND]",
  flags: [],
  run({ args }) {
    const [name] = args;
    if (name === undefined) printText(generalHelp());
    else printText(commandHelp(lookup(name)));
    return Promise.resolve(EXIT_CODES.ok);
  },
};

/** Every subcommand. Bare flags with no subcommand mean `serve`, as the terminal UI spawns it. */
const COMMANDS: readonly Command[] = [
  serveCommand,
  startCommand,
  stopCommand,
  statusCommand,
  callCommand,
  jobsCommand,
  jobCommand,
  submitCommand,
  logCommand,
  cancelCommand,
  plotCommand,
  clustersCommand,
  watchCommand,
  doctorCommand,
  serviceCommand,
  versionCommand,
  completionsCommand(() => COMMANDS),
  helpCommand,
];

function lookup(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new UsageError(`Unknown command "${name}": run "crystalmath-server help"`);
  return command;
}

function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "crystalmath-server: the CrystalMath daemon (JSON-RPC 2.0 on a Unix socket) and its CLI",
    "",
    "Usage: crystalmath-server <command> [flags]",
    "       crystalmath-server [--socket PATH] [--db PATH] [--timeout S] [-v]   (same as serve)",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    'Run "crystalmath-server help COMMAND" for a command\'s flags.',
  ].join("\n");
}

function commandHelp(command: Command): string {
  const lines = [`Usage: crystalmath-server ${command.usage}`, "", command.summary];
  if (command.flags.length) lines.push("", "Flags:");
  const label = (name: keyof typeof FLAGS) => {
    const spec: FlagSpec = FLAGS[name];
    return `${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.value ? ` ${spec.value}` : ""}`;
  };
  const width = Math.max(0, ...command.flags.map((f) => label(f).length));
  for (const name of command.flags) {
    lines.push(`  ${label(name).padEnd(width)}  ${FLAGS[name].help}`);
  }
  return lines.join("\n");
}

function parse(command: Command, argv: string[]): { flags: FlagValues; args: string[] } {
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
    const command = named ? lookup(argv[0]!) : serveCommand;
    const { flags, args } = parse(command, named ? argv.slice(1) : argv);
    asJson = flags.json === true;
    if (flags.help && command !== callCommand) {
      printText(commandHelp(command));
      return EXIT_CODES.ok;
    }
    if (flags.help && args.length === 0) {
      printText(commandHelp(command));
      return EXIT_CODES.ok;
    }
    if (command !== serveCommand) Deno.addSignalListener("SIGINT", onInterrupt);
    return await command.run({
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

/** The help text, for the README and tests. */
export { generalHelp };
