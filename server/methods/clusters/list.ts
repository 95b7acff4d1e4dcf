import { z } from "zod";
import { listClusters } from "../../db/clusters.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import { CLUSTER, clusterOf, EXAMPLE_CLUSTER } from "../../clusters/cluster.ts";

/** `clusters.list`: every registered cluster. */
export const list = defineMethod({
  name: "clusters.list",
  summary: "List registered clusters",
  description: "Returns every cluster, by name.",
  params: z.strictObject({}),
  result: z.strictObject({ clusters: z.array(CLUSTER).describe("Clusters, by name") }),
  errors: [],
  examples: [{ name: "one cluster", params: {}, result: { clusters: [EXAMPLE_CLUSTER] } }],
  handler(_params, ctx: MethodContext) {
    return Promise.resolve({ clusters: listClusters(ctx.db).map(clusterOf) });
  },
});
