import { z } from "zod";
import { defineMethod } from "../../rpc/define_method.ts";
import { loadSource } from "../../workflows/source_job.ts";
import { prepareWorkflowInputs, WORKFLOW_TYPES } from "../../workflows/types.ts";
import type { MethodContext } from "../context.ts";
import { checkOneBase } from "./_shapes.ts";

/** `workflows.prepare`: a study's member decks, without creating anything. */
export const prepare = defineMethod({
  name: "workflows.prepare",
  summary: "Build a study's member decks without creating jobs",
  description: "Plans the members of a workflow of `type` exactly as workflows.create_<type> " +
    "would, and returns their .d12 decks (not a properties-only member's: it runs on its SCF's " +
    "fort.9); nothing is recorded and no job is made. `params` are the " +
    "type's own params (see workflows.available).",
  params: z.strictObject({
    type: z.enum(WORKFLOW_TYPES.map((t) => t.type) as [string, ...string[]]).describe(
      "The workflow type",
    ),
    name: z.string().trim().min(1).max(200).describe("The study's name"),
    base_input: z.string().min(1).optional().describe("The .d12 deck to start from"),
    source_job_pk: z.number().int().positive().optional().describe(
      "A job whose deck to use (at its optimised geometry when it is an optimisation)",
    ),
    params: z.record(z.string(), z.unknown()).default({}).describe("The type's own params"),
  }),
  result: z.strictObject({
    inputs: z.array(z.strictObject({
      name: z.string().describe("The member's name"),
      content: z.string().describe("Its .d12 deck"),
    })).describe("The members, in plan order"),
  }),
  errors: ["invalid_input_file", "not_found", "invalid_state"],
  examples: [{
    name: "a two-point SHRINK scan",
    params: {
      type: "convergence",
      name: "mgo",
      base_input:
        "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\nBASISSET\nPOB-TZVP\nSHRINK\n8 8\nEND\n",
      params: { parameter: "shrink", values: [4, 8] },
    },
    result: {
      inputs: [4, 8].map((k) => ({
        name: `mgo SHRINK ${k}`,
        content:
          `mgo: SHRINK ${k}\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0.0 0.0 0.0\n8 0.5 0.5 0.5\nEND\nBASISSET\nPOB-TZVP\nSHRINK\n${k} ${k}\nEND\n`,
      })),
    },
  }],
  async handler(params, ctx: MethodContext) {
    checkOneBase(params);
    const base = params.base_input ??
      (await loadSource(ctx.engine.store, params.source_job_pk!)).base_input;
    return prepareWorkflowInputs(params.type, {
      params: params.params,
      base_input: base,
      name: params.name,
    });
  },
});
