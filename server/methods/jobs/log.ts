import { join } from "node:path";
import { z } from "zod";
import { getJob } from "../../db/jobs.ts";
import { phaseFiles } from "../../jobs/job_dir.ts";
import { tailLines } from "../../jobs/tail.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import { NotFoundError } from "../../errors.ts";
import type { MethodContext } from "../context.ts";
import { PK } from "./_shapes.ts";

/** `jobs.log`: the end of a job's output, read from the end of the file. */
export const log = defineMethod({
  name: "jobs.log",
  summary: "Show the last lines of a job's output or error stream",
  description: "Reads backwards from the end of the file, so a 500 MB output costs the same as a " +
    "small one. `stream` picks the CRYSTAL output (out), its stderr (err), or the properties " +
    "run's output (properties).",
  params: z.strictObject({
    pk: PK,
    tail_lines: z.number().int().min(1).max(100_000).default(100).describe(
      "How many lines, from the end",
    ),
    stream: z.enum(["out", "err", "properties"]).default("out").describe("Which file"),
  }),
  result: z.strictObject({
    lines: z.array(z.string()).describe("The last lines, oldest first"),
    path: z.string().describe("The file read"),
    size_bytes: z.number().int().describe("Its size"),
    truncated: z.boolean().describe("True when the file has more lines than returned"),
  }),
  errors: ["not_found", "invalid_state", "ssh_failed"],
  examples: [{
    name: "last two lines",
    params: { pk: 1, tail_lines: 2 },
    result: {
      lines: [
        " TTTTTTTTTTTTTTTTTTTTTTTTTTTTTT END         TELAPSE        1.20 TCPU         1.10",
        " EEEEEEEEEE TERMINATION  DATE 01 01 2026 TIME 12:00:13.0",
      ],
      path: "/home/user/.local/share/crystalmath/jobs/1-mgo-scf/mgo-scf.out",
      size_bytes: 52_311,
      truncated: true,
    },
  }],
  async handler(params, ctx: MethodContext) {
    const row = getJob(ctx.db, params.pk);
    const name = row.output_name ?? "output";
    const files = phaseFiles(name, params.stream === "properties" ? "properties" : "crystal");
    const file = params.stream === "err" ? files.stderr : files.stdout;
    if (row.work_dir === null) throw new NotFoundError(`Job ${row.pk} has no directory yet`);
    // A remote job that has not finished has its output on the cluster: its runner reads it there.
    const remote = await ctx.engine.runners.for(row).tail(row, {
      file,
      lines: params.tail_lines,
      signal: ctx.signal,
    });
    if (remote !== undefined) return remote;
    const path = join(row.work_dir, file);
    try {
      return { ...await tailLines(path, params.tail_lines), path };
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new NotFoundError(`Job ${row.pk} has no ${file} yet (state ${row.state})`, {
        data: { pk: row.pk, state: row.state },
      });
    }
  },
});
