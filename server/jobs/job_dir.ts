/**
 * Job directories: `<dataDir>/jobs/<pk>-<slug>/`, their input files, and safe access to the files
 * in them. Nothing outside a job's directory can be read through these functions.
 *
 * @module
 */
import { join, relative, resolve, sep } from "node:path";
import { InvalidStateError, NotFoundError } from "../errors.ts";
import type { RunPhase } from "./outcome.ts";

/** The input file CRYSTAL reads on stdin. */
export const INPUT_FILE = "INPUT";
/** The properties input, run after a successful SCF. */
export const PROPERTIES_INPUT_FILE = "INPUT.d3";
/** The geometry file CRYSTAL reads for an `EXTERNAL` deck. */
export const FORT34_FILE = "fort.34";
/** Files copied from an earlier job to restart from its wave function and geometry. */
export const RESTART_FILES = ["fort.9", "fort.20", "fort.34"] as const;

/** A file-system-safe slug of a job name: lower case letters, digits, `-` and `_`, at most 40. */
export function slugOf(name: string): string {
  const slug = name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9_-]+/g, "-").replace(
    /^-+|-+$/g,
    "",
  );
  return (slug || "job").slice(0, 40);
}

/** The directory of job `pk` named `name`. */
export function jobDirPath(dataDir: string, pk: number, name: string): string {
  return join(dataDir, "jobs", `${pk}-${slugOf(name)}`);
}

/** Writes a file atomically: a temporary file, then a rename, so no half-written input exists. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${crypto.randomUUID()}`;
  await Deno.writeTextFile(temp, text, { mode: 0o600 });
  await Deno.rename(temp, path);
}

/**
 * Creates the job directory and writes its inputs; copies restart files from `restartDir`. A
 * fort.34 given with the job is written last, so it wins over one a restart copied.
 */
export async function prepareJobDir(
  dir: string,
  inputs: {
    input: string;
    propertiesInput: string | null;
    restartDir: string | null;
    fort34?: string | null | undefined;
  },
): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(dir, INPUT_FILE), inputs.input);
  if (inputs.propertiesInput !== null) {
    await writeFileAtomic(join(dir, PROPERTIES_INPUT_FILE), inputs.propertiesInput);
  }
  const copied: string[] = [];
  if (inputs.restartDir !== null) {
    for (const name of RESTART_FILES) {
      try {
        await Deno.copyFile(join(inputs.restartDir, name), join(dir, name));
        await Deno.chmod(join(dir, name), 0o600);
        copied.push(name);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
    if (copied.length === 0) {
      throw new InvalidStateError(
        `Cannot restart from "${inputs.restartDir}": it has none of ${RESTART_FILES.join(", ")}`,
      );
    }
    // CRYSTAL reads a guess from fort.20; the previous run left its wave function in fort.9.
    if (copied.includes("fort.9") && !copied.includes("fort.20")) {
      await Deno.copyFile(join(dir, "fort.9"), join(dir, "fort.20"));
      copied.push("fort.20");
    }
  }
  if (inputs.fort34 !== undefined && inputs.fort34 !== null) {
    await writeFileAtomic(join(dir, FORT34_FILE), inputs.fort34);
  }
  return copied;
}

/** One file in a job directory. */
export interface JobFile {
  name: string;
  size: number;
  mtime: string | null;
}

/** Lists the regular files of a job directory, sorted by name; empty when it does not exist. */
export async function listJobFiles(dir: string): Promise<JobFile[]> {
  const files: JobFile[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || entry.name.includes(".tmp-")) continue;
      const info = await Deno.stat(join(dir, entry.name));
      files.push({ name: entry.name, size: info.size, mtime: info.mtime?.toISOString() ?? null });
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return files.sort((a, b) => a.name.localeCompare(b.name));
}

/** True for a relative path that climbs out of its base (`..`, `../x`), not for `..notes`. */
function isOutside(relativePath: string): boolean {
  return relativePath === ".." || relativePath.startsWith(`..${sep}`) ||
    relativePath.startsWith(sep);
}

/**
 * Resolves `name` inside `dir`, refusing anything that leaves it: absolute paths, `..`, and
 * symlinks that point outside (the real path is checked, not only the spelling).
 * @throws {NotFoundError} for a missing file, {InvalidStateError} never; a refused path is NotFound
 *   too, so a probe cannot learn what exists outside the job
 */
export async function resolveJobFile(dir: string, name: string): Promise<string> {
  const refuse = (why: string) =>
    new NotFoundError(`Cannot read "${name}": ${why}`, { data: { name } });
  if (name === "" || name.includes("\0")) throw refuse("not a file name");
  if (name.startsWith("/")) throw refuse("absolute paths are not allowed");
  const candidate = resolve(dir, name);
  const inside = relative(dir, candidate);
  if (inside === "" || isOutside(inside)) {
    throw refuse("it is outside the job directory");
  }
  let real: string;
  let realDir: string;
  try {
    [real, realDir] = await Promise.all([Deno.realPath(candidate), Deno.realPath(dir)]);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw refuse("no such file in the job directory");
    throw error;
  }
  const realInside = relative(realDir, real);
  if (realInside === "" || isOutside(realInside)) {
    throw refuse("it links outside the job directory");
  }
  const info = await Deno.stat(real);
  if (!info.isFile) throw refuse("not a regular file");
  return real;
}

/** The files of one phase of a run, relative to the job directory. */
export interface PhaseFiles {
  stdin: string;
  stdout: string;
  stderr: string;
  exitCode: string;
}

/** The files of one phase of a run. */
export function phaseFiles(outputName: string, phase: RunPhase): PhaseFiles {
  return phase === "crystal"
    ? {
      stdin: INPUT_FILE,
      stdout: `${outputName}.out`,
      stderr: `${outputName}.err`,
      exitCode: ".exit_code",
    }
    : {
      stdin: INPUT_FILE,
      stdout: `${outputName}.properties.out`,
      stderr: `${outputName}.properties.err`,
      exitCode: ".exit_code_properties",
    };
}

/**
 * Makes the .d3 deck the `INPUT` for the properties run: parallel Pproperties reads INPUT rather
 * than stdin. The .d12 is kept as INPUT.d12.
 */
export async function usePropertiesInput(dir: string): Promise<void> {
  await Deno.copyFile(join(dir, INPUT_FILE), join(dir, "INPUT.d12"));
  await Deno.copyFile(join(dir, PROPERTIES_INPUT_FILE), join(dir, INPUT_FILE));
}
