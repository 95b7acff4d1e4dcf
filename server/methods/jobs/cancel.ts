import { z } from "zod";
import { cancelJob } from "../../engine/cancel_job.ts";
import { JOB_STATES } from "../../model/job_state.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import { PK } from "./_shapes.ts";

/** `jobs.cancel`: stop a queued or running job. */
export const cancel = defineMethod({
  name: "jobs.cancel",
  summary: "Cancel a queued or running job",
  description:
    "A SLURM job is cancelled with scancel; a run on a plain SSH host gets SIGTERM on its process group, then SIGKILL. A queued or held job is cancelled at once. A queued local job is cancelled at once; a running " +
    "one gets SIGTERM on its whole process " +
    "group (launcher and MPI ranks), then SIGKILL after a grace period; the call returns once no " +
    "process of the job is left. Cancelling a finished job is an invalid_state error.",
  params: z.strictObject({ pk: PK }),
  result: z.strictObject({
    cancelled: z.boolean().describe("True when the job was cancelled by this call"),
    state: z.enum(JOB_STATES).describe("The job's state now"),
  }),
  errors: ["not_found", "invalid_state", "ssh_failed", "slurm_rejected"],
  examples: [{
    name: "cancel",
    params: { pk: 4 },
    result: { cancelled: true, state: "cancelled" },
  }],
  async handler(params, ctx: MethodContext) {
    const row = await cancelJob(ctx.engine, params.pk, { signal: ctx.signal });
    return { cancelled: true, state: row.state };
  },
});
