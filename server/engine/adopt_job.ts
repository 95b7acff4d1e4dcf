/**
 * Adopting a SLURM job submitted by hand: record it and track it like one the daemon submitted.
 *
 * @module
 */
import { type Cluster, execOn } from "../clusters/cluster.ts";
import { findJobBySlurmId } from "../db/jobs.ts";
import { ConflictError, NotFoundError, SlurmRejectedError } from "../errors.ts";
import { jobDirPath, slugOf } from "../jobs/job_dir.ts";
import type { JobRow } from "../model/job.ts";
import { type Exec, firstLine, scontrolJob } from "../slurm/commands.ts";
import { mapSlurmState } from "../slurm/states.ts";
import type { Engine } from "./engine.ts";

/**
 * Records SLURM job `slurmJobId` on `cluster` as a job, from what scontrol says of it.
 * @throws {ConflictError} when it is tracked already; {NotFoundError} when SLURM does not know it
 */
export async function adoptSlurmJob(
  engine: Engine,
  request: { cluster: Cluster; slurmJobId: string; signal?: AbortSignal },
): Promise<JobRow> {
  const { store } = engine;
  const { cluster, slurmJobId } = request;
  const existing = findJobBySlurmId(store.db, cluster.id, slurmJobId);
  if (existing) {
    throw new ConflictError(`SLURM job ${slurmJobId} is already tracked as job ${existing.pk}`, {
      data: { pk: existing.pk },
    });
  }
  const run = execOn(engine.ssh, cluster, request.signal);
  let stderr = "";
  const exec: Exec = async (argv) => {
    const result = await run(argv);
    stderr = result.stderr;
    return result;
  };
  const job = await scontrolJob(exec, slurmJobId);
  if (!job) {
    const said = firstLine(stderr);
    throw new NotFoundError(
      `SLURM job ${slurmJobId} is not known on "${cluster.name}"${said ? `: ${said}` : ""}`,
    );
  }
  if (!job.work_dir || !job.std_out) {
    throw new SlurmRejectedError(
      `Cannot adopt SLURM job ${slurmJobId}: scontrol shows no WorkDir or StdOut`,
    );
  }
  const outName = job.std_out.split("/").at(-1)!;
  const input = await exec(["cat", `${job.work_dir}/INPUT`]);
  const row = await store.insert({
    uuid: crypto.randomUUID(),
    name: job.name || `slurm-${slurmJobId}`,
    dft_code: "crystal",
    runner_type: "slurm",
    cluster_id: cluster.id,
    input: input.code === 0 ? input.stdout : "",
    properties_input: null,
    restart_from: null,
    tags: ["adopted"],
    resources: {},
    output_name: outName.endsWith(".out") ? outName.slice(0, -4) : outName,
  });
  await store.update(row.pk, {
    work_dir: jobDirPath(engine.config.dataDir, row.pk, slugOf(row.name)),
    remote_dir: job.work_dir,
    slurm_job_id: slurmJobId,
    submit_step: "submitted",
    remote_state: job.state,
  });
  const adopted = await store.transition(
    row.pk,
    mapSlurmState(job.state) === "running" ? "running" : "submitted",
    { reason: `adopted SLURM job ${slurmJobId} (${job.state})` },
  );
  engine.runners.of("slurm").wake(cluster.id);
  return adopted;
}
