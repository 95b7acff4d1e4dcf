import { z } from "zod";
import { getJob } from "../../db/jobs.ts";
import { resolveJobFile } from "../../jobs/job_dir.ts";
import { readRange } from "../../jobs/tail.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import { NotFoundError } from "../../errors.ts";
import type { MethodContext } from "../context.ts";
import { PK } from "./_shapes.ts";

const SNIFF_BYTES = 8192;

/** `jobs.get_output_file`: one file of the job directory, capped. */
export const getOutputFile = defineMethod({
  name: "jobs.get_output_file",
  summary: "Read one file from a job's directory",
  description: "Returns the start of a file in the job directory, up to max_bytes, as UTF-8 text " +
    "(or base64 for binary files such as fort.9). Only files inside the job directory are " +
    "readable: absolute paths, `..` and symlinks that lead outside are refused.",
  params: z.strictObject({
    pk: PK,
    name: z.string().min(1).max(255).describe("File name relative to the job directory"),
    max_bytes: z.number().int().min(1).max(16 * 1024 * 1024).default(1024 * 1024)
      .describe("Cap on the bytes returned (default 1 MiB, at most 16 MiB)"),
  }),
  result: z.strictObject({
    name: z.string().describe("The file name asked for"),
    content: z.string().describe("The content, as text or base64"),
    encoding: z.enum(["utf-8", "base64"]).describe("How content is encoded"),
    size_bytes: z.number().int().describe("The whole file's size"),
    truncated: z.boolean().describe("True when only the first max_bytes are returned"),
  }),
  errors: ["not_found"],
  examples: [{
    name: "the input deck",
    params: { pk: 1, name: "INPUT" },
    result: {
      name: "INPUT",
      content: "MgO\nCRYSTAL\n...",
      encoding: "utf-8",
      size_bytes: 120,
      truncated: false,
    },
  }],
  async handler(params, ctx: MethodContext) {
    const row = getJob(ctx.db, params.pk);
    if (row.work_dir === null) throw new NotFoundError(`Job ${row.pk} has no directory yet`);
    const path = await resolveJobFile(row.work_dir, params.name);
    using file = await Deno.open(path, { read: true });
    const size = (await file.stat()).size;
    const bytes = await readRange(file, 0, Math.min(size, params.max_bytes));
    const read = bytes.length;
    const isBinary = bytes.subarray(0, SNIFF_BYTES).includes(0);
    return {
      name: params.name,
      content: isBinary
        ? btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""))
        : new TextDecoder().decode(bytes),
      encoding: isBinary ? "base64" as const : "utf-8" as const,
      size_bytes: size,
      truncated: size > read,
    };
  },
});
