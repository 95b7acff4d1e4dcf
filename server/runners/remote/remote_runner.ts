/**
 * A remote runner: jobs on clusters over a transport, started and observed by a scheduler
 * (SLURM, or detached processes on a plain SSH host). It must never lose, duplicate or orphan a
 * remote job:
 * - submission stores each step before taking it (submission.ts);
 * - one poll per cluster looks at all of its jobs in as few commands as the scheduler can; SSH
 *   failures back off and change no job's state;
 * - a job is terminal only once the scheduler says so or its own exit-code file exists, or after
 *   it has been missing, with no exit code, for several polls in a row.
 *
 * @module
 */
import { type Cluster, clusterOf } from "../../clusters/cluster.ts";
import type { Config } from "../../config.ts";
import { getCluster } from "../../db/clusters.ts";
import { AppError, InvalidStateError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import type { JobRow } from "../../model/job.ts";
import { isTerminal, type JobState } from "../../model/job_state.ts";
import type { JobUpdate } from "../../model/job.ts";
import type { JobStore } from "../../jobs/store.ts";
import { outcomeFields } from "../../jobs/outcome.ts";
import type { SshPool } from "../../ssh/pool.ts";
import type { FileTail, Runner, SyncSummary } from "../runner.ts";
import { fetchResults, tailRemote } from "./files.ts";
import { classifyFetched, dependencyReason, remoteProgress } from "./finish.ts";
import type { Observation, Scheduler, Transport } from "./scheduler.ts";
import {
  activeJobs,
  launchOrWait,
  prepareRemote,
  resume,
  type SubmissionDeps,
  upload,
} from "./submission.ts";
import { sshTransport } from "./transport.ts";

/** Polls in a row a job may be missing, with no exit code, before it is declared lost. */
const MAX_ABSENT_POLLS = 3;
/** The longest wait between polls of an unreachable cluster. */
const MAX_BACKOFF_MS = 10 * 60 * 1000;
/** SSH and scheduler failures hit every job of a cluster alike: they end the poll. */
const CLUSTER_WIDE = new Set(["ssh_failed", "timeout", "slurm_rejected"]);

/** What one poll's steps share: the cluster's transport, and the one way they move a job. */
interface PollContext {
  transport: Transport;
  /** Moves a job to `to` unless it is there already or has ended; the poll reports it. */
  track(row: JobRow, to: JobState, reason: string | null, fields?: JobUpdate): Promise<void>;
}

/** What a remote runner needs. */
export interface RemoteRunnerDeps {
  store: JobStore;
  log: Logger;
  config: Config;
  ssh: SshPool;
  scheduler: Scheduler;
}

/** Jobs on clusters. Closing it stops polling; it never cancels remote jobs. */
export class RemoteRunner implements Runner {
  readonly type: "slurm" | "ssh";
  readonly #deps: RemoteRunnerDeps;
  readonly #closing = new AbortController();
  readonly #timers = new Map<number, ReturnType<typeof setTimeout>>();
  readonly #failures = new Map<number, number>();
  readonly #polls = new Map<number, Promise<SyncSummary>>();
  /** Jobs a submit() call is uploading or starting right now: not the poll's business. */
  readonly #submitting = new Set<number>();

  constructor(deps: RemoteRunnerDeps) {
    this.#deps = deps;
    this.type = deps.scheduler.type;
  }

  get #sub(): SubmissionDeps {
    return this.#deps;
  }

  #transport(cluster: Cluster): Transport {
    return sshTransport(this.#deps.ssh, {
      cluster,
      signal: this.#closing.signal,
      log: this.#deps.log,
    });
  }

  #cluster(job: JobRow): Cluster {
    return clusterOf(getCluster(this.#deps.store.db, job.cluster_id!));
  }

  /** Starts tracking every cluster with active jobs (after a restart, too). */
  start(): Promise<void> {
    for (const id of this.#activeClusters()) this.#schedule(id, 0);
    return Promise.resolve();
  }

  #activeClusters(): number[] {
    const ids = activeJobs(this.#sub).map((row) => row.cluster_id).filter((id) => id !== null);
    return [...new Set(ids)] as number[];
  }

  /** True while any job of this runner is active. */
  hasWork(): boolean {
    return activeJobs(this.#sub).length > 0;
  }

  /**
   * Submits a recorded job (state created) to its cluster: remote directory, inputs, run script,
   * then the scheduler. An SSH failure while starting leaves the job `unknown`; the poll then
   * finds it by its marker rather than starting it again.
   * @throws {SlurmRejectedError} when the host refuses the job (the job is then failed)
   */
  async submit(row: JobRow): Promise<JobRow> {
    const cluster = this.#cluster(row);
    const transport = this.#transport(cluster);
    this.#submitting.add(row.pk);
    try {
      const uploaded = await upload(this.#sub, await prepareRemote(this.#sub, row, cluster), {
        cluster,
        transport,
      });
      return await launchOrWait(this.#sub, uploaded, { cluster, transport });
    } finally {
      this.#submitting.delete(row.pk);
      this.#schedule(cluster.id, 1000);
    }
  }

  /**
   * Stops a remote job and records it cancelled.
   * @throws {InvalidStateError} when it has already finished
   */
  async cancel(job: JobRow): Promise<JobRow> {
    const row = this.#deps.store.get(job.pk);
    if (isTerminal(row.state)) {
      throw new InvalidStateError(`Cannot cancel job ${row.pk}: it is already ${row.state}`, {
        data: { pk: row.pk, state: row.state },
      });
    }
    const { scheduler } = this.#deps;
    if (scheduler.idOf(row) !== null && row.cluster_id !== null) {
      await scheduler.kill(row, this.#transport(this.#cluster(row)));
    }
    return this.#deps.store.transition(row.pk, "cancelled", {
      reason: `cancelled by the user (${scheduler.type === "slurm" ? "scancel" : "kill"})`,
    });
  }

  /** The last lines of an unfinished remote job's file, read on the cluster. */
  async tail(job: JobRow, options: { file: string; lines: number }): Promise<FileTail | undefined> {
    if (job.remote_dir === null || isTerminal(job.state)) return undefined;
    return await tailRemote(this.#transport(this.#cluster(job)), job, options);
  }

  /** Polls now: one cluster, or every cluster with active jobs. */
  async sync(clusterId?: number): Promise<SyncSummary> {
    const ids = clusterId !== undefined ? [clusterId] : this.#activeClusters();
    const total: SyncSummary = { clusters: 0, checked: 0, changed: [], errors: [] };
    for (const id of ids) {
      const one = await this.#poll(id);
      total.clusters += one.clusters;
      total.checked += one.checked;
      total.changed.push(...one.changed);
      total.errors.push(...one.errors);
      if (activeJobs(this.#sub, id).length > 0) {
        this.#schedule(id, this.#deps.config.slurm.pollIntervalMs);
      }
    }
    return total;
  }

  /** Starts tracking a cluster now (after an adoption, or a held job released). */
  wake(clusterId: number): void {
    this.#schedule(clusterId, 0);
  }

  #schedule(clusterId: number, delayMs: number): void {
    if (this.#closing.signal.aborted) return;
    clearTimeout(this.#timers.get(clusterId));
    this.#timers.set(clusterId, setTimeout(() => void this.#tick(clusterId), delayMs));
  }

  async #tick(clusterId: number): Promise<void> {
    this.#timers.delete(clusterId);
    const summary = await this.#poll(clusterId);
    if (this.#closing.signal.aborted) return;
    if (activeJobs(this.#sub, clusterId).length === 0) return;
    const failures = summary.errors.length ? (this.#failures.get(clusterId) ?? 0) + 1 : 0;
    this.#failures.set(clusterId, failures);
    const interval = this.#deps.config.slurm.pollIntervalMs;
    this.#schedule(clusterId, Math.min(MAX_BACKOFF_MS, interval * 2 ** failures));
  }

  /** Polls one cluster now, or joins the poll already running. */
  #poll(clusterId: number): Promise<SyncSummary> {
    let running = this.#polls.get(clusterId);
    if (!running) {
      running = this.#pollCluster(clusterId).finally(() => this.#polls.delete(clusterId));
      this.#polls.set(clusterId, running);
    }
    return running;
  }

  async #pollCluster(clusterId: number): Promise<SyncSummary> {
    const { store, log, scheduler } = this.#deps;
    const summary: SyncSummary = { clusters: 1, checked: 0, changed: [], errors: [] };
    let cluster: Cluster;
    try {
      cluster = clusterOf(getCluster(store.db, clusterId));
    } catch {
      return { ...summary, clusters: 0 }; // Deleted meanwhile: nothing to poll.
    }
    const transport = this.#transport(cluster);
    const track = async (
      row: JobRow,
      to: JobState,
      reason: string | null,
      fields: JobUpdate = {},
    ) => {
      const fresh = store.get(row.pk);
      if (fresh.state === to || isTerminal(fresh.state)) return;
      await store.transition(row.pk, to, { ...(reason === null ? {} : { reason }), fields });
      summary.changed.push({ pk: row.pk, from: fresh.state, to, reason });
    };
    try {
      const jobs = activeJobs(this.#sub, clusterId);
      summary.checked = jobs.length;
      for (const row of jobs) {
        if (row.submit_step === "submitted" || this.#submitting.has(row.pk)) continue;
        await this.#guarded(row, () => resume(this.#sub, row, { cluster, transport }));
      }
      const tracked = activeJobs(this.#sub, clusterId).filter((j) =>
        j.submit_step === "submitted" && scheduler.idOf(j) !== null
      );
      if (tracked.length === 0) return summary;
      const seen = await scheduler.observe(tracked, transport);
      for (const row of tracked) {
        const observation = seen.get(row.pk) ?? { kind: "absent" };
        await this.#guarded(row, () => this.#apply(row, observation, { transport, track }));
      }
      await this.#updateProgress(transport, clusterId);
    } catch (error) {
      // A network blip or a busy controller: keep every job as it was, and retry later. Anything
      // else is a bug, logged with its stack; the cluster is still polled again.
      if (error instanceof AppError) {
        log.warn("Cannot poll cluster", { cluster: cluster.name, error: error.message });
      } else log.error("Polling cluster failed", { cluster: cluster.name, error });
      summary.errors.push({
        cluster_id: clusterId,
        message: error instanceof AppError
          ? error.message
          : "Internal error while polling; see the log",
      });
    }
    return summary;
  }

  /**
   * Runs one job's step of a poll. Cluster-wide failures end the poll; anything else is that
   * job's own problem: logged, and the other jobs carry on.
   */
  async #guarded(row: JobRow, step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (error) {
      if (error instanceof AppError && CLUSTER_WIDE.has(error.kind)) throw error;
      this.#deps.log.error("Cannot update remote job", { pk: row.pk, error });
    }
  }

  async #apply(
    row: JobRow,
    seen: Observation,
    ctx: PollContext,
  ): Promise<void> {
    const { store, scheduler } = this.#deps;
    const { track } = ctx;
    const word = "word" in seen ? seen.word : null;
    if (word !== null && row.remote_state !== word) {
      await store.update(row.pk, { remote_state: word });
    }
    switch (seen.kind) {
      case "unchanged":
        return;
      case "queued":
        if (row.state === "submitted" || row.state === "unknown") {
          await track(row, "queued", seen.reason);
        }
        return;
      case "running":
        await track(row, "running", `running on ${seen.where}`);
        return;
      case "dependency_never":
        // Its dependency failed and the scheduler will not cancel it by itself: cancel it here.
        await scheduler.kill(row, ctx.transport);
        await track(row, "cancelled", dependencyReason(store.db, row, scheduler.label));
        return;
      case "absent": {
        const absences =
          Number(row.remote_state?.startsWith("ABSENT:") ? row.remote_state.slice(7) : 0) + 1;
        if (absences < MAX_ABSENT_POLLS) {
          await store.update(row.pk, { remote_state: `ABSENT:${absences}` });
          return;
        }
        const reason = `${scheduler.label} no longer knows job ${
          scheduler.idOf(row)
        } and it left no exit code`;
        return await this.#finish(row, { word: null, reason }, ctx);
      }
      case "cancelled":
      case "ended":
        return await this.#finish(row, seen, ctx);
    }
  }

  /** Fetches a finished job's files and records its outcome. */
  async #finish(
    row: JobRow,
    seen: { kind?: string; word: string | null; reason: string | null },
    ctx: PollContext,
  ): Promise<void> {
    const { store, log, scheduler } = this.#deps;
    const refused = await fetchResults(ctx.transport, row);
    if (refused.length > 0) {
      log.warn("Refused remote file names that are not plain names", {
        pk: row.pk,
        cluster: ctx.transport.name,
        names: refused,
      });
    }
    if (seen.kind === "cancelled") {
      const reason = /Dependency/i.test(seen.reason ?? "") || JSON.parse(row.depends_on_json).length
        ? dependencyReason(store.db, row, scheduler.label)
        : `cancelled on the cluster (${seen.word})`;
      await ctx.track(row, "cancelled", reason);
      return;
    }
    const { outcome, exitCode } = await classifyFetched(row, { ...seen, label: scheduler.label });
    log.info("Remote job finished", {
      pk: row.pk,
      cluster: ctx.transport.name,
      state: outcome.state,
      reason: outcome.reason,
    });
    await ctx.track(row, outcome.state, outcome.reason, outcomeFields(outcome, exitCode));
  }

  /** Raises running jobs' progress. Best effort: a failure is logged and changes no state. */
  async #updateProgress(transport: Transport, clusterId: number): Promise<void> {
    const running = activeJobs(this.#sub, clusterId).filter((j) =>
      j.state === "running" && j.remote_dir !== null
    );
    try {
      for (const { pk, percent } of await remoteProgress(transport, running)) {
        await this.#deps.store.update(pk, { progress_percent: percent });
      }
    } catch (error) {
      this.#deps.log.debug("Cannot read remote progress", { cluster: transport.name, error });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#closing.abort();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#polls.values()]);
  }
}
