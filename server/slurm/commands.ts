/**
 * Every SLURM command line the daemon runs, built from argv in one place, and the checks of
 * their answers, over an injected `exec` (the SSH pool in the daemon, a script in tests). The
 * SLURM runner and the `slurm.*` handlers share these.
 *
 * @module
 */
import { SlurmRejectedError } from "../errors.ts";
import {
  parseSacct,
  parseSbatchParsable,
  parseScontrolJob,
  parseSqueueText,
  type QueueEntry,
  SACCT_FIELDS,
  type ScontrolJob,
  SQUEUE_FORMAT,
} from "./parse.ts";

/** What a command printed and how it ended. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs argv on the cluster. */
export type Exec = (argv: readonly string[]) => Promise<CommandResult>;

/** The first line of a command's error output, or its exit code when it printed none. */
export function firstLine(result: CommandResult | string): string {
  const text = typeof result === "string" ? result : result.stderr;
  const line = text.trim().split("\n")[0] ?? "";
  return line || (typeof result === "string" ? "" : `exit code ${result.code}`);
}

/** Throws SlurmRejectedError for a command that did not exit 0. */
function check(result: CommandResult, what: string, cluster: string): CommandResult {
  if (result.code !== 0) {
    throw new SlurmRejectedError(`${what} failed on "${cluster}": ${firstLine(result)}`);
  }
  return result;
}

/**
 * The squeue job list for `ids`. A single purged id makes squeue fail; two copies of it make it
 * succeed and omit it.
 */
function jobList(ids: readonly string[]): string {
  return (ids.length === 1 ? [ids[0]!, ids[0]!] : ids).join(",");
}

/** squeue for a set of jobs, every state: one call however many jobs. */
export async function squeueJobs(
  exec: Exec,
  query: { cluster: string; ids: readonly string[] },
): Promise<Map<string, QueueEntry>> {
  const result = check(
    await exec([
      "squeue",
      "--noheader",
      "--states=all",
      `--jobs=${jobList(query.ids)}`,
      "-o",
      SQUEUE_FORMAT,
    ]),
    "squeue",
    query.cluster,
  );
  return new Map(parseSqueueText(result.stdout).map((entry) => [entry.job_id, entry]));
}

/** The cluster's queue, for one user, all users, or one partition. */
export async function squeueQueue(
  exec: Exec,
  query: { cluster: string; user?: string | undefined; partition?: string | undefined },
): Promise<QueueEntry[]> {
  const argv = ["squeue", "--noheader", "-o", SQUEUE_FORMAT];
  if (query.user !== undefined) argv.push(`--user=${query.user}`);
  if (query.partition !== undefined) argv.push(`--partition=${query.partition}`);
  return parseSqueueText(check(await exec(argv), "squeue", query.cluster).stdout);
}

/** The state word squeue shows for one job ("" when it does not know the job). */
export async function squeueState(
  exec: Exec,
  query: { cluster: string; id: string },
): Promise<string> {
  const result = check(
    await exec([
      "squeue",
      "--noheader",
      "--states=all",
      `--jobs=${jobList([query.id])}`,
      "-o",
      "%T",
    ]),
    "squeue",
    query.cluster,
  );
  return result.stdout.trim().split("\n")[0]?.trim() ?? "";
}

/** The SLURM id of the job named `name`, or null. */
export async function squeueIdByName(
  exec: Exec,
  query: { cluster: string; name: string },
): Promise<string | null> {
  const result = check(
    await exec(["squeue", "--noheader", "--states=all", `--name=${query.name}`, "-o", "%i"]),
    "squeue",
    query.cluster,
  );
  return result.stdout.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? null;
}

/** What `scontrol show job` knows of a job, or undefined. */
export async function scontrolJob(exec: Exec, id: string): Promise<ScontrolJob | undefined> {
  const result = await exec(["scontrol", "show", "job", "-o", id]);
  return result.code === 0 ? parseScontrolJob(result.stdout)[0] : undefined;
}

/** What accounting knows of a job's end, where the cluster has accounting. */
export async function sacctState(exec: Exec, id: string): Promise<string | undefined> {
  const result = await exec([
    "sacct",
    "-P",
    "-n",
    "-X",
    `--jobs=${id}`,
    `--format=${SACCT_FIELDS}`,
  ]);
  if (result.code !== 0) return undefined;
  return parseSacct(result.stdout).find((r) => r.job_id === id)?.state;
}

/** scancel; a job that has already ended is not an error. */
export async function scancel(exec: Exec, query: { cluster: string; id: string }): Promise<void> {
  const result = await exec(["scancel", query.id]);
  if (result.code !== 0 && !/Invalid job id|already completing|completed/i.test(result.stderr)) {
    throw new SlurmRejectedError(
      `scancel ${query.id} failed on "${query.cluster}": ${firstLine(result)}`,
    );
  }
}

/** scancel as the `slurm.cancel` method reports it: whether it took, and what scancel said. */
export async function scancelReport(
  exec: Exec,
  id: string,
): Promise<{ success: boolean; message: string }> {
  const result = await exec(["scancel", id]);
  const problem = result.stderr.split("\n").find((line) => /error/i.test(line));
  return result.code === 0 && problem === undefined
    ? { success: true, message: `Cancelled SLURM job ${id}` }
    : {
      success: false,
      message: (problem ?? result.stderr).trim() || `scancel exited with ${result.code}`,
    };
}

/**
 * Runs sbatch in the job directory and records its answer in the marker file in one remote step.
 * Fixed text: the paths reach it as positional parameters.
 */
const SUBMIT = 'cd "$1" && sbatch --parsable "$2" > "$3.tmp" && mv "$3.tmp" "$3" && cat "$3"';

/** sbatch's answer, or its refusal (a SlurmRejectedError naming what it said). */
export async function sbatch(
  exec: Exec,
  query: { cluster: string; dir: string; script: string; marker: string },
): Promise<string> {
  const result = await exec(["sh", "-c", SUBMIT, "sh", query.dir, query.script, query.marker]);
  if (result.code !== 0) {
    throw new SlurmRejectedError(`sbatch refused the job: ${firstLine(result)}`, {
      data: { reason: firstLine(result) },
    });
  }
  return parseSbatchParsable(result.stdout).job_id;
}

/** The SLURM id recorded in a marker file's text, or null. */
export function markerJobId(text: string): string | null {
  try {
    return parseSbatchParsable(text).job_id;
  } catch (error) {
    // A marker cut short (the disk filled while sbatch answered) says nothing: look it up by name.
    if (error instanceof SyntaxError || error instanceof TypeError) return null;
    throw error;
  }
}
