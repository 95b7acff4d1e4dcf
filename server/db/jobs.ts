/**
 * All SQL for jobs. State changes go through `transitionJob` only, which checks the state
 * machine and records the transition inside one transaction.
 *
 * @module
 */
import type { SQLInputValue } from "node:sqlite";
import { canTransition, type JobState } from "../jobs/state_machine.ts";
import { InvalidStateError, NotFoundError } from "../errors.ts";
import type { Database } from "./open.ts";

/** A jobs row, as stored. */
export interface JobRow {
  pk: number;
  uuid: string;
  name: string;
  state: JobState;
  dft_code: string;
  runner_type: string;
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
  restart_from: number | null;
  tags_json: string;
  resources_json: string;
  phase: string | null;
  state_reason: string | null;
  output_name: string | null;
  final_energy: number | null;
  slurm_job_id: string | null;
  remote_dir: string | null;
  depends_on_json: string;
  /** Where a remote submission stands: prepared, uploaded, submitting, submitted, fetched. */
  submit_step: string | null;
  /** The scheduler's own state word, as last seen (PENDING, RUNNING, ...). */
  remote_state: string | null;
}

/** What a new job needs. */
export interface NewJob {
  uuid: string;
  name: string;
  state: JobState;
  dft_code: string;
  runner_type: string;
  cluster_id: number | null;
  input: string;
  properties_input: string | null;
  restart_from: number | null;
  tags: readonly string[];
  resources: Record<string, unknown>;
  output_name: string;
  depends_on?: readonly number[];
  at: string;
}

/** Columns that change without a state change. */
export type JobUpdate = Partial<
  Pick<
    JobRow,
    | "work_dir"
    | "progress_percent"
    | "started_at"
    | "finished_at"
    | "results_json"
    | "error_snippet"
    | "pid"
    | "exit_code"
    | "phase"
    | "state_reason"
    | "final_energy"
    | "slurm_job_id"
    | "remote_dir"
    | "submit_step"
    | "remote_state"
  >
>;

const UPDATABLE = new Set<string>([
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
]);

