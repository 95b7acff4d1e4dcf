/**
 * The Liquid engine, configured for untrusted templates (docs/materials-workflows.md §4): the
 * template set lives in memory, so no tag can read a file; strict variables and filters; own
 * properties only; parse, render and memory limits; no output escaping, since a deck is plain
 * text. It adds the deck filters `fixed`, `sci`, `pad` and `int`. Runs inside the render
 * worker; the daemon's thread only talks to it.
 *
 * @module
 */
import { Liquid } from "liquidjs";

/** The longest template body the engine parses, in characters. */
export const PARSE_LIMIT = 1_000_000;
/** The render time the engine allows itself, in ms (cooperative; the worker has a hard fence). */
export const RENDER_LIMIT_MS = 1000;
/** The engine's allocation budget (its own count of strings and arrays it builds). */
export const MEMORY_LIMIT = 10_000_000;
/** The longest output accepted, in characters. */
export const OUTPUT_LIMIT = 4 * 1024 * 1024;

/** A number a deck filter may write. @throws {TypeError} for anything else */
function finite(value: unknown, filter: string): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n)) {
    throw new TypeError(`filter ${filter}: expected a finite number, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Digits a filter was asked for. @throws {RangeError} outside 0..15 */
function digits(value: unknown, filter: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 15) {
    throw new RangeError(`filter ${filter}: expected 0 to 15 digits, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** `x | sci: n`: CRYSTAL's E format, `1.2346E-05`, with n digits after the point. */
export function scientific(value: unknown, places: unknown = 6): string {
  const text = finite(value, "sci").toExponential(digits(places, "sci"));
  const [mantissa, exponent = "0"] = text.split("e");
  const power = Number(exponent);
  return `${mantissa}E${power < 0 ? "-" : "+"}${String(Math.abs(power)).padStart(2, "0")}`;
}

/** `x | fixed: n`: n digits after the point, never exponent form. */
export function fixed(value: unknown, places: unknown = 6): string {
  const text = finite(value, "fixed").toFixed(digits(places, "fixed"));
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

/** `x | pad: w`: right-aligned in w columns; a negative w left-aligns. */
export function pad(value: unknown, width: unknown): string {
  if (typeof width !== "number" || !Number.isInteger(width) || Math.abs(width) > 200) {
    throw new RangeError(
      `filter pad: expected a width of -200 to 200, got ${JSON.stringify(width)}`,
    );
  }
  const text = String(value);
  return width < 0 ? text.padEnd(-width) : text.padStart(width);
}

/** `x | int`: the nearest integer, for a deck field that must be one. */
export function integer(value: unknown): string {
  return String(Math.round(finite(value, "int")));
}

/** Builds an engine that sees only `files` (name → body). */
export function createEngine(files: Readonly<Record<string, string>>): Liquid {
  const lookup = (name: string): string => {
    if (!Object.hasOwn(files, name)) throw new Error(`no template named "${name}"`);
    return files[name]!;
  };
  const engine = new Liquid({
    // The only file system the engine has: the template set, by name.
    fs: {
      readFileSync: lookup,
      readFile: (name: string) => Promise.resolve(lookup(name)),
      existsSync: (name: string) => Object.hasOwn(files, name),
      exists: (name: string) => Promise.resolve(Object.hasOwn(files, name)),
      contains: () => Promise.resolve(true),
      containsSync: () => true,
      resolve: (_root: string, name: string) => name,
      sep: "/",
    },
    root: [""],
    extname: "",
    relativeReference: false,
    cache: false,
    strictVariables: true,
    strictFilters: true,
    ownPropertyOnly: true,
    jsTruthy: false,
    parseLimit: PARSE_LIMIT,
    renderLimit: RENDER_LIMIT_MS,
    memoryLimit: MEMORY_LIMIT,
    // No outputEscape: a deck is plain text, and "&" or "<" must reach it as written.
  });
  engine.registerFilter("fixed", fixed);
  engine.registerFilter("sci", scientific);
  engine.registerFilter("pad", pad);
  engine.registerFilter("int", integer);
  return engine;
}

/** Renders the template `name` of `files`. @throws {Error} with Liquid's message */
export async function renderIn(
  files: Readonly<Record<string, string>>,
  request: { name: string; context: Record<string, unknown> },
): Promise<string> {
  const engine = createEngine(files);
  const text = await engine.renderFile(request.name, request.context) as string;
  if (text.length > OUTPUT_LIMIT) {
    throw new RangeError(`the output is over ${OUTPUT_LIMIT} characters`);
  }
  return text;
}

/** Parses every body of `files`: a problem per name that does not parse, null for the rest. */
export function parseAll(files: Readonly<Record<string, string>>): Record<string, string | null> {
  const engine = createEngine(files);
  const problems: Record<string, string | null> = {};
  for (const [name, body] of Object.entries(files)) {
    try {
      engine.parse(body, name);
      problems[name] = null;
    } catch (error) {
      problems[name] = (error as Error).message;
    }
  }
  return problems;
}
