/**
 * The Runner interface: a place where jobs run (this machine, a SLURM cluster, a plain SSH
 * host), and the RunnerSet that picks a job's runner. Runners change job rows only through the
 * job store; nothing above them branches on `runner_type`.
 *
 * @module
 */
import { AppError } from "../errors.ts";
import type { JobRow, RunnerType } from "../model/job.ts";
import type { Tail } from "../jobs/tail.ts";

/** The end of one of a job's files, and where it was read. */
export type FileTail = Tail & { path: string };

/** One state change seen by a sync. */
export interface SyncChange {
  pk: number;
  from: JobRow["state"];
  to: JobRow["state"];
  reason: string | null;
}

/** What a sync did. */
export interface SyncSummary {
  clusters: number;
  checked: number;
  changed: SyncChange[];
  errors: { cluster_id: number; message: string }[];
}

/** A place where jobs run. */
export interface Runner extends AsyncDisposable {
  readonly type: RunnerType;
  /** Reconciles stored jobs with what runs (after a restart), then starts waiting work. */
  start(): Promise<void>;
  /** Starts a recorded job whose local directory is written; returns its row after. */
  submit(job: JobRow, options?: { signal?: AbortSignal }): Promise<JobRow>;
  /**
   * Cancels an active job and returns its row, cancelled.
   * @throws {InvalidStateError} when it has already ended
   */
  cancel(job: JobRow, options?: { signal?: AbortSignal }): Promise<JobRow>;
  /** The last lines of a job's file while it runs (undefined: read the local copy). */
  tail(
    job: JobRow,
    options: { file: string; lines: number; signal?: AbortSignal },
  ): Promise<FileTail | undefined>;
  /** Checks the runner's active jobs now (one cluster, or all). */
  sync(clusterId?: number): Promise<SyncSummary>;
  /** Looks at a cluster's jobs soon (after an adoption); a no-op where there is nothing to poll. */
  wake(clusterId: number): void;
  /** True while any job of this runner is active: the idle timer keeps the daemon up. */
  hasWork(): boolean;
}

/** The runners of one daemon, by type. */
export class RunnerSet implements AsyncDisposable {
  readonly #byType: Map<RunnerType, Runner>;

  constructor(runners: readonly Runner[]) {
    this.#byType = new Map(runners.map((r) => [r.type, r]));
  }

  /** Every runner. */
  get all(): Runner[] {
    return [...this.#byType.values()];
  }

  /** The runner of `type`. @throws {AppError} when this daemon has none */
  of(type: RunnerType): Runner {
    const runner = this.#byType.get(type);
    if (!runner) throw new AppError("server_error", `No runner for "${type}" jobs`);
    return runner;
  }

  /** The runner a job belongs to. */
  for(job: { runner_type: RunnerType }): Runner {
    return this.of(job.runner_type);
  }

  /** Starts every runner, in order. */
  async start(): Promise<void> {
    for (const runner of this.#byType.values()) await runner.start();
  }

  /** Checks every runner's active jobs now (one cluster, or all), and adds up what changed. */
  async sync(clusterId?: number): Promise<SyncSummary> {
    const total: SyncSummary = { clusters: 0, checked: 0, changed: [], errors: [] };
    for (const runner of this.#byType.values()) {
      const one = await runner.sync(clusterId);
      total.clusters += one.clusters;
      total.checked += one.checked;
      total.changed.push(...one.changed);
      total.errors.push(...one.errors);
    }
    return total;
  }

  /** True while any runner has work. */
  hasWork(): boolean {
    return this.all.some((r) => r.hasWork());
  }

  /** Stops every runner (runs go on; they are reconciled at the next start). */
  async [Symbol.asyncDispose](): Promise<void> {
    for (const runner of [...this.#byType.values()].reverse()) {
      await runner[Symbol.asyncDispose]();
    }
  }
}
