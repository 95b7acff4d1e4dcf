/**
 * All SQL for jobs and their event log. The write functions take the connection of a transaction
 * that `jobs/store.ts` opens: the store is their only caller, so that every change of a job row
 * is logged and announced (a test checks that nothing else imports them).
 *
 * @module
 */
import type { SQLInputValue } from "node:sqlite";
import { NotFoundError } from "../errors.ts";
import type { ImportedJob, JobRow, JobUpdate, NewJob, RunnerType } from "../model/job.ts";
import { UPDATABLE_COLUMNS } from "../model/job.ts";
import type { JobState } from "../model/job_state.ts";
import type { Database } from "./open.ts";

/** What a logged change is about. */
export type JobEventKind = "state" | "progress" | "deleted";

/** One row of the event log. */
export interface JobEventRow {
  seq: number;
  job_pk: number;
  kind: JobEventKind;
  from_state: JobState | null;
  to_state: JobState;
  progress_percent: number;
  runner_type: RunnerType;
  cluster_id: number | null;
  at: string;
  reason: string | null;
}

/** The job with `pk`, or undefined. */
export function findJob(db: Database, pk: number): JobRow | undefined {
  return db.prepare("SELECT * FROM jobs WHERE pk = ?").get(pk) as JobRow | undefined;
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
  workflow_id?: string | undefined;
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
  if (filter.workflow_id !== undefined) {
    where.push("workflow_id = ?"), args.push(filter.workflow_id);
  }
  if (filter.search) {
    where.push("name LIKE ? ESCAPE '\\'");
    args.push(`%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
  const rows = db.prepare(`SELECT * FROM jobs ${clause} ORDER BY pk DESC LIMIT ? OFFSET ?`)
    .all(...args, filter.limit, filter.offset) as unknown as JobRow[];
  // The counts table answers the common cases (no filter, or by state) without a scan.
  let total: number;
  if (where.length === 0) {
    total =
      (db.prepare("SELECT COALESCE(SUM(n), 0) AS n FROM job_counts").get() as { n: number }).n;
  } else if (where.length === 1 && filter.state) {
    total = (db.prepare("SELECT COALESCE(MAX(n), 0) AS n FROM job_counts WHERE state = ?").get(
      filter.state,
    ) as { n: number }).n;
  } else {
    total =
      (db.prepare(`SELECT COUNT(*) AS n FROM jobs ${clause}`).get(...args) as { n: number }).n;
  }
  return { rows, total };
}

/**
 * Jobs of a runner in any of `states`, oldest first, at most `limit` (-1: all), optionally on
 * one cluster only.
 */
export function jobsInStates(
  db: Database,
  query: {
    runner: RunnerType;
    states: readonly JobState[];
    clusterId?: number | undefined;
    limit?: number;
  },
): JobRow[] {
  const marks = query.states.map(() => "?").join(", ");
  const cluster = query.clusterId === undefined ? "" : " AND cluster_id = ?";
  const args: SQLInputValue[] = [...query.states, query.runner];
  if (query.clusterId !== undefined) args.push(query.clusterId);
  return db.prepare(
    `SELECT * FROM jobs WHERE state IN (${marks}) AND runner_type = ?${cluster} ORDER BY pk LIMIT ?`,
  ).all(...args, query.limit ?? -1) as unknown as JobRow[];
}

/**
 * The jobs held in the daemon that list `pk` among their dependencies, oldest first. Only jobs
 * in state created are looked at (through the state index), so this stays cheap however many
 * jobs have finished.
 */
export function heldDependents(db: Database, pk: number): JobRow[] {
  return db.prepare(
    `SELECT jobs.* FROM jobs, json_each(jobs.depends_on_json) AS dep
     WHERE jobs.state = 'created' AND jobs.submit_step = 'held' AND dep.value = ? ORDER BY pk`,
  ).all(pk) as unknown as JobRow[];
}

/** The job submitted with idempotency key `token`, if any. */
export function findJobByClientToken(db: Database, token: string): JobRow | undefined {
  return db.prepare("SELECT * FROM jobs WHERE client_token = ?").get(token) as JobRow | undefined;
}

/** The job tracking a SLURM job on a cluster, if any. */
export function findJobBySlurmId(
  db: Database,
  clusterId: number,
  slurmJobId: string,
): JobRow | undefined {
  return db.prepare("SELECT * FROM jobs WHERE cluster_id = ? AND slurm_job_id = ?")
    .get(clusterId, slurmJobId) as JobRow | undefined;
}

/** The state transitions of a job, oldest first. */
export function jobHistory(
  db: Database,
  pk: number,
): { from_state: JobState | null; to_state: JobState; at: string; reason: string | null }[] {
  return db.prepare(
    `SELECT from_state, to_state, at, reason FROM job_events
     WHERE job_pk = ? AND kind = 'state' ORDER BY seq`,
  ).all(pk) as unknown as {
    from_state: JobState | null;
    to_state: JobState;
    at: string;
    reason: string | null;
  }[];
}

/** Logged events after `seq`, oldest first, at most `limit`. */
export function jobEventsAfter(db: Database, seq: number, limit: number): JobEventRow[] {
  return db.prepare("SELECT * FROM job_events WHERE seq > ? ORDER BY seq LIMIT ?")
    .all(seq, limit) as unknown as JobEventRow[];
}

/** The oldest and newest sequence numbers still logged (0 and the last issued when empty). */
export function jobEventBounds(db: Database): { oldest: number; newest: number } {
  const row = db.prepare(
    `SELECT MIN(seq) AS oldest, MAX(seq) AS newest FROM job_events`,
  ).get() as { oldest: number | null; newest: number | null };
  const issued = db.prepare(
    "SELECT seq FROM sqlite_sequence WHERE name = 'job_events'",
  ).get() as { seq: number } | undefined;
  const newest = Math.max(row.newest ?? 0, issued?.seq ?? 0);
  return { oldest: row.oldest ?? newest + 1, newest };
}

/**
 * Forgets events that are both older than `before` and not among the newest `keep`: events stay
 * for at least that long or that many, whichever is more. Returns how many went.
 */
export function pruneJobEvents(db: Database, options: { before: string; keep: number }): number {
  const { newest } = jobEventBounds(db);
  return Number(
    db.prepare("DELETE FROM job_events WHERE seq <= ? AND at < ?")
      .run(newest - options.keep, options.before).changes,
  );
}

// --- Writes: for jobs/store.ts only, inside its transactions ---------------------------------

/** The pk a new job gets: above every pk ever given, deleted ones too, so a pk names one job. */
const NEXT_PK = "MAX(COALESCE((SELECT MAX(pk) FROM jobs), 0), (SELECT last FROM job_pk_high)) + 1";

/** The columns every new job fills, in the order `newJobValues` gives them. */
const NEW_JOB_COLUMNS = "uuid, name, dft_code, runner_type, cluster_id, input, properties_input, " +
  "restart_from, tags_json, resources_json, output_name, depends_on_json, client_token, workflow_id, " +
  "fort34, properties_only";
const NEW_JOB_MARKS = NEW_JOB_COLUMNS.split(",").map(() => "?").join(", ");

/** The values of NEW_JOB_COLUMNS for `job`. */
function newJobValues(job: NewJob): SQLInputValue[] {
  return [
    job.uuid,
    job.name,
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
    job.client_token ?? null,
    job.workflow_id ?? null,
    job.fort34 ?? null,
    job.properties_only ? 1 : 0,
  ];
}

/** Inserts a job in state created. */
export function insertJobRow(c: Database, job: NewJob, at: string): JobRow {
  return c.prepare(
    `INSERT INTO jobs (pk, state, ${NEW_JOB_COLUMNS}, created_at, updated_at)
     VALUES (${NEXT_PK}, 'created', ${NEW_JOB_MARKS}, ?, ?) RETURNING *`,
  ).get(...newJobValues(job), at, at) as unknown as JobRow;
}

/** True when no job has, or may have had, `pk` (pks up to the highest deleted one are not). */
export function isPkFree(c: Database, pk: number): boolean {
  const row = c.prepare(
    "SELECT EXISTS (SELECT 1 FROM jobs WHERE pk = ?) AS taken, (SELECT last FROM job_pk_high) AS last",
  ).get(pk) as { taken: number; last: number };
  return pk >= 1 && row.taken === 0 && pk > row.last;
}

/** The pk the next new job gets. */
export function nextJobPk(c: Database): number {
  return (c.prepare(`SELECT ${NEXT_PK} AS pk`).get() as { pk: number }).pk;
}

/** Inserts an imported job with the pk, state and times it carries. */
export function insertImportedJobRow(c: Database, job: ImportedJob, at: string): JobRow {
  return c.prepare(
    `INSERT INTO jobs (pk, state, ${NEW_JOB_COLUMNS}, state_reason, work_dir, created_at,
       started_at, finished_at, results_json, final_energy, slurm_job_id, remote_dir, updated_at)
     VALUES (?, ?, ${NEW_JOB_MARKS}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  ).get(
    job.pk,
    job.state,
    ...newJobValues(job),
    job.state_reason,
    job.work_dir,
    job.created_at,
    job.started_at,
    job.finished_at,
    job.results_json,
    job.final_energy,
    job.slurm_job_id,
    job.remote_dir,
    at,
  ) as unknown as JobRow;
}

/** The job with `pk` read on the transaction's connection. @throws {NotFoundError} */
export function getJobRow(c: Database, pk: number): JobRow {
  const row = c.prepare("SELECT * FROM jobs WHERE pk = ?").get(pk) as JobRow | undefined;
  if (!row) throw new NotFoundError(`Job ${pk} does not exist`, { data: { pk } });
  return row;
}

/** Sets `fields` (and `state`, when given) and returns the new row. */
export function updateJobRow(
  c: Database,
  pk: number,
  change: { fields: JobUpdate; state?: JobState; at: string },
): JobRow {
  const keys = (UPDATABLE_COLUMNS as readonly string[]).filter((k) => k in change.fields);
  const sets = keys.map((k) => `${k} = ?`);
  const args = keys.map((k) => (change.fields as Record<string, SQLInputValue>)[k] ?? null);
  if (change.state !== undefined) sets.push("state = ?"), args.push(change.state);
  return c.prepare(
    `UPDATE jobs SET ${[...sets, "updated_at = ?"].join(", ")} WHERE pk = ? RETURNING *`,
  ).get(...args, change.at, pk) as unknown as JobRow;
}

/** Appends one event and returns its sequence number. */
export function insertJobEvent(c: Database, event: Omit<JobEventRow, "seq">): number {
  const row = c.prepare(
    `INSERT INTO job_events (job_pk, kind, from_state, to_state, progress_percent, runner_type,
       cluster_id, at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
  ).get(
    event.job_pk,
    event.kind,
    event.from_state,
    event.to_state,
    event.progress_percent,
    event.runner_type,
    event.cluster_id,
    event.at,
    event.reason,
  ) as { seq: number };
  return row.seq;
}

/** Deletes a job and its logged events (not the event that records the deletion). */
export function deleteJobRow(c: Database, pk: number): void {
  // Later jobs that restarted from this one keep their own files; only the link goes.
  c.prepare("UPDATE jobs SET restart_from = NULL WHERE restart_from = ?").run(pk);
  c.prepare("DELETE FROM job_events WHERE job_pk = ?").run(pk);
  c.prepare("DELETE FROM jobs WHERE pk = ?").run(pk);
  c.prepare("UPDATE job_pk_high SET last = MAX(last, ?)").run(pk);
}
