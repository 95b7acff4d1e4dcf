/**
 * Running a CRYSTAL program for a job so that it outlives the daemon: a detached `sh` in its own
 * session and process group redirects the files itself (`INPUT` on stdin, `<name>.out`,
 * `<name>.err`) and writes the exit code to a file when the program ends. The daemon can die and
 * come back; the run, its output and its exit code are not lost.
 *
 * @module
 */
import { join } from "node:path";

/**
 * The wrapper script. Fixed text: job names, paths and arguments reach it only as positional
 * parameters, never pasted into the script.
 */
const WRAPPER = [
  'stdin_file="$1"; out_file="$2"; err_file="$3"; code_file="$4"; shift 4',
  '"$@" < "$stdin_file" > "$out_file" 2> "$err_file"',
  "code=$?",
  'printf "%s\\n" "$code" > "$code_file.tmp" && mv "$code_file.tmp" "$code_file"',
].join("\n");

/** What to run and where its streams go, all relative to the job directory. */
export interface ProgramRun {
  /** The job directory (the working directory). */
  dir: string;
  /** A tag that identifies the run's process: `crystalmath-job-<uuid>`. */
  tag: string;
  /** argv: the launcher and program, e.g. `["mpirun", "-np", "4", "Pcrystal"]` or `["crystal"]`. */
  argv: readonly string[];
  stdin: string;
  stdout: string;
  stderr: string;
  /** File that receives the exit code. */
  exitCodeFile: string;
  env?: Record<string, string>;
}

/** Starts the run detached and returns the pid of its process group leader. */
export function startProgram(
  run: ProgramRun,
): { pid: number; status: Promise<Deno.CommandStatus> } {
  const child = new Deno.Command("/bin/sh", {
    args: [
      "-c",
      WRAPPER,
      run.tag,
      run.stdin,
      run.stdout,
      run.stderr,
      run.exitCodeFile,
      ...run.argv,
    ],
    cwd: run.dir,
    detached: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    ...(run.env ? { env: run.env } : {}),
  }).spawn();
  child.unref();
  return { pid: child.pid, status: child.status };
}

/** Reads the exit code a run recorded, or undefined when it has not finished (or was killed). */
export async function readExitCode(dir: string, exitCodeFile: string): Promise<number | undefined> {
  try {
    const code = Number.parseInt(await Deno.readTextFile(join(dir, exitCodeFile)), 10);
    return Number.isInteger(code) ? code : undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * True when `pid` is alive and is the run tagged `tag` (its command line carries the tag), so a
 * recycled pid is never mistaken for a job.
 */
export async function isRunAlive(pid: number, tag: string): Promise<boolean> {
  const out = await new Deno.Command("ps", {
    args: ["-o", "args=", "-p", String(pid)],
    stdout: "piped",
    stderr: "null",
  }).output();
  return out.success && new TextDecoder().decode(out.stdout).includes(tag);
}

/** Sends `signal` to the run's whole process group (the launcher, MPI ranks and all). */
export function signalRun(pid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(-pid, signal);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false; // Already gone.
    throw error;
  }
}
