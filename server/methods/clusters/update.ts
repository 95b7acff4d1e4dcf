import { z } from "zod";
import { getCluster, updateCluster } from "../../db/clusters.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import { invalidParamsError } from "../../rpc/dispatch.ts";
import type { MethodContext } from "../context.ts";
import {
  CLEARABLE_FIELDS,
  CLUSTER,
  CLUSTER_FIELDS,
  CLUSTER_UPDATE_FIELDS,
  clusterFields,
  clusterOf,
  EXAMPLE_CLUSTER,
  sshTargetOf,
} from "../../clusters/cluster.ts";
import { isoNow } from "../../clock.ts";

const FIELDS = z.strictObject(CLUSTER_FIELDS);

/** `clusters.update`: change some fields of a cluster. */
export const update = defineMethod({
  name: "clusters.update",
  summary: "Change some fields of a cluster",
  description:
    "Fields not given keep their value; key_file, partition, account, cry23_root, vasp_root " +
    "and aiida can be cleared with null. The merged settings are validated as a whole, and the pooled SSH connection is " +
    "dropped so the next call uses the new settings.",
  params: z.strictObject({
    id: z.number().int().positive().describe("Cluster id"),
    ...CLUSTER_UPDATE_FIELDS,
  }),
  result: CLUSTER,
  errors: ["not_found", "conflict"],
  examples: [{
    name: "move to another partition",
    params: { id: 1, partition: "standard" },
    result: EXAMPLE_CLUSTER,
  }],
  handler(params, ctx: MethodContext) {
    const { id, ...changes } = params as { id: number } & Record<string, unknown>;
    const current = clusterOf(getCluster(ctx.db, id));
    const { id: _id, created_at: _c, updated_at: _u, ...stored } = current;
    const merged: Record<string, unknown> = { ...stored, ...changes };
    for (const key of CLEARABLE_FIELDS) if (merged[key] === null) delete merged[key];
    const checked = FIELDS.safeParse(merged);
    if (!checked.success) throw invalidParamsError("clusters.update", checked.error);
    const parsed = checked.data;
    const row = updateCluster(ctx.db, id, clusterFields(parsed), isoNow(ctx.clock));
    ctx.ssh.forget(sshTargetOf(current).id);
    return Promise.resolve(clusterOf(row));
  },
});
