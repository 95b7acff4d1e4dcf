/**
 * The job a study starts from (`source_job_pk`): its deck, and what a type may build on (its
 * results, and whether its wave function is there to restart from).
 *
 * @module
 */
import { join } from "node:path";
import { parseStoredResults } from "../jobs/outcome.ts";
import type { JobStore } from "../jobs/store.ts";
import type { SourceJob } from "./workflow_type.ts";

/** Whether `dir` holds a fort.9. */
async function hasFort9(dir: string | null): Promise<boolean> {
  if (dir === null) return false;
  return await Deno.stat(join(dir, "fort.9")).then((info) => info.isFile, () => false);
}

/**
 * The study's base deck and source job. A remote job's fort.9 stays on its cluster, so it
 * counts as there.
 * @throws {NotFoundError} for an unknown pk
 */
export async function loadSource(
  store: JobStore,
  pk: number,
): Promise<{ base_input: string; source: SourceJob }> {
  const job = store.get(pk);
  return {
    base_input: job.input,
    source: {
      job,
      results: parseStoredResults(job.results_json),
      has_wave_function: job.remote_dir !== null || await hasFort9(job.work_dir),
    },
  };
}
