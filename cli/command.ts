/**
 * The shape of a subcommand and the flags they share. Each flag is declared once here; commands
 * pick the ones that apply to them.
 *
 * @module
 */
import type { PlatformFacts } from "../common/paths.ts";
import { UsageError } from "./exit_codes.ts";

/** A flag declaration, in `node:util` parseArgs form, plus its help text. */
export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  help: string;
  /** Placeholder shown in help for string flags. */
  value?: string;
}

/** Every flag the CLI knows. */
export const FLAGS = {
  socket: { type: "string", value: "PATH", help: "Socket path (default: see README, Paths)" },
  db: { type: "string", value: "PATH", help: "Database path (default: the user data directory)" },
  "db-path": { type: "string", value: "PATH", help: "Same as --db (kept for older clients)" },
  timeout: {
    type: "string",
    value: "S",
    help: "serve/start: idle seconds before exit (0 = never); calls: seconds to wait",
  },
  "no-timeout": { type: "boolean", help: "Never exit for inactivity" },
  verbose: { type: "boolean", short: "v", help: "Debug logging" },
  json: { type: "boolean", help: "Machine-readable JSON output" },
  help: { type: "boolean", short: "h", help: "Show help" },
  foreground: { type: "boolean", help: "Run in the foreground (the default for serve)" },
  "log-file": {
    type: "string",
    value: "PATH",
    help: "Log to this file even when stderr is a terminal",
  },
  "read-timeout": {
    type: "string",
    value: "S",
    help: "Drop a client that stalls mid-frame this long (30)",
  },
  "max-frame-bytes": {
    type: "string",
    value: "N",
    help: "Largest accepted frame body (104857600)",
  },
  "max-header-bytes": {
    type: "string",
    value: "N",
    help: "Largest accepted header section (8192)",
  },
  list: { type: "boolean", help: "call: list the daemon's methods" },
  all: { type: "boolean", help: "call --list: also the terminal UI's legacy methods" },
  state: {
    type: "string",
    value: "S[,S]",
    help: "Only jobs in (watch: that change into) these states",
  },
  pk: { type: "string", value: "N[,N]", help: "watch: only these jobs" },
  "no-start": { type: "boolean", help: "Fail instead of starting the daemon" },
  cluster: { type: "string", value: "NAME", help: "The cluster, by name" },
  limit: { type: "string", value: "N", help: "jobs: at most N jobs (default 50)" },
  name: { type: "string", value: "NAME", help: "submit: the job's name (default: the file's)" },
  d3: {
    type: "string",
    value: "FILE",
    help: "submit: a .d3 deck run with properties after the SCF",
  },
  after: { type: "string", value: "PK[,PK]", help: "submit: jobs that must complete first" },
  lines: { type: "string", short: "n", value: "N", help: "log: how many lines (default 40)" },
  follow: { type: "boolean", short: "f", help: "log: follow the output until the job ends" },
  output: { type: "string", short: "o", value: "FILE", help: "plot: write the SVG to FILE" },
  "dry-run": { type: "boolean", help: "service: print the unit file instead of installing it" },
} as const satisfies Record<string, FlagSpec>;

/** A flag name. */
export type FlagName = keyof typeof FLAGS;

/** Parsed flag values. */
export type FlagValues = Partial<Record<FlagName, string | boolean>>;

/** What a command runs with. */
export interface CommandContext {
  flags: FlagValues;
  /** Arguments after the command name that are not flags. */
  args: string[];
  facts: PlatformFacts;
  /** Aborts on SIGINT. */
  signal: AbortSignal;
}

/** What the command table declares about a subcommand: enough for help, completion and parsing. */
export interface CommandInfo {
  name: string;
  summary: string;
  /** Usage line(s) after the program name. */
  usage: string;
  flags: readonly FlagName[];
}

/** What a command's module gives: its implementation, loaded only when the command runs. */
export interface CommandModule {
  /** Returns the exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/** A table entry (cli/command_table.ts): the command's declaration and how to load it. */
export interface CommandEntry extends CommandInfo {
  load(): Promise<CommandModule>;
}

/** Reads a string flag. */
export function stringFlag(flags: FlagValues, name: FlagName): string | undefined {
  const value = flags[name];
  return typeof value === "string" ? value : undefined;
}

/** Reads a non-negative number flag. @throws {UsageError} when it is not one */
export function numberFlag(flags: FlagValues, name: FlagName): number | undefined {
  const text = stringFlag(flags, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`Invalid --${name} "${text}": expected a non-negative number`);
  }
  return value;
}
