import { z } from "zod";
import { clusterOf } from "../../clusters/cluster.ts";
import { getCluster } from "../../db/clusters.ts";
import { adoptSlurmJob } from "../../engine/adopt_job.ts";
import { defineMethod } from "../../rpc/define_method.ts";
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
    const job = await adoptSlurmJob(ctx.engine, {
      cluster,
      slurmJobId: params.slurm_job_id,
      signal: ctx.signal,
    });
    return { pk: job.pk };
  },
});
