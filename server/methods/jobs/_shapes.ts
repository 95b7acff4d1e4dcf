/**
 * The shapes jobs.* methods return, shared by list and get, and the mapping from a stored row.
 * Keys are snake_case, as the terminal UI reads them.
 *
 * @module
 */
import { z } from "zod";
import { type JobRow, RUNNER_TYPES } from "../../model/job.ts";
import { JOB_STATES } from "../../model/job_state.ts";

/** A workflow id as jobs carry it: ours, or a client's own group tag such as "wf_3". */
export const WORKFLOW_ID = z.string().min(1).max(64).regex(
  /^[A-Za-z0-9_.:-]+$/,
  "must be letters, digits and _ . : - only",
);

/** One job in a listing. */
export const JOB_STATUS = z.strictObject({
  pk: z.number().int().describe("Job id"),
  uuid: z.string().describe("Globally unique id"),
  name: z.string().describe("Job name"),
  state: z.enum(JOB_STATES).describe("Lifecycle state"),
  dft_code: z.string().describe("Always crystal for now"),
  runner_type: z.enum(RUNNER_TYPES).describe("Where it runs: local, slurm or ssh"),
  cluster_id: z.number().int().nullable().describe("Cluster of a remote job"),
  progress_percent: z.number().describe("Estimated progress, 0 to 100"),
  wall_time_seconds: z.number().nullable().describe(
    "Seconds from start to end (or to now while running)",
  ),
  created_at: z.string().describe("ISO-8601"),
  started_at: z.string().nullable().describe("ISO-8601"),
  finished_at: z.string().nullable().describe("ISO-8601"),
  final_energy: z.number().nullable().describe("Final total energy, Hartree"),
  error_snippet: z.string().nullable().describe("The line that explains a failure"),
  workflow_id: WORKFLOW_ID.nullable().describe("The workflow the job belongs to, if any"),
});

/** A job in a listing. */
export type JobStatus = z.infer<typeof JOB_STATUS>;

function seconds(from: string | null, to: string | null, now: Date): number | null {
  if (from === null) return null;
  const end = to === null ? now.getTime() : Date.parse(to);
  return Math.max(0, Math.round((end - Date.parse(from)) / 100) / 10);
}

/** Maps a stored row to its listing shape. */
export function jobStatusOf(row: JobRow, now: Date): JobStatus {
  return {
    pk: row.pk,
    uuid: row.uuid,
    name: row.name,
    state: row.state,
    dft_code: row.dft_code,
    runner_type: row.runner_type,
    cluster_id: row.cluster_id,
    progress_percent: Math.round(row.progress_percent * 10) / 10,
    wall_time_seconds: seconds(row.started_at, row.finished_at, now),
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    final_energy: row.final_energy,
    error_snippet: row.error_snippet,
    workflow_id: row.workflow_id,
  };
}

/** A job id param. */
export const PK = z.number().int().positive().describe("Job id (pk)");
