/**
 * The job store: the only writer of job rows. Every change (a new job, a state transition, a
 * progress step, a deletion) is logged in `job_events` with a sequence number in the same
 * transaction as the change, and announced after the commit as a `job-changed` event, so that
 * push subscriptions, the scheduler of dependent jobs and workflows can all follow jobs without
 * polling the database.
 *
 * @module
 */
import { type Clock, isoNow } from "../clock.ts";
import {
  deleteJobRow,
  findJob,
  getJob,
  getJobRow,
  insertImportedJobRow,
  insertJobEvent,
  insertJobRow,
  isPkFree,
  jobEventBounds,
  type JobEventKind,
  type JobEventRow,
  jobEventsAfter,
  nextJobPk,
  pruneJobEvents,
  updateJobRow,
} from "../db/jobs.ts";
import type { Database } from "../db/open.ts";
import { InvalidStateError } from "../errors.ts";
import type { ImportedJob, JobRow, JobUpdate, NewJob, RunnerType } from "../model/job.ts";
import { canTransition, isTerminal, type JobState } from "../model/job_state.ts";
import { type Logger, SILENT_LOGGER } from "../log.ts";

/** The name of the event the store dispatches after each committed change. */
export const JOB_CHANGED = "job-changed";

/** One committed change of a job, as logged and announced. */
export interface JobChange {
  seq: number;
  pk: number;
  kind: JobEventKind;
  state: JobState;
  previous_state: JobState | null;
  progress_percent: number;
  runner_type: RunnerType;
  cluster_id: number | null;
  at: string;
  reason: string | null;
  /** The workflow the job belongs to (for a replayed change, as the job row says now). */
  workflow_id: string | null;
}

/** How long events stay: at least `days` days or the newest `keep`, whichever is more. */
export interface EventRetention {
  days: number;
  keep: number;
}

/** The retention the issue of record fixes: 30 days or the last 100 000 events. */
export const DEFAULT_RETENTION: EventRetention = { days: 30, keep: 100_000 };

/** Prune once per this many logged events (and once at start). */
const PRUNE_EVERY = 1000;

/** What a transition may carry. */
export interface TransitionChange {
  /** Why: shown as the job's state_reason and in its history. */
  reason?: string;
  /** Columns written in the same transaction. */
  fields?: JobUpdate;
  /**
   * Compare-and-set: the transition happens only while the job is in one of these states;
   * otherwise it is refused with InvalidStateError and nothing changes.
   */
  from?: readonly JobState[];
}

function changeOf(row: JobEventRow, workflowId: string | null): JobChange {
  return {
    seq: row.seq,
    pk: row.job_pk,
    kind: row.kind,
    state: row.to_state,
    previous_state: row.from_state,
    progress_percent: row.progress_percent,
    runner_type: row.runner_type,
    cluster_id: row.cluster_id,
    at: row.at,
    reason: row.reason,
    workflow_id: workflowId,
  };
}

/**
 * The job store. Listeners of `job-changed` receive a `CustomEvent<JobChange>`; they run
 * synchronously after the commit. Register them with `onChange`, which keeps a listener that
 * throws from taking the daemon down (an exception out of an EventTarget listener is an uncaught
 * error in Deno).
 */
export class JobStore extends EventTarget {
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #retention: EventRetention;
  readonly #log: Logger;
  readonly #busyBudgetMs: number | undefined;
  #sincePrune = 0;

  constructor(
    deps: {
      db: Database;
      clock: Clock;
      retention?: EventRetention;
      log?: Logger;
      /** How long a write retries while another process holds the database's lock. */
      busyBudgetMs?: number;
    },
  ) {
    super();
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#retention = deps.retention ?? DEFAULT_RETENTION;
    this.#log = deps.log ?? SILENT_LOGGER;
    this.#busyBudgetMs = deps.busyBudgetMs;
    this.prune();
  }

