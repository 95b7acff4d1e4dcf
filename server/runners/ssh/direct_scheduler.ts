/**
 * The direct scheduler of the remote runner, for a plain SSH host with no batch system: a run is
 * a detached process group (its own session, outputs redirected, the exit code written to a
 * file), so it outlives both the SSH connection and the daemon. Runs are known by their marker,
 * never by pid alone: the run script records its pid in `.run_pid` in the job's own directory,
 * and its process carries the job's tag, so a recycled pid is never mistaken for the run.
 * Every command here is fixed text; paths, pids and tags reach it as positional parameters.
 *
 * @module
 */
import { AppError, SlurmRejectedError } from "../../errors.ts";
import { type JobRow, resourcesOf } from "../../model/job.ts";
import { firstLine } from "../../slurm/commands.ts";
import { renderDirectScript } from "../../slurm/script.ts";
import {
  type Launched,
  type Observation,
  runSpecOf,
  type Scheduler,
  type ScriptOptions,
} from "../remote/scheduler.ts";
import { runTag } from "../local/local_runner.ts";

/** The run script's name in the remote job directory. */
export const SCRIPT_FILE = "job.sh";
/** Where the run records its process group id. */
export const PID_FILE = ".run_pid";
/** Made atomically before the run starts: a second launch of the same job refuses to start. */
const LAUNCHED_DIR = ".launched";
/** Exit code of a launch that found the job already started. */
const ALREADY_LAUNCHED = 75;
/** How long a cancelled run gets between SIGTERM and SIGKILL, in tenths of a second. */
const CANCEL_GRACE_TENTHS = 50;

/**
 * Starts the run script in its own session, waits (up to 5 s) for it to record its pid, and
 * prints that pid.
 */
const LAUNCH = [
  'cd "$1" || exit 1',
  `mkdir ${LAUNCHED_DIR} 2>/dev/null || { echo "the run was already started" >&2; exit ${ALREADY_LAUNCHED}; }`,
  'setsid sh "./$2" "$3" </dev/null >/dev/null 2>&1 &',
  `i=0; while [ ! -s ${PID_FILE} ] && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i+1)); done`,
  `cat ${PID_FILE}`,
].join("\n");

/** Prints the recorded pid of an interrupted launch: nothing when it never started. */
const RECOVER = [
  'cd "$1" || exit 1',
  `if [ -s ${PID_FILE} ]; then cat ${PID_FILE}; exit 0; fi`,
  `if [ -d ${LAUNCHED_DIR} ]; then echo launching; fi`,
].join("\n");

/** True (exit 0) while pid $1 is the run tagged $2 whose directory is $3. */
const IS_OURS = 'ours() { ps -o args= -p "$1" 2>/dev/null | grep -qF -- "$2" || ' +
  `{ [ "$(cat "$3/${PID_FILE}" 2>/dev/null)" = "$1" ] && [ ! -f "$3/.exit_code" ] && ` +
  'kill -s 0 -- "-$1" 2>/dev/null; }; }';

/** One line per (dir, pid, tag) triple: running, ended or absent. */
const OBSERVE = [
  IS_OURS,
  'while [ "$#" -ge 3 ]; do',
  '  d="$1"; p="$2"; t="$3"; shift 3',
  '  if ours "$p" "$t" "$d"; then echo running',
  '  elif [ -f "$d/.exit_code" ]; then echo ended',
  "  else echo absent; fi",
  "done",
].join("\n");

/**
 * SIGTERM to the run's process group, SIGKILL after the grace period; only if it is ours.
 * Signals are named with `-s`: dash (Debian's /bin/sh) reads `kill -TERM -- -PGID` as pid "-".
 */
const KILL = [
  IS_OURS,
  'if ours "$1" "$2" "$3"; then',
  '  kill -s TERM -- "-$1" 2>/dev/null',
  '  i=0; while kill -s 0 -- "-$1" 2>/dev/null && [ "$i" -lt "$4" ]; do sleep 0.1; i=$((i+1)); done',
  '  kill -s KILL -- "-$1" 2>/dev/null',
  "fi",
  "true",
].join("\n");

/** Resources a job on a plain host asks for. */
interface DirectResources {
  mpi_ranks?: number;
  ntasks?: number;
  omp_threads?: number;
  cpus_per_task?: number;
}

function pidOf(text: string): number | null {
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 1 ? pid : null;
}

/** The scheduler for hosts without one. */
export const DIRECT_SCHEDULER: Scheduler = {
  type: "ssh",
  label: "the host",
  scriptFile: SCRIPT_FILE,

  idOf: (job) => job.remote_pid === null ? null : String(job.remote_pid),

  script(job: JobRow, options: ScriptOptions): string {
    const { cluster } = options;
    const resources = { ...cluster.default_resources, ...resourcesOf(job) } as DirectResources;
    const ranks = resources.mpi_ranks ?? resources.ntasks ?? 1;
    return renderDirectScript({
      ...runSpecOf(job, options, ranks),
      ranks,
      threads: resources.omp_threads ?? resources.cpus_per_task ?? 1,
      pid_file: PID_FILE,
    });
  },

  async launch(job, transport): Promise<Launched> {
    const result = await transport.exec([
      "sh",
      "-c",
      LAUNCH,
      "sh",
      job.remote_dir!,
      SCRIPT_FILE,
      runTag(job.uuid),
    ]);
    const pid = result.code === 0 ? pidOf(result.stdout) : null;
    if (result.code === ALREADY_LAUNCHED) {
      // Started by an earlier call whose answer was lost: recover() finds its pid.
      throw new AppError("server_error", "the run was already started; its pid is looked up");
    }
    if (pid === null) {
      throw new SlurmRejectedError(`the host did not start the run: ${firstLine(result)}`, {
        data: { reason: firstLine(result) },
      });
    }
    return { fields: { remote_pid: pid }, state: "running", reason: `process group ${pid}` };
  },

  async recover(job, transport): Promise<Launched | null> {
    const result = await transport.exec(["sh", "-c", RECOVER, "sh", job.remote_dir!]);
    const text = result.stdout.trim();
    if (text === "launching") {
      // Started a moment ago and not yet recorded: never start it again; look next poll.
      throw new AppError("server_error", `job ${job.pk} is being started on "${transport.name}"`);
    }
    const pid = pidOf(text);
    return pid === null
      ? null
      : { fields: { remote_pid: pid }, state: "running", reason: `process group ${pid}` };
  },

  async observe(jobs, transport): Promise<Map<number, Observation>> {
    const triples = jobs.flatMap((j) => [j.remote_dir!, String(j.remote_pid), runTag(j.uuid)]);
    const result = await transport.exec(["sh", "-c", OBSERVE, "sh", ...triples]);
    if (result.code !== 0) {
      throw new SlurmRejectedError(
        `Cannot look at the runs on "${transport.name}": ${firstLine(result)}`,
      );
    }
    const words = result.stdout.trim().split("\n");
    const seen = new Map<number, Observation>();
    for (const [i, job] of jobs.entries()) {
      const word = words[i]?.trim();
      seen.set(
        job.pk,
        word === "running"
          ? { kind: "running", word: "RUNNING", where: transport.name }
          : word === "ended"
          ? { kind: "ended", word: null, reason: null }
          : { kind: "absent" },
      );
    }
    return seen;
  },

  async kill(job, transport): Promise<void> {
    await transport.exec([
      "sh",
      "-c",
      KILL,
      "sh",
      String(job.remote_pid),
      runTag(job.uuid),
      job.remote_dir!,
      String(CANCEL_GRACE_TENTHS),
    ], { timeoutMs: 60_000 });
  },
};
