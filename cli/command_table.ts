/**
 * The command table: every subcommand's name, summary, usage and flags, declared once here, and
 * how to load its implementation. Help and shell completion are derived from it without loading
 * any command, and running one loads only that command's module, so a one-off `call` does not
 * pay for the others.
 *
 * The loaders are `import()` calls with literal specifiers: `deno compile` follows them and embeds
 * each module, and `deno run` with `--unstable-lazy-dynamic-imports` (client/auto_start.ts) leaves
 * them until they run.
 *
 * @module
 */
import type { CommandEntry } from "./command.ts";
import { UsageError } from "./exit_codes.ts";

/** Every subcommand, in help order. Bare flags with no subcommand mean `serve`. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "serve",
    summary: "Run the daemon in the foreground",
    usage: "serve [--socket PATH] [--db PATH] [--timeout S | --no-timeout] [--log-file PATH] [-v]",
    flags: [
      "socket",
      "db",
      "db-path",
      "timeout",
      "no-timeout",
      "verbose",
      "foreground",
      "log-file",
      "read-timeout",
      "max-frame-bytes",
      "max-header-bytes",
    ],
    load: () => import("./commands/serve.ts").then((m) => m.serveCommand),
  },
  {
    name: "start",
    summary: "Start the daemon in the background (no-op if it is running)",
    usage: "start [--socket PATH] [--db PATH] [--timeout S | --no-timeout] [--json]",
    flags: ["socket", "db", "db-path", "timeout", "no-timeout", "verbose", "log-file", "json"],
    load: () => import("./commands/start.ts").then((m) => m.startCommand),
  },
  {
    name: "stop",
    summary: "Stop the daemon gracefully (exit 0 if it was not running)",
    usage: "stop [--socket PATH] [--json]",
    flags: ["socket", "json"],
    load: () => import("./commands/stop.ts").then((m) => m.stopCommand),
  },
  {
    name: "status",
    summary: "Show whether the daemon runs, with pid, version, uptime, socket and database",
    usage: "status [--socket PATH] [--json]",
    flags: ["socket", "json", "timeout"],
    load: () => import("./commands/status.ts").then((m) => m.statusCommand),
  },
  {
    name: "call",
    summary: "Call a method and print its result as JSON (--list, METHOD --help)",
    usage: "call METHOD [PARAMS_JSON | key=value | key=@file ...] [--json] [--timeout S]\n" +
      "  call --list [--all]\n  call METHOD --help",
    flags: [
      "socket",
      "json",
      "timeout",
      "list",
      "all",
      "help",
      "no-start",
      "db",
      "db-path",
      "verbose",
    ],
    load: () => import("./commands/call.ts").then((m) => m.callCommand),
  },
  {
    name: "jobs",
    summary: "List jobs, newest first, as a table (JSON with --json)",
    usage: "jobs [--state S] [--cluster NAME] [--limit N] [--json]",
    flags: ["state", "cluster", "limit", "json", "socket", "no-start", "db"],
    load: () => import("./commands/jobs.ts").then((m) => m.jobsCommand),
  },
  {
    name: "job",
    summary: "Show one job: details, parsed results and the error analysis",
    usage: "job PK [--json]",
    flags: ["json", "socket", "no-start", "db"],
    load: () => import("./commands/job.ts").then((m) => m.jobCommand),
  },
  {
    name: "submit",
    summary: "Submit a .d12 deck, here or to a cluster by name",
    usage: "submit FILE.d12 [--name N] [--cluster NAME] [--d3 FILE] [--after PK[,PK]] [--json]",
    flags: ["name", "cluster", "d3", "after", "json", "socket", "no-start", "db"],
    load: () => import("./commands/submit.ts").then((m) => m.submitCommand),
  },
  {
    name: "log",
    summary: "Show the end of a job's output; -f follows it until the job ends",
    usage: "log PK [-n N] [-f]",
    flags: ["lines", "follow", "socket", "no-start", "db"],
    load: () => import("./commands/log.ts").then((m) => m.logCommand),
  },
  {
    name: "cancel",
    summary: "Cancel one or more jobs",
    usage: "cancel PK [PK...] [--json]",
    flags: ["json", "socket", "no-start", "db"],
    load: () => import("./commands/cancel.ts").then((m) => m.cancelCommand),
  },
  {
    name: "plot",
    summary: "Plot a completed workflow (EOS, convergence) as SVG",
    usage: "plot WORKFLOW_ID [-o FILE.svg] [--json]",
    flags: ["output", "json", "socket", "no-start", "db"],
    load: () => import("./commands/plot.ts").then((m) => m.plotCommand),
  },
  {
    name: "clusters",
    summary: "List the registered clusters",
    usage: "clusters [--json]",
    flags: ["json", "socket", "no-start", "db"],
    load: () => import("./commands/clusters.ts").then((m) => m.clustersCommand),
  },
  {
    name: "watch",
    summary: "Print job changes live, one line each, until Ctrl-C",
    usage: "watch [--json] [--state S[,S]] [--pk N[,N]] [--socket PATH]",
    flags: ["socket", "json", "state", "pk"],
    load: () => import("./commands/watch.ts").then((m) => m.watchCommand),
  },
  {
    name: "doctor",
    summary: "Check folders, database, programs, ssh-agent and clusters, each with a fix",
    usage: "doctor [--socket PATH] [--db PATH] [--json]",
    flags: ["socket", "db", "db-path", "json"],
    load: () => import("./commands/doctor.ts").then((m) => m.doctorCommand),
  },
  {
    name: "service",
    summary: "Install, remove or check the systemd user unit (Linux) or launchd agent (macOS)",
    usage:
      "service install [--socket PATH] [--db PATH] [--dry-run]\n  service uninstall [--dry-run]" +
      "\n  service status [--json]",
    flags: ["socket", "db", "db-path", "dry-run", "json"],
    load: () => import("./commands/service.ts").then((m) => m.serviceCommand),
  },
  {
    name: "version",
    summary: "Print the version",
    usage: "version [--json]",
    flags: ["json"],
    load: () => import("./commands/version.ts").then((m) => m.versionCommand),
  },
  {
    name: "completions",
    summary: "Print shell completion for bash, zsh or fish",
    usage: "completions bash|zsh|fish",
    flags: [],
    load: () => import("./commands/completions.ts").then((m) => m.completionsCommand),
  },
  {
    name: "help",
    summary: "Show this help, or one command's help",
    usage: "help [COMMAND]",
    flags: [],
    load: () => import("./commands/help.ts").then((m) => m.helpCommand),
  },
];

/** The command named `name`. @throws {UsageError} for an unknown one */
export function findCommand(name: string): CommandEntry {
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new UsageError(`Unknown command "${name}": run "crystalmath-server help"`);
  return command;
}
