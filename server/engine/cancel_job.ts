/**
 * Cancelling jobs: one by pk, or every active job of a cluster (before the cluster is deleted).
 *
 * @module
 */
import { jobsInStates } from "../db/jobs.ts";
import { type JobRow, RUNNER_TYPES } from "../model/job.ts";
import { ACTIVE_STATES } from "../model/job_state.ts";
import type { Engine } from "./engine.ts";

/**
 * Cancels a job through its runner and returns its row, cancelled.
 * @throws {NotFoundError} for an unknown pk; {InvalidStateError} when it has already ended
 */
export async function cancelJob(
  engine: Engine,
  pk: number,
  options: { signal?: AbortSignal } = {},
): Promise<JobRow> {
  const job = engine.store.get(pk);
  return await engine.runners.for(job).cancel(job, options);
}

/** Cancels every active job on a cluster; returns their rows. */
export async function cancelClusterJobs(
  engine: Engine,
  clusterId: number,
  options: { signal?: AbortSignal } = {},
): Promise<JobRow[]> {
  const active = RUNNER_TYPES.flatMap((runner) =>
    jobsInStates(engine.store.db, { runner, states: ACTIVE_STATES, clusterId })
  );
  const cancelled: JobRow[] = [];
  for (const job of active) cancelled.push(await engine.runners.for(job).cancel(job, options));
  return cancelled;
}
