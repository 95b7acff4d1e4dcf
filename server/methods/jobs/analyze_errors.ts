import { join } from "node:path";
import { z } from "zod";
import { analyzeCrystalOutput } from "../../crystal/error_analysis.ts";
import { getJob } from "../../db/jobs.ts";
import { phaseFiles } from "../../jobs/job_dir.ts";
import { readRange } from "../../jobs/tail.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import { NotFoundError } from "../../errors.ts";
import type { MethodContext } from "../context.ts";
import { PK } from "./_shapes.ts";

/** Outputs larger than this are analysed from their last part, where CRYSTAL reports failures. */
const ANALYSED_BYTES = 64 * 1024 * 1024;

async function readTail(path: string, bytes: number): Promise<string> {
  using file = await Deno.open(path, { read: true });
  const size = (await file.stat()).size;
  const start = Math.max(0, size - bytes);
  const text = new TextDecoder().decode(await readRange(file, start, size - start));
  // Drop a partial first line when the read starts mid-file.
  return start > 0 ? text.slice(text.indexOf("\n") + 1) : text;
}

/** `jobs.analyze_errors`: what went wrong, with concrete fixes. */
export const analyzeErrors = defineMethod({
  name: "jobs.analyze_errors",
  summary: "Explain a job's failure with concrete suggestions",
  description: "Reads the job's CRYSTAL output and recognises the common failures: SCF not " +
    "converged (TOO MANY CYCLES), INCONSISTENT ITOL SIZE, a failed optimisation, a run killed at " +
    "the walltime, input and basis-set errors (ERROR **** routine ****) and running out of memory. " +
    "Each issue names the line, says what it means and what to change in the deck.",
  params: z.strictObject({ pk: PK }),
  result: z.strictObject({
    status: z.string().describe("The run's classification: completed, failed, running or unknown"),
    issues: z.array(z.strictObject({
      pattern: z.string().describe("Stable id of the recognised failure"),
      line: z.number().int().nullable().describe("1-based line in the output, when there is one"),
      message: z.string().describe("What happened"),
      suggestion: z.string().describe("What to change"),
    })).describe("Recognised problems, in the order they occur"),
  }),
  errors: ["not_found"],
  examples: [{
    name: "an SCF that did not converge",
    params: { pk: 5 },
    result: {
      status: "failed",
      issues: [{
        pattern: "scf_too_many_cycles",
        line: 812,
        message: "The SCF did not converge within MAXCYCLE cycles",
        suggestion:
          "Raise MAXCYCLE (e.g. MAXCYCLE 200), mix more slowly with FMIXING 70, or add LEVSHIFT 5 1",
      }],
    },
  }],
  async handler(params, ctx: MethodContext) {
    const row = getJob(ctx.db, params.pk);
    if (row.work_dir === null) throw new NotFoundError(`Job ${row.pk} has no directory yet`);
    const path = join(row.work_dir, phaseFiles(row.output_name ?? "output", "crystal").stdout);
    let text: string;
    try {
      text = await readTail(path, ANALYSED_BYTES);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new NotFoundError(`Job ${row.pk} has no output yet (state ${row.state})`, {
        data: { pk: row.pk },
      });
    }
    const isRunning = row.state === "running" || row.state === "queued" ||
      row.state === "submitted";
    return analyzeCrystalOutput(text, { isRunning });
  },
});
