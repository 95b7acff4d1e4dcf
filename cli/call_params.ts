/**
 * Turns `call` arguments into params: one JSON object or array, or `key=value` pairs where the
 * value is JSON when it parses as JSON, text otherwise, and `@path` reads a file. Dotted keys nest.
 *
 * @module
 */
import { UsageError } from "./exit_codes.ts";

function parseValue(raw: string, readFile: (path: string) => string): unknown {
  if (raw.startsWith("@")) {
    const path = raw.slice(1);
    try {
      return readFile(path);
    } catch (error) {
      throw new UsageError(`Cannot read "${path}": ${(error as Error).message}`, { cause: error });
    }
  }
  try {
    return JSON.parse(raw);
  } catch {
    return raw; // Not JSON: a plain string, so name=h2o needs no quotes.
  }
}

/** Parses call arguments. @throws {UsageError} on malformed input */
export function parseCallParams(
  args: readonly string[],
  readFile: (path: string) => string = Deno.readTextFileSync,
): Record<string, unknown> | unknown[] | undefined {
  if (args.length === 0) return undefined;
  const first = args[0]!.trimStart();
  if (args.length === 1 && (first.startsWith("{") || first.startsWith("["))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(args[0]!);
    } catch (error) {
      throw new UsageError(`Invalid params JSON: ${(error as Error).message}`, { cause: error });
    }
    return parsed as Record<string, unknown> | unknown[];
  }
  const params: Record<string, unknown> = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(`Invalid argument "${arg}": expected key=value or one JSON object`);
    }
    const path = arg.slice(0, eq).split(".");
    if (path.some((part) => part === "")) throw new UsageError(`Invalid key "${arg.slice(0, eq)}"`);
    let target = params;
    for (const part of path.slice(0, -1)) {
      const next = target[part];
      if (
        next !== undefined && (typeof next !== "object" || next === null || Array.isArray(next))
      ) {
        throw new UsageError(
          `Invalid key "${arg.slice(0, eq)}": "${part}" is already set to a value`,
        );
      }
      target = (target[part] ??= {}) as Record<string, unknown>;
    }
    target[path.at(-1)!] = parseValue(arg.slice(eq + 1), readFile);
  }
  return params;
}
