/**
 * What a remote runner is made of, after AiiDA's Transport x Scheduler: the transport moves
 * files and runs argv on a host (SSH here), the scheduler starts, observes and stops runs there
 * (SLURM, or a detached process on a plain host). The remote runner (remote_runner.ts) holds
 * everything they share: uploads, the per-cluster poll loop, slots, progress, fetching results
 * and classifying them.
 *
 * @module
 */
import type { Cluster } from "../../clusters/cluster.ts";
import { hasBandTokens } from "../../crystal/band_window.ts";
import { type JobRow, type JobUpdate, outputNameOf } from "../../model/job.ts";
import type { CommandResult } from "../../slurm/commands.ts";
import type { RunSpec } from "../../slurm/script.ts";

/** Files and commands on one host, bound to one cluster and the runner's lifetime. */
export interface Transport {
  /** The cluster's name, for messages. */
  readonly name: string;
  exec(argv: readonly string[], options?: { timeoutMs?: number }): Promise<CommandResult>;
  upload(localPath: string, remotePath: string): Promise<void>;
  download(localPath: string, remotePath: string, size: number): Promise<void>;
  writeFile(remotePath: string, text: string): Promise<void>;
  readdir(remotePath: string): Promise<{ name: string; size: number; isFile: boolean }[]>;
  /** A file's text, or null when it cannot be read (missing, mostly). */
  readText(remotePath: string): Promise<string | null>;
}

/** What a poll saw of one tracked job. */
export type Observation =
  /** Waiting for resources; `word` is the scheduler's own state word. */
  | { kind: "queued"; word: string; reason: string }
  | { kind: "running"; word: string; where: string }
  /** It ended (exit-code file, or the scheduler says so): fetch and classify. */
  | { kind: "ended"; word: string | null; reason: string | null }
  /** Cancelled on the host (by its scheduler, an administrator, or a failed dependency). */
  | { kind: "cancelled"; word: string; reason: string | null }
  /** Its dependency failed and the scheduler will never run it: cancel it. */
  | { kind: "dependency_never" }
  /** Seen, in a state that changes nothing for the daemon (a transient scheduler state). */
  | { kind: "unchanged"; word: string }
  /** Not seen, and no exit code: after a few polls in a row it is declared lost. */
  | { kind: "absent" };

/** A started run: the columns that identify it, the state it is in, and why. */
export interface Launched {
  fields: JobUpdate;
  state: "submitted" | "running" | "queued";
  reason: string;
}

/** What a job's run script depends on beside the job and its cluster. */
export interface ScriptOptions {
  cluster: Cluster;
  /** Scheduler ids it must wait for. */
  after: string[];
  /** Where on the host the job it restarts from ran, when it ran there: copied at start. */
  restart_dir?: string | null;
  /** That job's CRYSTAL output file name, in restart_dir. */
  restart_output?: string | null;
}

/** Starts, observes and stops runs on one kind of host. */
export interface Scheduler {
  readonly type: "slurm" | "ssh";
  /** Names the scheduler in reasons ("SLURM", "the host"). */
  readonly label: string;
  /** The run script's file name in the remote job directory. */
  readonly scriptFile: string;
  /** The id that says a job was started (its SLURM id, its process group), or null. */
  idOf(job: JobRow): string | null;
  /** The run script for a job; `after` are scheduler ids it must wait for. */
  script(job: JobRow, options: ScriptOptions): string;
  /**
   * Starts the uploaded job. Throws SlurmRejectedError when the host refuses it (the job then
   * fails) and SshFailedError or TimeoutError when it cannot tell whether it started (the job
   * then goes to unknown and `recover` finds out).
   */
  launch(job: JobRow, transport: Transport): Promise<Launched>;
  /** Finds out whether an interrupted launch started the job: its marker says so, or null. */
  recover(job: JobRow, transport: Transport): Promise<Launched | null>;
  /** Looks at every tracked job of one host, in as few commands as it can (one, mostly). */
  observe(jobs: readonly JobRow[], transport: Transport): Promise<Map<number, Observation>>;
  /** Stops a started job's run. */
  kill(job: JobRow, transport: Transport): Promise<void>;
}

/**
 * What every run script of a job on `cluster` says, whatever the scheduler: where, which
 * programs (the cluster's, or CRYSTAL's usual names), the setup lines, and whether it is an MPI
 * run.
 */
export function runSpecOf(
  job: JobRow,
  options: Pick<ScriptOptions, "cluster" | "restart_dir" | "restart_output">,
  ranks: number,
): RunSpec {
  const { cluster } = options;
  const crystal = cluster.crystal;
  return {
    restart_dir: options.restart_dir ?? null,
    // Band tokens are filled on the host from the SCF's output there (crystal/band_window.ts).
    band_tokens_from: options.restart_dir && options.restart_output &&
        hasBandTokens(job.properties_input)
      ? `${options.restart_dir}/${options.restart_output}`
      : null,
    work_dir: job.remote_dir!,
    output_name: outputNameOf(job),
    setup_commands: cluster.setup_commands,
    crystal: {
      executable: crystal.executable ?? "crystal",
      parallel_executable: crystal.parallel_executable ?? "Pcrystal",
      mpirun: crystal.mpirun ?? "mpirun -np {ranks}",
    },
    properties: job.properties_input === null ? null : {
      executable: crystal.properties ?? "properties",
      parallel_executable: crystal.parallel_properties ?? "Pproperties",
    },
    ...(job.properties_only ? { properties_only: true } : {}),
    parallel: ranks > 1,
  };
}
