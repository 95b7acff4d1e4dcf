/**
 * The few checks the config file and its environment overrides need, written out so that the
 * daemon's start-up loads no schema library: a start that reads a config file must still be
 * listening within milliseconds. Each check returns the value or throws a `ConfigIssue`, the
 * first one found in key order, worded as the RPC params' schema issues are.
 *
 * @module
 */

/** The first thing wrong with a config value: where, and what. */
export class ConfigIssue extends Error {
  /** The keys down to the value. */
  readonly path: readonly (string | number)[];
  /** For an object with keys it does not know: those keys. */
  readonly keys: readonly string[];

  constructor(path: readonly (string | number)[], message: string, keys: readonly string[] = []) {
    super(message);
    this.name = "ConfigIssue";
    this.path = path;
    this.keys = keys;
  }
}

/** Checks `value`, found at `path`, and returns it typed. @throws {ConfigIssue} */
export type Check<T> = (value: unknown, path: readonly (string | number)[]) => T;

/** What a check gives back. */
export type Checked<C> = C extends Check<infer T> ? T : never;

/** How a value that is not of the expected type is named. */
function received(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return typeof value;
}

function expected(type: string, value: unknown, path: readonly (string | number)[]): ConfigIssue {
  return new ConfigIssue(path, `Invalid input: expected ${type}, received ${received(value)}`);
}

/** A number's bounds, and how a person reads them (for environment variables). */
export interface NumberRule {
  isInteger?: boolean;
  min: number;
  max: number;
  /** E.g. "seconds, from 0.1 to 3600". */
  description: string;
}

/** What is wrong with `value` as a number under `rule`, or undefined when nothing is. */
export function numberProblem(rule: NumberRule, value: unknown): string | undefined {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return `Invalid input: expected number, received ${received(value)}`;
  }
  if (rule.isInteger && !Number.isSafeInteger(value)) {
    return "Invalid input: expected int, received number";
  }
  if (value < rule.min) return `Too small: expected number to be >=${rule.min}`;
  if (value > rule.max) return `Too big: expected number to be <=${rule.max}`;
  return undefined;
}

/** A number within `rule`. */
export function number(rule: NumberRule): Check<number> {
  return (value, path) => {
    const problem = numberProblem(rule, value);
    if (problem !== undefined) throw new ConfigIssue(path, problem);
    return value as number;
  };
}

/** A string, then each test in turn: a predicate and the message when it fails. */
export function string(...tests: [(text: string) => boolean, string][]): Check<string> {
  return (value, path) => {
    if (typeof value !== "string") throw expected("string", value, path);
    for (const [isValid, message] of tests) {
      if (!isValid(value)) throw new ConfigIssue(path, message);
    }
    return value;
  };
}

/** A string that is not empty. */
export const NON_EMPTY: [(text: string) => boolean, string] = [
  (text) => text.length >= 1,
  "Too small: expected string to have >=1 characters",
];

/** Absent (undefined), or passing `check`. */
export function optional<T>(check: Check<T>): Check<T | undefined> {
  return (value, path) => value === undefined ? undefined : check(value, path);
}

/** The object a shape of checks gives: a key whose check may give undefined is optional. */
export type CheckedObject<S extends Record<string, Check<unknown>>> =
  & { [K in keyof S as undefined extends Checked<S[K]> ? never : K]: Checked<S[K]> }
  & { [K in keyof S as undefined extends Checked<S[K]> ? K : never]?: Checked<S[K]> };

/** A plain object with exactly these keys (each checked; an absent one stays absent). */
export function strictObject<S extends Record<string, Check<unknown>>>(
  shape: S,
): Check<CheckedObject<S>> {
  return (value, path) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw expected("object", value, path);
    }
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      const checked = check(record[key], [...path, key]);
      if (checked !== undefined) out[key] = checked;
    }
    const unknown = Object.keys(record).filter((key) => !Object.hasOwn(shape, key));
    if (unknown.length > 0) {
      const list = unknown.map((key) => JSON.stringify(key)).join(", ");
      throw new ConfigIssue(
        path,
        `Unrecognized key${unknown.length > 1 ? "s" : ""}: ${list}`,
        unknown,
      );
    }
    return out as CheckedObject<S>;
  };
}

/** An array of at least `min` items, each checked, then the whole by `whole` if given. */
export function array<T>(
  item: Check<T>,
  options: { min: number; whole?: [(items: T[]) => boolean, string] },
): Check<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) throw expected("array", value, path);
    const items = value.map((member, i) => item(member, [...path, i]));
    if (items.length < options.min) {
      throw new ConfigIssue(path, `Too small: expected array to have >=${options.min} items`);
    }
    if (options.whole && !options.whole[0](items)) {
      throw new ConfigIssue(path, options.whole[1]);
    }
    return items;
  };
}

/** True when `text` parses as a URL whose scheme (without its colon) matches `scheme`. */
export function isUrl(text: string, scheme: RegExp): boolean {
  try {
    return scheme.test(new URL(text).protocol.replace(/:$/, ""));
  } catch {
    return false; // Not a URL at all.
  }
}
