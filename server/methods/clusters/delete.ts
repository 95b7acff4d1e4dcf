import { z } from "zod";
import { clusterJobCounts, deleteCluster, getCluster } from "../../db/clusters.ts";
import { cancelClusterJobs } from "../../engine/cancel_job.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import { clusterOf, sshTargetOf } from "../../clusters/cluster.ts";

/** `clusters.delete`: forget a cluster. */
export const remove = defineMethod({
  name: "clusters.delete",
  summary: "Delete a cluster (refused while its jobs are active, unless force)",
  description:
    "Deletes the cluster; its finished jobs stay, detached from it. While jobs on it are " +
    "still active the call is refused. With force, those jobs are cancelled on the cluster " +
    "(scancel) first, so no remote job is left running untracked.",
  params: z.strictObject({
    id: z.number().int().positive().describe("Cluster id"),
    force: z.boolean().default(false).describe("Cancel the cluster's active jobs, then delete"),
  }),
  result: z.strictObject({
    deleted: z.literal(true).describe("Always true"),
    cancelled_jobs: z.array(z.number().int()).describe("Jobs cancelled because of force"),
    detached_jobs: z.number().int().describe("Jobs kept, no longer linked to a cluster"),
  }),
  errors: ["not_found", "invalid_state", "ssh_failed"],
  examples: [{
    name: "delete",
    params: { id: 1 },
    result: { deleted: true, cancelled_jobs: [], detached_jobs: 12 },
  }],
  async handler(params, ctx: MethodContext) {
    const cluster = clusterOf(getCluster(ctx.db, params.id));
    const cancelled: number[] = [];
    if (params.force && clusterJobCounts(ctx.db, params.id).active > 0) {
      for (const job of await cancelClusterJobs(ctx.engine, params.id, { signal: ctx.signal })) {
        cancelled.push(job.pk);
      }
    }
    const { detached_jobs } = deleteCluster(ctx.db, params.id, { force: params.force });
    ctx.ssh.forget(sshTargetOf(cluster).id);
    return { deleted: true as const, cancelled_jobs: cancelled, detached_jobs };
  },
});
