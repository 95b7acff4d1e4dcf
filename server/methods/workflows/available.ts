import { z } from "zod";
import { defineMethod } from "../../rpc/define_method.ts";
import { WORKFLOW_TYPES } from "../../workflows/types.ts";

/** `workflows.available`: the workflow types, from their declarations. */
export const available = defineMethod({
  name: "workflows.available",
  summary: "List the workflow types with their params",
  description: "Each type's name (workflows.create_<type> creates one), summary and the JSON " +
    "Schema of its own params (beside the common name, base_input or source_job_pk, runner, " +
    "cluster_id and resources) and of its result.",
  params: z.strictObject({}),
  result: z.strictObject({
    workflows: z.array(z.strictObject({
      type: z.string().describe("The type"),
      summary: z.string().describe("One line"),
      params: z.record(z.string(), z.unknown()).describe("JSON Schema of its own params"),
      result: z.record(z.string(), z.unknown()).describe("JSON Schema of its result"),
    })).describe("Every type"),
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
    },
  }],
  handler() {
    return Promise.resolve({
      workflows: WORKFLOW_TYPES.map((t) => ({
        type: t.type,
        summary: t.summary,
        params: schemaOf(t.params, "input"),
        result: schemaOf(t.result, "output"),
      })),
    });
  },
});

function schemaOf(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _dropped, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" });
  return rest;
}
