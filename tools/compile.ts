/**
 * `deno task compile`: builds the single `crystalmath-server` binary with `deno compile`, for this
 * machine or cross-compiled for another target, with the same permission set as every other way
 * of running the program.
 *
 * Usage: `deno task compile [--target TARGET | --all] [--output PATH]`
 *
 * @module
 */
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { EXIT_CODES, UsageError } from "../cli/exit_codes.ts";
import { printNotice, printText } from "../cli/output.ts";
import { PERMISSION_SET, V8_FLAGS } from "../client/auto_start.ts";
import { RENDER_WORKER_URL } from "../server/templates/renderer.ts";

/** The targets we ship, with their short aliases. */
export const TARGETS = {
  "x86_64-unknown-linux-gnu": "linux-x64",
  "aarch64-unknown-linux-gnu": "linux-arm64",
  "x86_64-apple-darwin": "macos-x64",
  "aarch64-apple-darwin": "macos-arm64",
} as const;

/** A target triple `deno compile --target` accepts. */
export type Target = keyof typeof TARGETS;

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Modules started as workers, which the binary must carry (paths from the project root). */
export const WORKER_MODULES: readonly string[] = [RENDER_WORKER_URL].map((url) =>
  relative(ROOT, fileURLToPath(url))
);
const DEFAULT_OUTPUT = join("dist", "crystalmath-server");

const USAGE = `Usage: deno task compile [--target TARGET | --all] [--output PATH]

Builds the crystalmath-server binary with "deno compile -P=${PERMISSION_SET}".

  --target TARGET  Cross-compile for TARGET; output dist/crystalmath-server-<triple>
  --all            Build every target, each to dist/crystalmath-server-<triple>
  --output PATH    Write the binary here (default ${DEFAULT_OUTPUT})
  -h, --help       Show this help

Targets: ${Object.entries(TARGETS).map(([triple, alias]) => `${triple} (${alias})`).join(", ")}`;

/** One `deno compile` run: the target (undefined: this machine) and the output path. */
export interface Build {
  target: Target | undefined;
  output: string;
}

/**
 * Resolves a target triple or alias.
 * @throws {UsageError} for anything else
 */
export function resolveTarget(name: string): Target {
  if (name in TARGETS) return name as Target;
  const found = (Object.entries(TARGETS) as [Target, string][]).find(([, alias]) => alias === name);
  if (found) return found[0];
  const accepted = Object.entries(TARGETS).flat().map((t) => `"${t}"`).join(", ");
  throw new UsageError(`Unknown target "${name}": expected one of ${accepted}`);
}

/**
 * Turns the task's arguments into builds, or undefined when help was asked for.
 * @throws {UsageError} on unknown flags, an unknown target or conflicting flags
 */
export function planBuilds(args: string[]): Build[] | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        target: { type: "string" },
        all: { type: "boolean" },
        output: { type: "string", short: "o" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\.$/, ""), { cause: error });
  }
  if (values.help) return undefined;
  if (values.all) {
    if (values.target !== undefined || values.output !== undefined) {
      throw new UsageError("Cannot combine --all with --target or --output");
    }
    return (Object.keys(TARGETS) as Target[]).map((target) => ({
      target,
      output: `${DEFAULT_OUTPUT}-${target}`,
    }));
  }
  const target = values.target === undefined ? undefined : resolveTarget(values.target);
  const output = values.output ??
    (target === undefined ? DEFAULT_OUTPUT : `${DEFAULT_OUTPUT}-${target}`);
  if (output === "") throw new UsageError("Invalid --output: the path is empty");
  return [{ target, output }];
}

/** The `deno compile` arguments for one build. Paths are relative to the project root. */
export function compileArgs(build: Build): string[] {
  return [
    "compile",
    "-q",
    `-P=${PERMISSION_SET}`,
    `--v8-flags=${V8_FLAGS}`,
    ...(build.target === undefined ? [] : ["--target", build.target]),
    // Workers are not found by deno compile's graph walk: each entry module is named here.
    ...WORKER_MODULES.flatMap((module) => ["--include", module]),
    "--output",
    build.output,
    "main.ts",
  ];
}

/** Explains a failed `deno compile`, naming DENORT_BIN when the runtime could not be fetched. */
function failureMessage(build: Build, options: { code: number; stderr: string }): string {
  const target = build.target ?? Deno.build.target;
  const what = `Cannot compile for ${target}`;
  const denortBin = Deno.env.get("DENORT_BIN");
  if (denortBin) {
    return `${what}: deno compile exited with code ${options.code}; check that DENORT_BIN ` +
      `("${denortBin}") is the denort binary of Deno ${Deno.version.deno} for ${target}`;
  }
  if (/denort|dl\.deno\.land|base binary/i.test(options.stderr)) {
    return `${what}: deno compile could not download the denort runtime from dl.deno.land; ` +
      `set DENORT_BIN to the denort binary of Deno ${Deno.version.deno} for ${target}, or run ` +
      `where dl.deno.land is reachable`;
  }
  return `${what}: deno compile exited with code ${options.code}`;
}

/** Runs one build, echoing the command and passing deno's stderr through. Returns success. */
async function runBuild(build: Build): Promise<boolean> {
  const args = compileArgs(build);
  printText(`deno ${args.join(" ")}`);
  await Deno.mkdir(resolve(ROOT, dirname(build.output)), { recursive: true });
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  if (text.trim() !== "") printNotice(text);
  if (code === 0) return true;
  printNotice(`compile: ${failureMessage(build, { code, stderr: text })}`);
  return false;
}

/**
 * Makes a user's output path relative to the project root, where deno compile runs. A relative
 * path is taken from where the user ran `deno task` (INIT_CWD), not from the root it moves to.
 */
function fromRoot(path: string): string {
  const absolute = resolve(Deno.env.get("INIT_CWD") ?? Deno.cwd(), path);
  const inside = relative(ROOT, absolute);
  return inside.startsWith("..") || isAbsolute(inside) ? absolute : inside;
}

async function main(args: string[]): Promise<number> {
  let builds: Build[] | undefined;
  try {
    builds = planBuilds(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    printNotice(`compile: ${error.message}\nRun "deno task compile --help" for usage.`);
    return EXIT_CODES.usage;
  }
  if (builds === undefined) {
    printText(USAGE);
    return EXIT_CODES.ok;
  }
  if (builds.length > 1 && Deno.env.get("DENORT_BIN")) {
    // deno compile uses DENORT_BIN for whatever target it is asked for, so one value cannot
    // serve several targets: three of four binaries would carry the wrong runtime.
    printNotice(
      "compile: Cannot build --all with DENORT_BIN set: it names one runtime, for one target; " +
        "build each target with --target and its own DENORT_BIN",
    );
    return EXIT_CODES.usage;
  }
  let failed = 0;
  for (const build of builds) {
    if (!(await runBuild({ ...build, output: fromRoot(build.output) }))) failed++;
  }
  if (builds.length > 1) {
    printText(`${builds.length - failed} built, ${failed} failed`);
  }
  return failed === 0 ? EXIT_CODES.ok : EXIT_CODES.internal;
}

// Deno.exitCode rather than Deno.exit: main.ts is the only file that calls Deno.exit.
if (import.meta.main) Deno.exitCode = await main(Deno.args);
