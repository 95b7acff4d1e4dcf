import { z } from "zod";
import { clusterOf, sshTargetOf } from "../../clusters/cluster.ts";
import { getCluster } from "../../db/clusters.ts";
import { findJobBySlurmId, insertJob, transitionJob, updateJob } from "../../db/jobs.ts";
import { jobDirPath, slugOf } from "../../jobs/job_dir.ts";
import { mapSlurmState } from "../../slurm/states.ts";
import { parseScontrolJob } from "../../slurm/parse.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import { ConflictError, NotFoundError, SlurmRejectedError } from "../../errors.ts";
import type { MethodContext } from "../context.ts";

/** `slurm.adopt`: track a SLURM job that was submitted by hand. */
export const adopt = defineMethod({
  name: "slurm.adopt",
  summary: "Track a SLURM job submitted outside the daemon",
  description:
    "Reads the job's work directory and output path from `scontrol show job`, records a " +
    "job for it and tracks it like one the daemon submitted: its files are fetched and parsed when " +
    "it ends. The CRYSTAL output is taken to be the job's standard output file.",
  params: z.strictObject({
    cluster_id: z.number().int().positive().describe("Cluster id"),
    slurm_job_id: z.string().regex(/^\d+(?:_\d+)?$/, "expected a SLURM job id such as 4242")
      .describe("SLURM job id"),
  }),
  result: z.strictObject({ pk: z.number().int().describe("The new job's id") }),
  errors: ["not_found", "conflict", "ssh_failed", "slurm_rejected"],
  examples: [{
    name: "adopt",
    params: { cluster_id: 1, slurm_job_id: "4242" },
    result: { pk: 12 },
  }],
  async handler(params, ctx: MethodContext) {
    const cluster = clusterOf(getCluster(ctx.db, params.cluster_id));
    const existing = findJobBySlurmId(ctx.db, cluster.id, params.slurm_job_id);
    if (existing) {
      throw new ConflictError(
        `SLURM job ${params.slurm_job_id} is already tracked as job ${existing.pk}`,
        {
          data: { pk: existing.pk },
        },
      );
    }
    const target = sshTargetOf(cluster);
    const shown = await ctx.ssh.exec(
      target,
      ["scontrol", "show", "job", "-o", params.slurm_job_id],
      {
        timeoutMs: 60_000,
        signal: ctx.signal,
      },
    );
    const job = shown.code === 0 ? parseScontrolJob(shown.stdout)[0] : undefined;
    if (!job) {
      throw new NotFoundError(
        `SLURM job ${params.slurm_job_id} is not known on "${cluster.name}"` +
          (shown.stderr.trim() ? `: ${shown.stderr.trim().split("\n")[0]}` : ""),
      );
    }
    if (!job.work_dir || !job.std_out) {
      throw new SlurmRejectedError(
        `Cannot adopt SLURM job ${params.slurm_job_id}: scontrol shows no WorkDir or StdOut`,
      );
    }
    const outName = job.std_out.split("/").at(-1)!;
    const outputName = outName.endsWith(".out") ? outName.slice(0, -4) : outName;
    const input = await ctx.ssh.exec(target, ["cat", `${job.work_dir}/INPUT`], {
      timeoutMs: 60_000,
      signal: ctx.signal,
    });
    const at = ctx.clock.now().toISOString();
    const row = insertJob(ctx.db, {
      uuid: crypto.randomUUID(),
      name: job.name || `slurm-${params.slurm_job_id}`,
      state: "created",
      dft_code: "crystal",
      runner_type: "slurm",
      cluster_id: cluster.id,
      input: input.code === 0 ? input.stdout : "",
      properties_input: null,
      restart_from: null,
      tags: ["adopted"],
      resources: {},
      output_name: outputName,
      at,
    });
    updateJob(ctx.db, row.pk, {
      work_dir: jobDirPath(ctx.config.dataDir, row.pk, slugOf(row.name)),
      remote_dir: job.work_dir,
      slurm_job_id: params.slurm_job_id,
      submit_step: "submitted",
      remote_state: job.state,
    }, at);
    const mapped = mapSlurmState(job.state);
    transitionJob(ctx.db, row.pk, mapped === "running" ? "running" : "submitted", {
      at,
      reason: `adopted SLURM job ${params.slurm_job_id} (${job.state})`,
    });
    ctx.remote.wake(cluster.id);
    return { pk: row.pk };
  },
});
