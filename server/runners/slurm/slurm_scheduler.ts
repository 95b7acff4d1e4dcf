/**
 * The SLURM scheduler of the remote runner: sbatch with a marker file, one squeue per poll for
 * every tracked job, then scontrol and sacct for a job squeue no longer shows, and scancel.
 *
 * @module
 */
import { join } from "node:path";
import { type JobRow, resourcesOf } from "../../model/job.ts";
import { renderSbatchScript } from "../../slurm/script.ts";
import {
  type Exec,
  markerJobId,
  sacctState,
  sbatch,
  scancel,
  scontrolJob,
  squeueIdByName,
  squeueJobs,
} from "../../slurm/commands.ts";
import { isTerminalSlurmState, mapSlurmState } from "../../slurm/states.ts";
import {
  type Launched,
  type Observation,
  runSpecOf,
  type Scheduler,
  type ScriptOptions,
  type Transport,
} from "../remote/scheduler.ts";

/** The batch script's name in the remote job directory. */
export const SCRIPT_FILE = "job.sbatch";
/** Where the remote side records sbatch's answer. */
export const MARKER_FILE = ".sbatch_id";

/** Slurm-side resources a job may ask for. */
export interface SlurmResources {
  nodes?: number;
  ntasks?: number;
  cpus_per_task?: number;
  time?: string;
  mem?: string;
  mpi_ranks?: number;
}

/** The tag of a job: its SLURM job name and comment. */
export function slurmTag(uuid: string): string {
  return `crystalmath-${uuid}`;
}

/** What squeue's or scontrol's state word means for a tracked job. */
function observationOf(word: string, detail: { reason: string; nodes: string }): Observation {
  const mapped = mapSlurmState(word);
  // SLURM prints "None" where there is no reason; it is not one.
  const reason = detail.reason === "None" ? "" : detail.reason;
  if (mapped === "queued") {
    return reason === "DependencyNeverSatisfied"
      ? { kind: "dependency_never" }
      : { kind: "queued", word, reason: reason || "pending" };
  }
  if (mapped === "running") return { kind: "running", word, where: detail.nodes || "the cluster" };
  if (mapped === "cancelled") return { kind: "cancelled", word, reason: reason || null };
  if (mapped === "completed" || mapped === "failed") {
    return { kind: "ended", word, reason: reason || null };
  }
  return { kind: "unchanged", word };
}

function execOf(transport: Transport): Exec {
  return (argv) => transport.exec(argv);
}

/** The SLURM scheduler. */
export const SLURM_SCHEDULER: Scheduler = {
  type: "slurm",
  label: "SLURM",
  scriptFile: SCRIPT_FILE,

  idOf: (job) => job.slurm_job_id,

  script(job: JobRow, options: ScriptOptions): string {
    const { cluster } = options;
    const resources = {
      ...cluster.default_resources,
      ...resourcesOf(job) as SlurmResources,
    };
    const ranks = resources.mpi_ranks ?? resources.ntasks ?? 1;
    return renderSbatchScript({
      ...runSpecOf(job, options, ranks),
      job_name: slurmTag(job.uuid),
      comment: slurmTag(job.uuid),
      ...(cluster.partition ? { partition: cluster.partition } : {}),
      ...(cluster.account ? { account: cluster.account } : {}),
      ...(resources.nodes ? { nodes: resources.nodes } : {}),
      ...(resources.ntasks ?? resources.mpi_ranks
        ? { ntasks: resources.ntasks ?? resources.mpi_ranks }
        : {}),
      ...(resources.cpus_per_task ? { cpus_per_task: resources.cpus_per_task } : {}),
      ...(resources.time ? { time: resources.time } : {}),
      ...(resources.mem ? { mem: resources.mem } : {}),
      ...(options.after.length ? { dependency_after_ok: options.after } : {}),
    });
  },

  async launch(job, transport): Promise<Launched> {
    const id = await sbatch(execOf(transport), {
      cluster: transport.name,
      dir: job.remote_dir!,
      script: SCRIPT_FILE,
      marker: MARKER_FILE,
    });
    return { fields: { slurm_job_id: id }, state: "submitted", reason: `SLURM job ${id}` };
  },

  async recover(job, transport): Promise<Launched | null> {
    const marker = await transport.readText(join(job.remote_dir!, MARKER_FILE));
    const id = (marker === null ? null : markerJobId(marker)) ??
      await squeueIdByName(execOf(transport), {
        cluster: transport.name,
        name: slurmTag(job.uuid),
      });
    return id === null
      ? null
      : { fields: { slurm_job_id: id }, state: "queued", reason: `SLURM job ${id}` };
  },

  async observe(jobs, transport): Promise<Map<number, Observation>> {
    const exec = execOf(transport);
    const entries = await squeueJobs(exec, {
      cluster: transport.name,
      ids: jobs.map((j) => j.slurm_job_id!),
    });
    const seen = new Map<number, Observation>();
    for (const job of jobs) {
      const entry = entries.get(job.slurm_job_id!);
      seen.set(
        job.pk,
        entry
          ? observationOf(entry.state, { reason: entry.state_reason, nodes: entry.node_list })
          : await observeAbsent(job, transport),
      );
    }
    return seen;
  },

  async kill(job, transport): Promise<void> {
    await scancel(execOf(transport), { cluster: transport.name, id: job.slurm_job_id! });
  },
};

/** A job squeue no longer shows: finished and purged, or lost. Its exit-code file decides first. */
async function observeAbsent(job: JobRow, transport: Transport): Promise<Observation> {
  if (await transport.readText(join(job.remote_dir!, ".exit_code")) !== null) {
    return { kind: "ended", word: null, reason: null };
  }
  const exec = execOf(transport);
  const known = await scontrolJob(exec, job.slurm_job_id!);
  if (known && mapSlurmState(known.state) !== "unknown") {
    return observationOf(known.state, { reason: known.reason ?? "", nodes: "" });
  }
  // Purged from the controller (MinJobAge): accounting, where the cluster has it, still knows.
  const accounted = await sacctState(exec, job.slurm_job_id!);
  if (accounted !== undefined && isTerminalSlurmState(accounted)) {
    return observationOf(accounted, { reason: "", nodes: "" });
  }
  return { kind: "absent" };
}
