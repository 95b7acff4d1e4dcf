import { z } from "zod";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import { pkOfId, WORKFLOW_ID_PARAM, WORKFLOW_VIEW, workflowViewOf } from "./_shapes.ts";
import { EXAMPLE_VIEW } from "./get.ts";

/** `workflows.cancel`: stop a study and the member jobs that have not ended. */
export const cancel = defineMethod({
  name: "workflows.cancel",
  summary: "Cancel a workflow and its member jobs that have not ended",
  description: "Moves the workflow to cancelled, then cancels each member job that has not " +
    "ended (held, queued or running); an AiiDA workflow's process is killed first (verdi " +
    "process kill). A workflow that has ended is invalid_state.",
  params: z.strictObject({ id: WORKFLOW_ID_PARAM }),
  result: WORKFLOW_VIEW,
  errors: ["not_found", "invalid_state", "ssh_failed", "slurm_rejected"],
  examples: [{
    name: "cancel a scan",
    params: { id: "wf-1" },
    result: { ...EXAMPLE_VIEW, state: "cancelled", result: null },
  }],
  async handler(params, ctx: MethodContext) {
    const pk = pkOfId(params.id);
    const row = ctx.aiida.owns(pk)
      ? await ctx.aiida.cancel(pk, ctx.signal)
      : await ctx.workflows.cancel(pk);
    return workflowViewOf(ctx.db, row);
  },
});
