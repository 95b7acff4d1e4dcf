import { z } from "zod";
import { getCluster } from "../../db/clusters.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import { CLUSTER, clusterOf, EXAMPLE_CLUSTER } from "../../clusters/cluster.ts";

/** `clusters.get`: one cluster. */
export const get = defineMethod({
  name: "clusters.get",
  summary: "Show one cluster",
  description: "Returns the stored settings of a cluster.",
  params: z.strictObject({ id: z.number().int().positive().describe("Cluster id") }),
  result: CLUSTER,
  errors: ["not_found"],
  examples: [{ name: "get", params: { id: 1 }, result: EXAMPLE_CLUSTER }],
  handler(params, ctx: MethodContext) {
    return Promise.resolve(clusterOf(getCluster(ctx.db, params.id)));
  },
});
