import { z } from "zod";
import { deleteJob, getJob } from "../../db/jobs.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import { InvalidStateError } from "../../errors.ts";
import type { MethodContext } from "../context.ts";
import { PK } from "./_shapes.ts";

/** `jobs.delete`: forget a job that is not running, and optionally remove its directory. */
export const remove = defineMethod({
  name: "jobs.delete",
  summary: "Delete a job that is not running (optionally its files)",
  description: "Removes the job from the store. A running or submitted job is refused: cancel it " +
    "first. With remove_files, its directory is deleted too; without, the files stay on disk.",
  params: z.strictObject({
    pk: PK,
    remove_files: z.boolean().default(false).describe("Also delete the job directory"),
  }),
  result: z.strictObject({
    deleted: z.literal(true).describe("Always true"),
    removed_files: z.boolean().describe("True when the directory was removed"),
  }),
  errors: ["not_found", "invalid_state"],
  examples: [{
    name: "delete with files",
    params: { pk: 4, remove_files: true },
    result: { deleted: true, removed_files: true },
  }],
  async handler(params, ctx: MethodContext) {
    const row = getJob(ctx.db, params.pk);
    if (row.state === "running" || row.state === "submitted" || row.state === "unknown") {
      throw new InvalidStateError(
        `Cannot delete job ${row.pk}: it is ${row.state}; cancel it first`,
        {
          data: { pk: row.pk, state: row.state },
        },
      );
    }
    if (row.runner_type === "slurm" && (row.state === "queued" || row.state === "created")) {
      throw new InvalidStateError(
        `Cannot delete job ${row.pk}: it is ${row.state} for SLURM; cancel it first`,
        {
          data: { pk: row.pk, state: row.state },
        },
      );
    }
    if (row.state === "queued" || row.state === "created") await ctx.local.cancel(row.pk);
    let removed = false;
    const jobsRoot = `${ctx.config.dataDir}/jobs/`;
    // Only ever remove a directory the daemon made, under its own jobs folder.
    if (params.remove_files && row.work_dir !== null && row.work_dir.startsWith(jobsRoot)) {
      try {
        await Deno.remove(row.work_dir, { recursive: true });
        removed = true;
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
    deleteJob(ctx.db, row.pk);
    return { deleted: true as const, removed_files: removed };
  },
});
