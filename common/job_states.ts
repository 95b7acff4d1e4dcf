/**
 * The names of the job states, shared by the daemon's state machine (server/model/job_state.ts)
 * and the CLI, which checks `--state` before it asks the daemon.
 *
 * @module
 */

/** Every job state, in the order the terminal UI shows them. */
export const JOB_STATES = [
  "created",
  "submitted",
  "queued",
  "running",
  "completed",
  "failed",
  "cancelled",
  "unknown",
] as const;

/** A job state. */
export type JobState = typeof JOB_STATES[number];
