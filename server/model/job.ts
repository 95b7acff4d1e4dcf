/**
 * A job as stored, and the closed vocabularies of its columns. Pure: no SQL, no I/O.
 *
 * @module
 */
import type { JobState } from "./job_state.ts";

/** Where a job runs. */
export const RUNNER_TYPES = ["local", "slurm", "ssh"] as const;
/** Where a job runs. */
export type RunnerType = typeof RUNNER_TYPES[number];

/**
 * Where a submission stands: waiting in the daemon for its dependencies (held, any runner);
 * for a remote job, its directory is chosen (prepared), its inputs are on the
 * host (uploaded), the scheduler may have been asked (submitting), it has an id there
 * (submitted), or the host refused it (rejected).
 */
export type SubmitStep =
  | "held"
  | "prepared"
  | "uploaded"
  | "submitting"
  | "submitted"
  | "rejected";

/** A jobs row, as stored. */
export interface JobRow {
  pk: number;
  uuid: string;
  name: string;
  state: JobState;
  dft_code: string;
  runner_type: RunnerType;
  cluster_id: number | null;
  work_dir: string | null;
  input: string;
  progress_percent: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
  results_json: string | null;
  error_snippet: string | null;
  pid: number | null;
  exit_code: number | null;
  properties_input: string | null;
  /** The fort.34 written beside INPUT for an EXTERNAL geometry, or null. */
  fort34: string | null;
  restart_from: number | null;
  tags_json: string;
  resources_json: string;
  phase: string | null;
  state_reason: string | null;
  output_name: string | null;
  final_energy: number | null;
  /** The scheduler's id of a SLURM job. */
  slurm_job_id: string | null;
  remote_dir: string | null;
  depends_on_json: string;
  submit_step: SubmitStep | null;
  /** The scheduler's own state word, as last seen (PENDING, RUNNING, ...). */
  remote_state: string | null;
  /** The process group of a plain-SSH run on its host. */
  remote_pid: number | null;
  /** The idempotency key the submitting client gave, if any. */
  client_token: string | null;
  /** The workflow the job belongs to: a group tag, ours or the terminal UI's. */
  workflow_id: string | null;
  /** 1: the job runs properties alone (its .d3) on the fort.9 of restart_from; 0: CRYSTAL first. */
  properties_only: number;
}

/** The columns that may change without a state change: every column a runner records. */
export const UPDATABLE_COLUMNS = [
  "work_dir",
  "progress_percent",
  "started_at",
  "finished_at",
  "results_json",
  "error_snippet",
  "pid",
  "exit_code",
  "phase",
  "state_reason",
  "final_energy",
  "slurm_job_id",
  "remote_dir",
  "submit_step",
  "remote_state",
  "remote_pid",
] as const;

/** Columns that change without a state change. */
export type JobUpdate = Partial<Pick<JobRow, typeof UPDATABLE_COLUMNS[number]>>;

/** What a new job needs. */
export interface NewJob {
  uuid: string;
  name: string;
  dft_code: string;
  runner_type: RunnerType;
  cluster_id: number | null;
  input: string;
  properties_input: string | null;
  fort34?: string | null;
  restart_from: number | null;
  tags: readonly string[];
  resources: Record<string, unknown>;
  output_name: string;
  depends_on?: readonly number[];
  client_token?: string | null;
  workflow_id?: string | null;
  /** Runs properties alone on the fort.9 of restart_from (properties_input is its deck). */
  properties_only?: boolean;
}

/**
 * A job brought in from elsewhere (the old backend's database): its pk wanted, its state and
 * record as they were. `depends_on` names wanted pks of the same batch.
 */
export interface ImportedJob extends NewJob {
  pk: number;
  state: JobState;
  state_reason: string;
  work_dir: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  results_json: string | null;
  final_energy: number | null;
  slurm_job_id: string | null;
  remote_dir: string | null;
}

/** The pks a job waits for. */
export function dependenciesOf(row: JobRow): number[] {
  return JSON.parse(row.depends_on_json) as number[];
}

/** The resources a job asked for. */
export function resourcesOf(row: JobRow): Record<string, unknown> {
  return JSON.parse(row.resources_json) as Record<string, unknown>;
}

/** A job's output base name (`<name>.out`). */
export function outputNameOf(row: JobRow): string {
  return row.output_name ?? "output";
}

/**
 * The remote directory of the job `row` restarts from, when that job runs on the same cluster:
 * the run script copies its restart files (and reads its output) when it starts, after it by
 * afterok, rather than the daemon before the upload.
 */
export function sameClusterRestartDir(row: JobRow, source: JobRow | null): string | null {
  return source !== null && source.cluster_id === row.cluster_id && source.remote_dir !== null
    ? source.remote_dir
    : null;
}
