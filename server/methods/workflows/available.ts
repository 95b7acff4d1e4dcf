import { z } from "zod";
import { clusterOf } from "../../clusters/cluster.ts";
import { listClusters } from "../../db/clusters.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import { WORKFLOW_TYPES } from "../../workflows/types.ts";

/** `workflows.available`: the workflow types, from their declarations. */
export const available = defineMethod({
  name: "workflows.available",
  summary: "List the workflow types with their params",
  description: "Each type's name (workflows.create_<type> creates one), summary and the JSON " +
    "Schema of its own params (beside the common name, base_input or source_job_pk, runner, " +
    "cluster_id and resources) and of its result. `aiida` says, per cluster with aiida " +
    "settings, whether workflows.launch_aiida can run there, from a probe kept for a minute; " +
    "it never waits: a cluster not probed yet is `probing` and probed in the background.",
  params: z.strictObject({}),
  result: z.strictObject({
    workflows: z.array(z.strictObject({
      type: z.string().describe("The type"),
      summary: z.string().describe("One line"),
      params: z.record(z.string(), z.unknown()).describe("JSON Schema of its own params"),
      result: z.record(z.string(), z.unknown()).describe("JSON Schema of its result"),
    })).describe("Every type"),
    aiida: z.array(z.strictObject({
      cluster_id: z.number().int().describe("The cluster"),
      cluster: z.string().describe("Its name"),
      state: z.enum(["usable", "unsupported", "unreachable", "probing"]).describe(
        "usable; unsupported (detail says what to install); unreachable (SSH failed); probing",
      ),
      detail: z.string().nullable().describe("The aiida-core version, or what is missing"),
    })).describe("Clusters with aiida settings, and whether workflows.launch_aiida runs there"),
  }),
  errors: [],
  examples: [{
    name: "the types",
    params: {},
    result: {
      workflows: [{
        type: "eos",
        summary: "Equation of state: energies at scaled volumes, Birch-Murnaghan and Vinet fits",
        params: { type: "object", properties: { num_points: { type: "integer" } } },
        result: { type: "object" },
      }],
      aiida: [{ cluster_id: 1, cluster: "hpc1", state: "usable", detail: "aiida-core 2.7.1" }],
    },
  }],
  handler(_params, ctx: MethodContext) {
    const aiida = listClusters(ctx.db).flatMap((row) => {
      const known = ctx.aiida.availability(clusterOf(row));
      return known === undefined ? [] : [known];
    });
    return Promise.resolve({
      workflows: WORKFLOW_TYPES.map((t) => ({
        type: t.type,
        summary: t.summary,
        params: schemaOf(t.params, "input"),
        result: schemaOf(t.result, "output"),
      })),
      aiida,
    });
  },
});

function schemaOf(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _dropped, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" });
  return rest;
}