  /**
   * Calls `listener` after every committed change; an exception it throws is logged and goes no
   * further. Returns a function that removes it.
   */
  onChange(listener: (change: JobChange) => void): () => void {
    const wrapped = (event: Event) => {
      try {
        listener((event as CustomEvent<JobChange>).detail);
      } catch (error) {
        this.#log.error("A job change listener failed", { error });
      }
    };
    this.addEventListener(JOB_CHANGED, wrapped);
    return () => this.removeEventListener(JOB_CHANGED, wrapped);
  }

  /** The database, for the read queries in db/jobs.ts. */
  get db(): Database {
    return this.#db;
  }

  /** The job with `pk`. @throws {NotFoundError} */
  get(pk: number): JobRow {
    return getJob(this.#db, pk);
  }

  /** The job with `pk`, or undefined. */
  find(pk: number): JobRow | undefined {
    return findJob(this.#db, pk);
  }

  /** Records a new job, in state created. */
  insert(job: NewJob): Promise<JobRow> {
    return this.#write((c, at) => {
      const row = insertJobRow(c, job, at);
      return {
        row,
        event: this.#event(row, { kind: "state", from: null, at, reason: "submitted" }),
      };
    });
  }

  /**
   * Records a batch of jobs brought in from elsewhere, in one transaction with whatever `plan`
   * writes first (it runs inside it, with the time of the write, and returns the jobs) and `finish` writes after. Each job
   * keeps its wanted pk when no job has or had it, else gets the next one; `depends_on` follows.
   * Each insert is logged as a state event from nothing, with `reason`, and announced.
   * @throws {DatabaseError} when it cannot be written; nothing changed then
   */
  async importJobs(
    plan: (c: Database, at: string) => readonly ImportedJob[],
    options: { reason: string; finish?: (c: Database, rows: readonly JobRow[]) => void },
  ): Promise<JobRow[]> {
    const { rows, changes } = await this.#db.write((c) => {
      const at = isoNow(this.#clock);
      const jobs = plan(c, at);
      const pks = new Map<number, number>();
      for (const job of jobs) if (isPkFree(c, job.pk)) pks.set(job.pk, job.pk);
      let next = Math.max(nextJobPk(c), ...[...pks.values()].map((pk) => pk + 1));
      for (const job of jobs) if (!pks.has(job.pk)) pks.set(job.pk, next++);
      const rows: JobRow[] = [];
      const changes: JobChange[] = [];
      for (const job of jobs) {
        const depends_on = (job.depends_on ?? []).flatMap((pk) => pks.get(pk) ?? []);
        const row = insertImportedJobRow(c, { ...job, pk: pks.get(job.pk)!, depends_on }, at);
        const event = this.#event(row, { kind: "state", from: null, at, reason: options.reason });
        rows.push(row);
        changes.push(changeOf({ ...event, seq: insertJobEvent(c, event) }, row.workflow_id));
      }
      options.finish?.(c, rows);
      return { rows, changes };
    }, this.#busyBudgetMs);
    for (const change of changes) {
      this.dispatchEvent(new CustomEvent<JobChange>(JOB_CHANGED, { detail: change }));
    }
    return rows;
  }

