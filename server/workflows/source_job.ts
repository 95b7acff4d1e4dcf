/**
 * The job a study starts from (`source_job_pk`): its deck, with the optimised geometry when it
 * is an optimisation, and what a type may build on (its results, and whether its wave function
 * is there to restart from).
 *
 * @module
 */
import { join } from "node:path";
import { parseDeck, validateDeck, writeDeck } from "../crystal/deck.ts";
import {
  GeometryTransferError,
  optimizedGeometry,
  withOptimizedGeometry,
} from "../crystal/optimized_geometry.ts";
import { InvalidStateError } from "../errors.ts";
import { parseStoredResults } from "../jobs/outcome.ts";
import type { JobStore } from "../jobs/store.ts";
import type { JobRow } from "../model/job.ts";
import { readJobFiles } from "./member_files.ts";
import type { SourceJob } from "./workflow_type.ts";

/** Whether `dir` holds a fort.9. */
async function hasFort9(dir: string | null): Promise<boolean> {
  if (dir === null) return false;
  return await Deno.stat(join(dir, "fort.9")).then((info) => info.isFile, () => false);
}

/**
 * The deck of an optimisation job at its optimised geometry, read from its output.
 * @throws {InvalidStateError} when the job has not converged, or its geometry cannot be read
 */
async function optimizedDeck(job: JobRow): Promise<string> {
  const refuse = (why: string) =>
    new InvalidStateError(`Cannot start from job ${job.pk}'s optimised geometry: ${why}`, {
      data: { pk: job.pk, state: job.state },
    });
  if (job.state !== "completed") {
    throw refuse(
      `it is an optimisation that is ${job.state}, not completed; wait for it, or ` +
        "give base_input",
    );
  }
  const output = (await readJobFiles(job, ["{output}.out"]))["{output}.out"];
  if (output === undefined) throw refuse("its output is not in its directory");
  const geometry = optimizedGeometry(output);
  if (geometry === null) throw refuse("its output has no FINAL OPTIMIZED GEOMETRY block");
  try {
    return writeDeck(withOptimizedGeometry(parseDeck(job.input), geometry));
  } catch (error) {
    if (error instanceof GeometryTransferError) throw refuse(error.message);
    throw error;
  }
}

/**
 * The study's base deck and source job: the job's deck, at its optimised geometry when it is
 * an optimisation (OPTGEOM). A remote job's fort.9 stays on its cluster, so it counts as there.
 * @throws {NotFoundError} for an unknown pk; {InvalidStateError} for an optimisation whose
 *   geometry is not known
 */
export async function loadSource(
  store: JobStore,
  pk: number,
): Promise<{ base_input: string; source: SourceJob }> {
  const job = store.get(pk);
  const results = parseStoredResults(job.results_json);
  const deck = validateDeck(job.input);
  const isOptimisation = results.optimization !== null || (deck.ok && deck.deck.optgeom !== null);
  return {
    base_input: isOptimisation ? await optimizedDeck(job) : job.input,
    source: {
      job,
      results,
      has_wave_function: job.remote_dir !== null || await hasFort9(job.work_dir),
    },
  };
}
