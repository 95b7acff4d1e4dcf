import { z } from "zod";
import { listWorkflows } from "../../db/workflows.ts";
import { WORKFLOW_STATES } from "../../model/workflow.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import { AIIDA_WORKFLOW_TYPE } from "../../aiida/service.ts";
import { WORKFLOW_TYPES } from "../../workflows/types.ts";
import type { MethodContext } from "../context.ts";
import { WORKFLOW_VIEW, workflowViewOf } from "./_shapes.ts";
import { EXAMPLE_VIEW } from "./get.ts";

/** `workflows.list`: a page of workflows, newest first. */
export const list = defineMethod({
  name: "workflows.list",
  summary: "List workflows, newest first, with filters and paging",
  description: "Returns one page of workflows (newest first), each as workflows.get shows it, " +
    "and the total that match. Filters combine.",
  params: z.strictObject({
    state: z.enum(WORKFLOW_STATES).optional().describe("Only workflows in this state"),
    type: z.enum(
      [AIIDA_WORKFLOW_TYPE, ...WORKFLOW_TYPES.map((t) => t.type)] as [string, ...string[]],
    )
      .optional().describe("Only workflows of this type (aiida: those of workflows.launch_aiida)"),
    limit: z.number().int().min(1).max(1000).default(100).describe("Page size, 1 to 1000"),
    offset: z.number().int().min(0).default(0).describe("Workflows to skip"),
  }),
  result: z.strictObject({
    workflows: z.array(WORKFLOW_VIEW).describe("The page"),
    total: z.number().int().describe("Workflows that match the filters"),
  }),
  errors: [],
  examples: [{
    name: "running studies",
    params: { state: "running" },
    result: { workflows: [{ ...EXAMPLE_VIEW, state: "running", result: null }], total: 1 },
  }],
  handler(params, ctx: MethodContext) {
    const { rows, total } = listWorkflows(ctx.db, params);
    return Promise.resolve({ workflows: rows.map((row) => workflowViewOf(ctx.db, row)), total });
  },
});
