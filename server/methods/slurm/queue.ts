import { z } from "zod";
import { clusterOf, execOn } from "../../clusters/cluster.ts";
import { getCluster } from "../../db/clusters.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import { squeueQueue } from "../../slurm/commands.ts";
import type { MethodContext } from "../context.ts";

/** `slurm.queue`: what SLURM has queued and running on a cluster. */
export const queue = defineMethod({
  name: "slurm.queue",
  summary: "List a cluster's SLURM queue",
  description: 'Runs squeue on the cluster over the pooled SSH connection. `user` is "me" (the ' +
    'cluster user, the default), another user name, or "all".',
  params: z.strictObject({
    cluster_id: z.number().int().positive().describe("Cluster id"),
    user: z.string().regex(
      /^(?:me|all|[A-Za-z_][A-Za-z0-9_.-]{0,31})$/,
      "expected me, all or a user name",
    )
      .default("me").describe("Whose jobs: me, all, or a user name"),
    partition: z.string().regex(/^[A-Za-z0-9._-]+$/, "expected a partition name").optional()
      .describe("Only this partition"),
  }),
  result: z.strictObject({
    entries: z.array(z.strictObject({
      job_id: z.string(),
      name: z.string(),
      user: z.string(),
      partition: z.string(),
      state: z.string(),
      nodes: z.number().int().nullable(),
      time_used: z.string(),
      time_limit: z.string(),
      node_list: z.string(),
      state_reason: z.string(),
    })).describe("Queue entries, as squeue lists them"),
  }),
  errors: ["not_found", "ssh_failed", "slurm_rejected", "timeout"],
  examples: [{
    name: "my jobs",
    params: { cluster_id: 1 },
    result: {
      entries: [{
        job_id: "4242",
        name: "crystalmath-6f1c3f0e-8a4b-4f2e-9a51-2d1f0c7b5e11",
        user: "jdoe",
        partition: "standard",
        state: "RUNNING",
        nodes: 1,
        time_used: "1:02:03",
        time_limit: "1-00:00:00",
        node_list: "node017",
        state_reason: "None",
      }],
    },
  }],
  async handler(params, ctx: MethodContext) {
    const cluster = clusterOf(getCluster(ctx.db, params.cluster_id));
    const exec = execOn(ctx.ssh, cluster, ctx.signal);
    const user = params.user === "me"
      ? cluster.username
      : params.user === "all"
      ? undefined
      : params.user;
    return {
      entries: await squeueQueue(exec, {
        cluster: cluster.name,
        user,
        partition: params.partition,
      }),
    };
  },
});