/** Inserts a job and returns its row. */
export function insertJob(db: Database, job: NewJob): JobRow {
  return db.transaction((c) => {
    const row = c.prepare(
      `INSERT INTO jobs (uuid, name, state, dft_code, runner_type, cluster_id, input, properties_input,
         restart_from, tags_json, resources_json, output_name, depends_on_json, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    ).get(
      job.uuid,
      job.name,
      job.state,
      job.dft_code,
      job.runner_type,
      job.cluster_id,
      job.input,
      job.properties_input,
      job.restart_from,
      JSON.stringify(job.tags),
      JSON.stringify(job.resources),
      job.output_name,
      JSON.stringify(job.depends_on ?? []),
      job.at,
      job.at,
    ) as unknown as JobRow;
    c.prepare(
      "INSERT INTO job_events (job_pk, from_state, to_state, at, reason) VALUES (?, NULL, ?, ?, ?)",
    )
      .run(row.pk, job.state, job.at, "submitted");
    return row;
  });
}

/** The job with `pk`, or undefined. */
export function findJob(db: Database, pk: number): JobRow | undefined {
  return db.connection.prepare("SELECT * FROM jobs WHERE pk = ?").get(pk) as JobRow | undefined;
}

/** The job with `pk`. @throws {NotFoundError} when there is none */
export function getJob(db: Database, pk: number): JobRow {
  const row = findJob(db, pk);
  if (!row) throw new NotFoundError(`Job ${pk} does not exist`, { data: { pk } });
  return row;
}

/** Filters for `listJobs`. */
export interface JobFilter {
  state?: JobState | undefined;
  runner?: string | undefined;
  cluster_id?: number | undefined;
  search?: string | undefined;
  limit: number;
  offset: number;
}

/** A page of jobs, newest first, and how many match in all. */
export function listJobs(db: Database, filter: JobFilter): { rows: JobRow[]; total: number } {
  const where: string[] = [];
  const args: SQLInputValue[] = [];
  if (filter.state) where.push("state = ?"), args.push(filter.state);
  if (filter.runner) where.push("runner_type = ?"), args.push(filter.runner);
  if (filter.cluster_id !== undefined) where.push("cluster_id = ?"), args.push(filter.cluster_id);
  if (filter.search) {
    where.push("name LIKE ? ESCAPE '\\'");
    args.push(`%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
  const c = db.connection;
  const rows = c.prepare(`SELECT * FROM jobs ${clause} ORDER BY pk DESC LIMIT ? OFFSET ?`)
    .all(...args, filter.limit, filter.offset) as unknown as JobRow[];
  // The counts table answers the common cases (no filter, or by state) without a scan.
  let total: number;
  if (where.length === 0) {
    total = (c.prepare("SELECT COALESCE(SUM(n), 0) AS n FROM job_counts").get() as { n: number }).n;
  } else if (where.length === 1 && filter.state) {
    total = (c.prepare("SELECT COALESCE(MAX(n), 0) AS n FROM job_counts WHERE state = ?").get(
      filter.state,
    ) as {
      n: number;
    }).n;
  } else {
    total = (c.prepare(`SELECT COUNT(*) AS n FROM jobs ${clause}`).get(...args) as { n: number }).n;
  }
  return { rows, total };
}

/** Jobs of a runner in any of `states`, oldest first, at most `limit` (-1: all). */
export function jobsInStates(
  db: Database,
  runner: string,
  states: readonly JobState[],
  limit = -1,
): JobRow[] {
  const marks = states.map(() => "?").join(", ");
  return db.connection.prepare(
    `SELECT * FROM jobs WHERE state IN (${marks}) AND runner_type = ? ORDER BY pk LIMIT ?`,
  ).all(...states, runner, limit) as unknown as JobRow[];
}

function setClause(fields: JobUpdate): { sql: string; args: SQLInputValue[] } {
  const keys = Object.keys(fields).filter((k) => UPDATABLE.has(k));
  return {
    sql: keys.map((k) => `${k} = ?`).join(", "),
    args: keys.map((k) => (fields as Record<string, SQLInputValue>)[k] ?? null),
  };
}

/** Updates columns that do not change the state. */
export function updateJob(db: Database, pk: number, fields: JobUpdate, at: string): void {
  const set = setClause(fields);
  if (!set.sql) return;
  db.connection.prepare(`UPDATE jobs SET ${set.sql}, updated_at = ? WHERE pk = ?`).run(
    ...set.args,
    at,
    pk,
  );
}

/**
 * Moves a job to `to`, with `fields`, in one transaction, and records the transition.
 * Moving to running stamps started_at; moving to a terminal state stamps finished_at.
 * @throws {InvalidStateError} when the state machine forbids it
 * @throws {NotFoundError} when the job does not exist
 */
export function transitionJob(
  db: Database,
  pk: number,
  to: JobState,
  change: { at: string; reason?: string; fields?: JobUpdate },
): JobRow {
  return db.transaction((c) => {
    const current = getJob(db, pk);
    if (!canTransition(current.state, to)) {
      throw new InvalidStateError(`Cannot move job ${pk} from ${current.state} to ${to}`, {
        data: { pk, state: current.state, requested: to },
      });
    }
    const fields: JobUpdate = { ...change.fields };
    if (to === "running" && !current.started_at) fields.started_at ??= change.at;
    if (to === "completed" || to === "failed" || to === "cancelled") {
      fields.finished_at ??= change.at;
    }
    if (change.reason !== undefined) fields.state_reason ??= change.reason;
    const set = setClause(fields);
    const row = c.prepare(
      `UPDATE jobs SET state = ?, ${
        set.sql ? `${set.sql}, ` : ""
      }updated_at = ? WHERE pk = ? RETURNING *`,
    ).get(to, ...set.args, change.at, pk) as unknown as JobRow;
    c.prepare(
      "INSERT INTO job_events (job_pk, from_state, to_state, at, reason) VALUES (?, ?, ?, ?, ?)",
    )
      .run(pk, current.state, to, change.at, change.reason ?? null);
    return row;
  });
}

/** The transition log of a job, oldest first. */
export function jobEvents(
  db: Database,
  pk: number,
): { from_state: JobState | null; to_state: JobState; at: string; reason: string | null }[] {
  return db.connection.prepare(
    "SELECT from_state, to_state, at, reason FROM job_events WHERE job_pk = ? ORDER BY id",
  )
    .all(pk) as unknown as {
      from_state: JobState | null;
      to_state: JobState;
      at: string;
      reason: string | null;
    }[];
}

/** Active remote jobs of one cluster (or of every cluster), oldest first. */
export function activeRemoteJobs(db: Database, clusterId?: number): JobRow[] {
  const sql =
    "SELECT * FROM jobs WHERE runner_type = 'slurm' AND state IN ('created', 'submitted', 'queued', " +
    `'running', 'unknown')${clusterId === undefined ? "" : " AND cluster_id = ?"} ORDER BY pk`;
  const statement = db.connection.prepare(sql);
  return (clusterId === undefined
    ? statement.all()
    : statement.all(clusterId)) as unknown as JobRow[];
}

/** The job tracking a SLURM job on a cluster, if any. */
export function findJobBySlurmId(
  db: Database,
  clusterId: number,
  slurmJobId: string,
): JobRow | undefined {
  return db.connection.prepare("SELECT * FROM jobs WHERE cluster_id = ? AND slurm_job_id = ?")
    .get(clusterId, slurmJobId) as JobRow | undefined;
}

/** Deletes a job and its events. */
export function deleteJob(db: Database, pk: number): void {
  db.transaction((c) => {
    // Later jobs that restarted from this one keep their own files; only the link goes.
    c.prepare("UPDATE jobs SET restart_from = NULL WHERE restart_from = ?").run(pk);
    c.prepare("DELETE FROM jobs WHERE pk = ?").run(pk);
  });
}
