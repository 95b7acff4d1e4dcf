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
  // Every file of the run (outputs, fort.*, the exit code) is the user's alone.
  "umask 077",
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
    env: { ...run.env, [RUN_TAG_VARIABLE]: run.tag },
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

/** The environment variable every process of a run inherits: the run's tag. */
export const RUN_TAG_VARIABLE = "CRYSTALMATH_RUN_TAG";

/**
 * True while any process of the run's group is alive (zombies aside) and is the run's: it
 * carries the run's tag in its arguments (the wrapper) or, on Linux, in its environment (the
 * programs the wrapper started). The group, not the leader: the wrapper shell may be gone while a
 * program that ignored SIGTERM lives on. The tag, not the pid alone: after a reboot the pid may
 * belong to anything.
 */
export async function isRunAlive(pgid: number, tag: string): Promise<boolean> {
  const out = await new Deno.Command("ps", {
    // -ww: whole command lines, or the tag at the end of the wrapper's would be cut off.
    args: ["-A", "-ww", "-o", "pid=", "-o", "pgid=", "-o", "stat=", "-o", "args="],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!out.success) return false;
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const [pid, group, stat, ...args] = line.trim().split(/\s+/);
    if (Number(group) !== pgid || stat === undefined || stat.startsWith("Z")) continue;
    if (args.includes(tag) || await environmentHas(Number(pid), `${RUN_TAG_VARIABLE}=${tag}`)) {
      return true;
    }
  }
  return false;
}

/**
 * True when process `pid`'s environment holds `entry`. `ps e` shows it after the command on
 * Linux and macOS alike (reading /proc/PID/environ would need every permission under Deno).
 */
async function environmentHas(pid: number, entry: string): Promise<boolean> {
  const out = await new Deno.Command("ps", {
    args: ["eww", "-o", "command=", "-p", String(pid)],
    stdout: "piped",
    stderr: "null",
  }).output();
  return out.success && new TextDecoder().decode(out.stdout).split(/\s+/).includes(entry);
}

/**
 * The process group of the live run whose wrapper carries `tag` (its `$0`), or null. Used when a
 * run started but its pid was never recorded.
 */
export async function findRunByTag(tag: string): Promise<number | null> {
  const out = await new Deno.Command("ps", {
    args: ["-A", "-ww", "-o", "pgid=", "-o", "stat=", "-o", "args="],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!out.success) return null;
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const [group, stat, ...args] = line.trim().split(/\s+/);
    if (stat?.startsWith("Z") || !args.includes(tag)) continue;
    const pgid = Number(group);
    if (Number.isSafeInteger(pgid) && pgid > 1) return pgid;
  }
  return null;
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
