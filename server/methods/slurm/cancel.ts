import { z } from "zod";
import { clusterOf, execOn } from "../../clusters/cluster.ts";
import { getCluster } from "../../db/clusters.ts";
import { findJobBySlurmId } from "../../db/jobs.ts";
import { isTerminal } from "../../model/job_state.ts";
import { isTerminalSlurmState } from "../../slurm/states.ts";
import { scancelReport, squeueState } from "../../slurm/commands.ts";
import { cancelJob } from "../../engine/cancel_job.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";

/** `slurm.cancel`: scancel one SLURM job. */
export const cancel = defineMethod({
  name: "slurm.cancel",
  summary: "Cancel a SLURM job by its SLURM id",
  description:
    "Runs scancel on the cluster. When the job is one the daemon tracks, it is recorded " +
    "cancelled too (jobs.cancel does the same by pk).",
  params: z.strictObject({
    cluster_id: z.number().int().positive().describe("Cluster id"),
    slurm_job_id: z.string().regex(/^\d+(?:_\d+)?$/, "expected a SLURM job id such as 4242")
      .describe("SLURM job id"),
  }),
  result: z.strictObject({
    success: z.boolean().describe("True when scancel accepted it"),
    message: z.string().describe("What scancel said, or what was done"),
  }),
  errors: ["not_found", "ssh_failed", "timeout"],
  examples: [{
    name: "cancel",
    params: { cluster_id: 1, slurm_job_id: "4242" },
    result: { success: true, message: "Cancelled SLURM job 4242" },
  }],
  async handler(params, ctx: MethodContext) {
    const tracked = findJobBySlurmId(ctx.db, params.cluster_id, params.slurm_job_id);
    if (tracked && !isTerminal(tracked.state)) {
      await cancelJob(ctx.engine, tracked.pk, { signal: ctx.signal });
      return {
        success: true,
        message: `Cancelled SLURM job ${params.slurm_job_id} (job ${tracked.pk})`,
      };
    }
    const cluster = clusterOf(getCluster(ctx.db, params.cluster_id));
    const exec = execOn(ctx.ssh, cluster, ctx.signal);
    const id = params.slurm_job_id;
    // scancel of an unknown or finished job may say nothing and exit 0: ask squeue first.
    const state = await squeueState(exec, { cluster: cluster.name, id });
    if (state === "") {
      return { success: false, message: `SLURM job ${id} is not known on "${cluster.name}"` };
    }
    if (isTerminalSlurmState(state)) {
      return { success: false, message: `SLURM job ${id} has already ended (${state})` };
    }
    return await scancelReport(exec, id);
  },
});
