/**
 * The job state machine: which state may follow which. Pure; the store applies it inside the
 * transaction that changes a job's state (server/db/jobs.ts), so no code path can skip it.
 *
 * @module
 */

import type { JobState } from "../../common/job_states.ts";

export { JOB_STATES, type JobState } from "../../common/job_states.ts";

/** States a job never leaves. */
export const TERMINAL_STATES: readonly JobState[] = ["completed", "failed", "cancelled"];

/** States in which a job holds or waits for resources. */
export const ACTIVE_STATES: readonly JobState[] = [
  "created",
  "submitted",
  "queued",
  "running",
  "unknown",
];

const NEXT: Record<JobState, readonly JobState[]> = {
  // A submission whose outcome is unknown (SSH dropped during sbatch) goes straight to unknown.
  created: ["queued", "submitted", "running", "failed", "cancelled", "unknown"],
  submitted: ["queued", "running", "completed", "failed", "cancelled", "unknown"],
  // A remote job can start and end between two polls: queued → completed is seen directly.
  queued: ["submitted", "running", "completed", "failed", "cancelled", "unknown"],
  running: ["completed", "failed", "cancelled", "unknown"],
  unknown: ["queued", "running", "completed", "failed", "cancelled"],
  completed: [],
  failed: [],
  cancelled: [],
};

/** True when a job in state `from` may move to `to`. */
export function canTransition(from: JobState, to: JobState): boolean {
  return NEXT[from].includes(to);
}

/** True for completed, failed and cancelled. */
export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.includes(state);
}
