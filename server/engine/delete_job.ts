/**
 * Deleting a job that is not running, and optionally its directory.
 *
 * @module
 */
import { InvalidStateError } from "../errors.ts";
import type { Engine } from "./engine.ts";

/**
 * Forgets a job. A job that runs, or is submitted to a scheduler, is refused: cancel it first.
 * A job waiting here (queued locally, or held for its dependencies) is cancelled on the way.
 * @returns whether its directory was removed
 */
export async function deleteJob(
  engine: Engine,
  pk: number,
  options: { removeFiles: boolean },
): Promise<{ removedFiles: boolean }> {
  const { store, config } = engine;
  const row = store.get(pk);
  const isWaitingHere = row.state === "created" && row.submit_step === "held" ||
    row.runner_type === "local" && (row.state === "queued" || row.state === "created");
  if (row.state === "running" || row.state === "submitted" || row.state === "unknown") {
    throw new InvalidStateError(
      `Cannot delete job ${row.pk}: it is ${row.state}; cancel it first`,
      {
        data: { pk: row.pk, state: row.state },
      },
    );
  }
  if (!isWaitingHere && (row.state === "queued" || row.state === "created")) {
    throw new InvalidStateError(
      `Cannot delete job ${row.pk}: it is ${row.state} for ${row.runner_type}; cancel it first`,
      { data: { pk: row.pk, state: row.state } },
    );
  }
  if (isWaitingHere) await engine.runners.for(row).cancel(row);
  let removedFiles = false;
  const jobsRoot = `${config.dataDir}/jobs/`;
  // Only ever remove a directory the daemon made, under its own jobs folder.
  if (options.removeFiles && row.work_dir !== null && row.work_dir.startsWith(jobsRoot)) {
    try {
      await Deno.remove(row.work_dir, { recursive: true });
      removedFiles = true;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  await store.delete(row.pk);
  return { removedFiles };
}
