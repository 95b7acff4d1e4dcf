import { z } from "zod";
import { getCluster } from "../../db/clusters.ts";
import { JOB_STATES } from "../../model/job_state.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";

/** `slurm.sync`: reconcile tracked remote jobs now. */
export const sync = defineMethod({
  name: "slurm.sync",
  summary: "Check every tracked remote job now (one cluster, or all)",
  description:
    "Polls the cluster(s) at once, one squeue call per cluster, fetches and parses the " +
    "results of jobs that ended, and reports what changed. Unreachable clusters are reported in " +
    "errors; their jobs keep their state.",
  params: z.strictObject({
    cluster_id: z.number().int().positive().optional().describe("Only this cluster"),
  }),
  result: z.strictObject({
    clusters: z.number().int().describe("Clusters polled"),
    checked: z.number().int().describe("Active jobs looked at"),
    changed: z.array(z.strictObject({
      pk: z.number().int(),
      from: z.enum(JOB_STATES),
      to: z.enum(JOB_STATES),
      reason: z.string().nullable(),
    })).describe("State changes"),
    errors: z.array(z.strictObject({ cluster_id: z.number().int(), message: z.string() }))
      .describe("Clusters that could not be polled"),
  }),
  errors: ["not_found"],
  examples: [{
    name: "one job finished",
    params: {},
    result: {
      clusters: 1,
      checked: 3,
      changed: [{ pk: 7, from: "running", to: "completed", reason: "Normal termination" }],
      errors: [],
    },
  }],
  async handler(params, ctx: MethodContext) {
    if (params.cluster_id !== undefined) getCluster(ctx.db, params.cluster_id);
    return await ctx.engine.runners.sync(params.cluster_id);
  },
});
