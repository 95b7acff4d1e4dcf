import { z } from "zod";
import { getWorkflow } from "../../db/workflows.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import { pkOfId, WORKFLOW_ID_PARAM, WORKFLOW_VIEW, workflowViewOf } from "./_shapes.ts";

/** A completed SHRINK scan, for the examples. */
export const EXAMPLE_VIEW: z.output<typeof WORKFLOW_VIEW> = {
  id: "wf-1",
  type: "convergence",
  name: "mgo-k",
  state: "completed",
  jobs: [
    { pk: 1, key: "point-0", name: "mgo-k SHRINK 4", state: "completed", final_energy: -275.448 },
    { pk: 2, key: "point-1", name: "mgo-k SHRINK 8", state: "completed", final_energy: -275.4486 },
  ],
  result: {
    points: [],
    converged_value: null,
    recommendation: "Not converged: extend the scan beyond 8",
  },
  warnings: [],
  error: null,
  params: { name: "mgo-k", runner: "local", params: { parameter: "shrink", values: [4, 8] } },
  created_at: "2026-01-01T12:00:00.000Z",
  updated_at: "2026-01-01T12:01:00.000Z",
  finished_at: "2026-01-01T12:01:00.000Z",
};

/** `workflows.get`: one workflow, its members and its result. */
export const get = defineMethod({
  name: "workflows.get",
  summary: "Show one workflow: state, member jobs, result and warnings",
  description: "Returns the workflow's state, its members with their jobs' states and energies, " +
    "and once analysed its result and warnings; a failed one says why, naming the members.",
  params: z.strictObject({ id: WORKFLOW_ID_PARAM }),
  result: WORKFLOW_VIEW,
  errors: ["not_found"],
  examples: [{ name: "a completed scan", params: { id: "wf-1" }, result: EXAMPLE_VIEW }],
  handler(params, ctx: MethodContext) {
    return Promise.resolve(workflowViewOf(ctx.db, getWorkflow(ctx.db, pkOfId(params.id))));
  },
});
