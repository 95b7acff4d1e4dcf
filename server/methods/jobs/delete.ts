import { z } from "zod";
import { deleteJob } from "../../engine/delete_job.ts";
import { defineMethod } from "../../rpc/define_method.ts";
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
    const { removedFiles } = await deleteJob(ctx.engine, params.pk, {
      removeFiles: params.remove_files,
    });
    return { deleted: true as const, removed_files: removedFiles };
  },
});
