/**
 * Dependencies the daemon holds: a job whose dependencies are not done waits in state created
 * (submit step "held") until they have all completed, then goes to its runner; when one fails or
 * is cancelled, it ends cancelled with that dependency named. Jobs on one SLURM cluster are the
 * exception: once a dependency there has a SLURM id, the job goes to SLURM with afterok, so the
 * study carries on while the laptop sleeps. The holder follows the job store's events; it never
 * polls.
 *
 * @module
 */
import { heldDependents, jobsInStates } from "../db/jobs.ts";
import { dependenciesOf, type JobRow, RUNNER_TYPES } from "../model/job.ts";
import { isTerminal } from "../model/job_state.ts";
import { prepareJobFiles } from "../jobs/prepare.ts";
import type { JobChange, JobStore } from "../jobs/store.ts";
import type { Engine } from "./engine.ts";

/** True when SLURM itself can order `job` after `dep` (afterok). */
function isOrderedBySlurm(job: JobRow, dep: JobRow): boolean {
  return job.runner_type === "slurm" && dep.runner_type === "slurm" &&
    dep.cluster_id === job.cluster_id && dep.slurm_job_id !== null;
}

/** Why `job` must wait in the daemon, or null when it may go to its runner now. */
export function holdReason(store: JobStore, job: JobRow): string | null {
  const waiting = dependenciesOf(job).map((pk) => store.get(pk))
    .filter((dep) => dep.state !== "completed" && !isOrderedBySlurm(job, dep));
  if (waiting.length === 0) return null;
  return `waiting for ${waiting.length === 1 ? "job" : "jobs"} ${
    waiting.map((d) => `${d.pk} (${d.state})`).join(", ")
  }`;
}

/**
 * Moves a held job on if it can: cancelled when a dependency failed or was cancelled, to its
 * runner when none is left to wait for. Returns its row after, or undefined while it still waits.
 */
export async function releaseIfReady(engine: Engine, job: JobRow): Promise<JobRow | undefined> {
  const { store } = engine;
  if (job.state !== "created" || job.submit_step !== "held") return undefined;
  const deps = dependenciesOf(job).map((pk) => ({ pk, dep: store.find(pk) }));
  const missing = deps.find((d) => d.dep === undefined);
  const broken = deps.find((d) => d.dep?.state === "failed" || d.dep?.state === "cancelled");
  if (missing !== undefined || broken !== undefined) {
    const which = broken !== undefined
      ? `dependency job ${broken.pk} ended ${broken.dep!.state}`
      : `dependency job ${missing!.pk} was deleted`;
    return store.transition(job.pk, "cancelled", {
      reason: `${which}; this job will not run`,
      from: ["created"],
    });
  }
  if (holdReason(store, job) !== null) return undefined;
  engine.log.info("Dependencies done: submitting held job", { pk: job.pk });
  const released = await store.update(job.pk, {
    submit_step: null,
    state_reason: "dependencies done",
  });
  if (released.restart_from !== null) {
    try {
      // Its source has run now: its restart files are there to copy (a restart redoes this).
      await prepareJobFiles(store, released);
    } catch (error) {
      const reason = `could not copy the restart files of job ${released.restart_from}: ${
        (error as Error).message
      }`;
      return store.transition(job.pk, "failed", { reason, fields: { error_snippet: reason } });
    }
  }
  return await engine.runners.for(released).submit(released);
}

/** Releases held jobs as their dependencies change. */
export class DependencyHolder implements AsyncDisposable {
  readonly #engine: Engine;
  readonly #unlisten: () => void;
  /** Serialises releases: one job's submission finishes before the next is looked at. */
  #chain: Promise<void> = Promise.resolve();

  constructor(engine: Engine) {
    this.#engine = engine;
    this.#unlisten = engine.store.onChange((change) => this.#changed(change));
  }

  /** Looks at every held job once (after a restart). */
  start(): Promise<void> {
    const held = RUNNER_TYPES.flatMap((runner) =>
      jobsInStates(this.#engine.store.db, { runner, states: ["created"] })
    ).filter((job) => job.submit_step === "held");
    for (const job of held) this.#enqueue(job.pk);
    return this.#chain;
  }

  #changed(change: JobChange): void {
    // A dependency matters when it ends, or when it gets a SLURM id (afterok may then serve).
    if (change.kind === "progress") return;
    if (change.kind === "state" && !isTerminal(change.state) && change.runner_type !== "slurm") {
      return;
    }
    for (const job of heldDependents(this.#engine.store.db, change.pk)) this.#enqueue(job.pk);
  }

  #enqueue(pk: number): void {
    this.#chain = this.#chain.then(async () => {
      const job = this.#engine.store.find(pk);
      if (job === undefined) return;
      try {
        await releaseIfReady(this.#engine, job);
      } catch (error) {
        // The runner has recorded the failure on the job itself (a refused submission fails it).
        this.#engine.log.warn("Cannot submit a released job", { pk, error });
      }
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#unlisten();
    await this.#chain;
  }
}