  /**
   * Changes columns that are not the state. A change of `progress_percent` is logged and
   * announced; the other columns are bookkeeping that nobody subscribes to.
   */
  update(pk: number, fields: JobUpdate): Promise<JobRow> {
    return this.#write((c, at) => {
      const before = getJobRow(c, pk);
      const row = updateJobRow(c, pk, { fields, at });
      const isProgress = fields.progress_percent !== undefined &&
        fields.progress_percent !== before.progress_percent;
      return {
        row,
        event: isProgress
          ? this.#event(row, { kind: "progress", from: row.state, at, reason: null })
          : undefined,
      };
    });
  }

  /**
   * Moves a job to `to` with `change.fields`, checking the state machine (and `change.from`)
   * inside the transaction. Moving to running stamps started_at; a terminal state stamps
   * finished_at.
   * @throws {InvalidStateError} when the state machine or `from` forbids it
   * @throws {NotFoundError} when the job does not exist
   */
  transition(pk: number, to: JobState, change: TransitionChange = {}): Promise<JobRow> {
    return this.#write((c, at) => {
      const current = getJobRow(c, pk);
      if (change.from !== undefined && !change.from.includes(current.state)) {
        throw new InvalidStateError(
          `Cannot move job ${pk} to ${to}: it is ${current.state}, not ${change.from.join(" or ")}`,
          { data: { pk, state: current.state, requested: to } },
        );
      }
      if (!canTransition(current.state, to)) {
        throw new InvalidStateError(`Cannot move job ${pk} from ${current.state} to ${to}`, {
          data: { pk, state: current.state, requested: to },
        });
      }
      const fields: JobUpdate = { ...change.fields };
      if (to === "running" && !current.started_at) fields.started_at ??= at;
      if (isTerminal(to)) fields.finished_at ??= at;
      if (change.reason !== undefined) fields.state_reason ??= change.reason;
      const row = updateJobRow(c, pk, { fields, state: to, at });
      const reason = change.reason ?? null;
      return { row, event: this.#event(row, { kind: "state", from: current.state, at, reason }) };
    });
  }

  /** Deletes a job and its history; the deletion itself is logged and announced. */
  async delete(pk: number): Promise<void> {
    await this.#write((c, at) => {
      const row = getJobRow(c, pk);
      deleteJobRow(c, pk);
      return {
        row,
        event: this.#event(row, { kind: "deleted", from: row.state, at, reason: null }),
      };
    });
  }

  /** Logged changes after `seq`, oldest first, at most `limit`. */
  changesAfter(seq: number, limit: number): JobChange[] {
    return jobEventsAfter(this.#db, seq, limit).map((row) =>
      changeOf(row, findJob(this.#db, row.job_pk)?.workflow_id ?? null)
    );
  }

  /** The oldest sequence number still logged, and the newest issued. */
  bounds(): { oldest: number; newest: number } {
    return jobEventBounds(this.#db);
  }

  /**
   * Forgets events past the retention. Housekeeping: when the database cannot be written now, it
   * is skipped and done at the next pass.
   */
  prune(): number {
    this.#sincePrune = 0;
    const before = new Date(this.#clock.now().getTime() - this.#retention.days * 86_400_000);
    try {
      return pruneJobEvents(this.#db, { before: before.toISOString(), keep: this.#retention.keep });
    } catch (error) {
      this.#log.warn("Cannot prune job events now", { error });
      return 0;
    }
  }

  #event(
    row: JobRow,
    event: { kind: JobEventKind; from: JobState | null; at: string; reason: string | null },
  ): Omit<JobEventRow, "seq"> {
    return {
      job_pk: row.pk,
      kind: event.kind,
      from_state: event.from,
      to_state: row.state,
      progress_percent: row.progress_percent,
      runner_type: row.runner_type,
      cluster_id: row.cluster_id,
      at: event.at,
      reason: event.reason,
    };
  }

  /**
   * Runs one change in a write transaction (retried while another process holds the lock, up to
   * the budget), then announces it.
   * @throws {DatabaseError} when it cannot be written; nothing changed then
   */
  async #write(
    fn: (
      c: Database,
      at: string,
    ) => { row: JobRow; event: Omit<JobEventRow, "seq"> | undefined },
  ): Promise<JobRow> {
    const { row, change } = await this.#db.write((c) => {
      // Read inside: a retried write records when it happened, not when it was first tried.
      const at = isoNow(this.#clock);
      const { row, event } = fn(c, at);
      if (event === undefined) return { row, change: undefined };
      const seq = insertJobEvent(c, event);
      return { row, change: changeOf({ ...event, seq }, row.workflow_id) };
    }, this.#busyBudgetMs);
    if (change !== undefined) {
      this.dispatchEvent(new CustomEvent<JobChange>(JOB_CHANGED, { detail: change }));
      if (++this.#sincePrune >= PRUNE_EVERY) this.prune();
    }
    return row;
  }
}
