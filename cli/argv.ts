/**
 * A small argv parser for the flags declared in cli/command.ts. It stands in for `node:util`
 * parseArgs because loading Node compatibility makes every one-off CLI call noticeably slower to
 * start; it accepts the same forms: `--name`, `--name=value`, `--name value`, `-x`, and `--`.
 *
 * @module
 */
import { UsageError } from "./exit_codes.ts";

/** One accepted flag. */
export interface ArgvOption {
  type: "string" | "boolean";
  short?: string;
}

/** Parses `argv` against `options`. @throws {UsageError} on an unknown flag or a missing value */
export function parseArgv(
  argv: readonly string[],
  options: Record<string, ArgvOption>,
): { values: Record<string, string | boolean>; positionals: string[] } {
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  const shorts = new Map<string, string>();
  for (const [name, option] of Object.entries(options)) {
    if (option.short) shorts.set(option.short, name);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const given = eq > 0 ? arg.slice(0, eq) : arg;
    const name = given.startsWith("--") ? given.slice(2) : shorts.get(given.slice(1));
    const option = name === undefined ? undefined : options[name];
    if (
      name === undefined || option === undefined || (!given.startsWith("--") && given.length !== 2)
    ) {
      throw new UsageError(`Unknown option '${given}'`);
    }
    if (option.type === "boolean") {
      if (eq > 0) throw new UsageError(`Option '${given}' does not take a value`);
      values[name] = true;
      continue;
    }
    if (eq > 0) values[name] = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) values[name] = argv[++i]!;
    else throw new UsageError(`Option '${given}' needs a value`);
  }
  return { values, positionals };
}
