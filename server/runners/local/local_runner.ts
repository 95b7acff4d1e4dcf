/**
 * The local runner: runs CRYSTAL for jobs on this machine, at most `local.max_concurrent` at a
 * time, first in first out. Runs are detached (server/jobs/process.ts), so they survive the
 * daemon; on start-up, jobs recorded as running are watched again or classified from what they
 * left behind. Every change goes through the job store.
 *
 * @module
 */
import { join } from "node:path";
import type { Config } from "../../config.ts";
import { jobsInStates } from "../../db/jobs.ts";
import type { Logger } from "../../log.ts";
import { abortableSleep } from "../../abortable_sleep.ts";
import { InvalidStateError } from "../../errors.ts";
import { type JobRow, outputNameOf, resourcesOf } from "../../model/job.ts";
import { isTerminal } from "../../model/job_state.ts";
import { phaseFiles, usePropertiesInput } from "../../jobs/job_dir.ts";
import { followOutput, type OutputFollower } from "../../jobs/output_follower.ts";
import {
  classifyRun,
  outcomeFields,
  progressLimits,
  progressOf,
  type RunPhase,
} from "../../jobs/outcome.ts";
import { prepareJobFiles } from "../../jobs/prepare.ts";
import {
  findRunByTag,
  isRunAlive,
  readExitCode,
  signalRun,
  startProgram,
} from "../../jobs/process.ts";
import type { JobStore } from "../../jobs/store.ts";
import type { FileTail, Runner, SyncSummary } from "../runner.ts";

/** What the runner needs from the daemon. */
export interface LocalRunnerDeps {
  store: JobStore;
  log: Logger;
  config: Config;
}

/** Resources a local job asks for. */
export interface LocalResources {
  mpi_ranks?: number;
  omp_threads?: number;
}

interface Watch {
  pid: number;
  phase: RunPhase;
  isCancelling: boolean;
  /** Resolves when the run has ended and its outcome is recorded. */
  done: Promise<void>;
}

/** How long to wait before recording again what the database refused. */
const RETRY_MS = 5000;

/** The tag that names a job's wrapper process, so `ps` shows which job a process belongs to. */
export function runTag(uuid: string): string {
  return `crystalmath-job-${uuid}`;
}

/** The local runner. Closing it stops watching; it never kills running jobs. */
export class LocalRunner implements Runner {
  readonly type = "local" as const;
  readonly #deps: LocalRunnerDeps;
  readonly #watches = new Map<number, Watch>();
  readonly #closing = new AbortController();
  /** Steps to do again once the database can be written, by key. */
  readonly #retries = new Map<string, ReturnType<typeof setTimeout>>();
  #pumping: Promise<void> | undefined;
  #pumpAgain = false;

  constructor(deps: LocalRunnerDeps) {
    this.#deps = deps;
  }

  #jobs(states: JobRow["state"][], limit?: number): JobRow[] {
    return jobsInStates(this.#deps.store.db, {
      runner: "local",
      states,
      ...(limit === undefined ? {} : { limit }),
    });
  }

  /** Reconciles what the store says with what is running, then starts queued jobs. */
  async start(): Promise<void> {
    const { store, log } = this.#deps;
    for (const row of this.#jobs(["created"])) {
      if (row.submit_step === "held") continue; // Waits for its dependencies, in the engine.
      // The daemon stopped between recording the job and writing its directory: finish that.
      try {
        await prepareJobFiles(store, row);
        await store.transition(row.pk, "queued", { reason: "recovered after restart" });
      } catch (error) {
        log.error("Cannot recover job", { pk: row.pk, error });
        await store.transition(row.pk, "failed", {
          reason: `could not be prepared: ${(error as Error).message}`,
        });
      }
    }
    for (const row of this.#jobs(["running", "unknown"])) await this.#reconcile(row);
    await this.#pump();
  }

  /** Watches a run that is still alive, or records how it ended. */
  async #reconcile(row: JobRow): Promise<void> {
    const phase: RunPhase = row.phase === "properties" ? "properties" : "crystal";
    const files = phaseFiles(outputNameOf(row), phase);
    const exitCode = row.work_dir ? await readExitCode(row.work_dir, files.exitCode) : undefined;
    // The daemon may have died between marking the job running and recording the pid: the
    // run's wrapper carries the job's tag, so it is found by that.
    const pid = row.pid ?? (exitCode === undefined ? await findRunByTag(runTag(row.uuid)) : null);
    const isAlive = exitCode === undefined && pid !== null &&
      await isRunAlive(pid, runTag(row.uuid));
    this.#deps.log.info("Reconciling job", {
      pk: row.pk,
      pid,
      alive: isAlive,
      exit_code: exitCode ?? null,
    });
    if (isAlive) {
      this.#watch(row, phase, pid!, undefined);
      if (pid !== row.pid) await this.#deps.store.update(row.pk, { pid }).catch(() => {});
    } else await this.#finish(row.pk, phase, followOutput(join(row.work_dir ?? "", files.stdout)));
  }

  /** Queues a recorded job whose directory is written; returns once the queue has moved on. */
  async submit(row: JobRow): Promise<JobRow> {
    const queued = await this.#deps.store.transition(row.pk, "queued", {
      reason: "waiting for a slot",
      fields: { submit_step: null },
    });
    await this.#pump();
    return this.#deps.store.find(row.pk) ?? queued;
  }

  /**
   * Starts queued jobs, oldest first, while slots are free. One pass at a time: a call while a
   * pass runs asks for another pass after it, so a slot is never given twice.
   */
  #pump(): Promise<void> {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return this.#pumping;
    }
    this.#pumping = (async () => {
      do {
        this.#pumpAgain = false;
        if (this.#closing.signal.aborted) return;
        const free = this.#deps.config.local.maxConcurrent - this.#watches.size;
        if (free <= 0) break;
        for (const row of this.#jobs(["queued"], free)) {
          await this.#launch(row, row.properties_only ? "properties" : "crystal", true);
        }
      } while (this.#pumpAgain);
    })().finally(() => this.#pumping = undefined);
    return this.#pumping;
  }

  /** Does `step` again after RETRY_MS: the database could not be written just now. */
  #retryLater(key: string, step: () => Promise<void>): void {
    if (this.#closing.signal.aborted || this.#retries.has(key)) return;
    this.#retries.set(
      key,
      setTimeout(() => {
        this.#retries.delete(key);
        void step();
      }, RETRY_MS),
    );
  }

  #argv(row: JobRow, phase: RunPhase): string[] {
    const { crystal } = this.#deps.config;
    const ranks = (resourcesOf(row) as LocalResources).mpi_ranks ?? 1;
    if (ranks <= 1) return [phase === "crystal" ? crystal.executable : crystal.properties];
    const launcher = crystal.mpirun.map((arg) => arg.replaceAll("{ranks}", String(ranks)));
    return [
      ...launcher,
      phase === "crystal" ? crystal.parallelExecutable : crystal.parallelProperties,
    ];
  }

  /** Starts `phase` of a job; `isStart`: the job leaves queued now (else properties follow an SCF). */
  async #launch(row: JobRow, phase: RunPhase, isStart: boolean): Promise<void> {
    const { store, log } = this.#deps;
    const files = phaseFiles(outputNameOf(row), phase);
    const resources = resourcesOf(row) as LocalResources;
    const argv = this.#argv(row, phase);
    if (isStart) {
      // Compare-and-set before the spawn: a job leaves queued once, so it never starts twice.
      try {
        await store.transition(row.pk, "running", {
          from: ["queued"],
          reason: "started",
          fields: { phase },
        });
      } catch (error) {
        if (error instanceof InvalidStateError) {
          log.warn("Not starting a job that is no longer queued", { pk: row.pk });
        } else {
          // The database cannot be written: the job stays queued and is tried again.
          log.error("Cannot start job now", { pk: row.pk, error });
          this.#retryLater("pump", () => this.#pump());
        }
        return;
      }
    }
    let started;
    try {
      // A properties-only job reads its .d3 as INPUT, as properties after an SCF does.
      if (isStart && phase === "properties") await usePropertiesInput(row.work_dir!);
      started = startProgram({
        dir: row.work_dir!,
        tag: runTag(row.uuid),
        argv,
        stdin: files.stdin,
        stdout: files.stdout,
        stderr: files.stderr,
        exitCodeFile: files.exitCode,
        env: { OMP_NUM_THREADS: String(resources.omp_threads ?? 1) },
      });
    } catch (error) {
      log.error("Cannot start job", { pk: row.pk, argv, error });
      await store.transition(row.pk, "failed", {
        reason: `could not start ${argv[0]}: ${(error as Error).message}`,
        fields: { error_snippet: (error as Error).message },
      }).catch((failure) => log.error("Cannot record a failed start", { pk: row.pk, failure }));
      return;
    }
    this.#watch(row, phase, started.pid, started.status);
    log.info("Started job", { pk: row.pk, pid: started.pid, phase, argv });
    // Best effort: should this fail, a restart finds the run by its tag.
    await store.update(row.pk, { pid: started.pid, phase }).catch((error) =>
      log.error("Cannot record a run's pid", { pk: row.pk, pid: started.pid, error })
    );
  }

  #watch(
    row: JobRow,
    phase: RunPhase,
    pid: number,
    status: Promise<Deno.CommandStatus> | undefined,
  ): void {
    const files = phaseFiles(outputNameOf(row), phase);
    const follower = followOutput(join(row.work_dir!, files.stdout));
    const watch: Watch = { pid, phase, isCancelling: false, done: Promise.resolve() };
    const limits = progressLimits(row.input);
    let hasExited = false;
    status?.then(() => hasExited = true, () => hasExited = true);
    watch.done = (async () => {
      const { store, config, log } = this.#deps;
      try {
        for (;;) {
          if (hasExited) break;
          if (await follower.poll()) {
            const progress_percent = progressOf(follower.current(), limits, phase);
            // Progress is best effort: a database that cannot be written now stops nothing.
            await store.update(row.pk, { progress_percent }).catch((error) =>
              log.warn("Cannot record progress", { pk: row.pk, error })
            );
          }
          if (status === undefined) {
            // An adopted run is not our child: watch its exit-code file and its pid.
            if (await readExitCode(row.work_dir!, files.exitCode) !== undefined) break;
            if (!(await isRunAlive(pid, runTag(row.uuid)))) break;
          }
          const wait = abortableSleep(config.local.pollMs, this.#closing.signal);
          await (status ? Promise.race([wait, status]) : wait);
        }
      } catch (error) {
        if (this.#closing.signal.aborted) return; // The daemon is closing; the run goes on.
        log.error("Watching job failed", { pk: row.pk, error });
      }
      this.#watches.delete(row.pk);
      if (!watch.isCancelling) await this.#finish(row.pk, phase, follower);
      await this.#pump();
    })();
    this.#watches.set(row.pk, watch);
  }

  /**
   * Records a finished phase: parses its output, then completes, fails, or runs properties next.
   * A failure to read or record is never the job's outcome: the job stays as it is and the end is
   * recorded again later (and at the next start, from `.exit_code` and the output).
   */
  async #finish(pk: number, phase: RunPhase, follower: OutputFollower): Promise<void> {
    const { store, log } = this.#deps;
    try {
      const row = store.get(pk);
      if (isTerminal(row.state)) return;
      const files = phaseFiles(outputNameOf(row), phase);
      const output = await follower.finish();
      const exitCode = row.work_dir ? await readExitCode(row.work_dir, files.exitCode) : undefined;
      const outcome = classifyRun({
        output,
        exitCode,
        phase,
        previous: row.results_json,
        isPropertiesOnly: row.properties_only === 1,
      });
      if (phase === "crystal" && outcome.state === "completed" && row.properties_input !== null) {
        const scf = await store.update(pk, {
          results_json: outcome.results_json,
          exit_code: exitCode ?? null,
          final_energy: outcome.final_energy,
        });
        await usePropertiesInput(row.work_dir!);
        await this.#launch(scf, "properties", false);
        return;
      }
      await store.transition(pk, outcome.state, {
        reason: outcome.reason,
        fields: outcomeFields(outcome, exitCode),
      });
      log.info("Job finished", { pk, state: outcome.state, reason: outcome.reason });
    } catch (error) {
      log.error("Cannot record the end of a job yet: trying again", { pk, error });
      this.#retryLater(`finish:${pk}`, async () => {
        const row = store.find(pk);
        if (row && !isTerminal(row.state)) await this.#reconcile(row);
      });
    }
  }

  /**
   * Cancels a job: a queued one at once; a running one by SIGTERM to its process group, then
   * SIGKILL after the grace period. Returns once no process of the job is left.
   * @throws {InvalidStateError} when the job has already finished
   */
  async cancel(job: JobRow): Promise<JobRow> {
    const { store, config, log } = this.#deps;
    const row = store.get(job.pk);
    const pk = row.pk;
    if (isTerminal(row.state)) {
      throw new InvalidStateError(`Cannot cancel job ${pk}: it is already ${row.state}`, {
        data: { pk, state: row.state },
      });
    }
    const watch = this.#watches.get(pk);
    const pid = watch?.pid ?? row.pid;
    if (watch) watch.isCancelling = true;
    const tag = runTag(row.uuid);
    // Only a group that is this job's run is signalled: a recycled pid is someone else's.
    if (
      (row.state === "running" || row.state === "unknown") && pid !== null &&
      await isRunAlive(pid, tag)
    ) {
      signalRun(pid, "SIGTERM");
      const deadline = Date.now() + config.local.cancelGraceMs;
      while (Date.now() < deadline && await isRunAlive(pid, tag)) await abortableSleep(100);
      if (await isRunAlive(pid, tag)) {
        log.warn("Job ignored SIGTERM: sending SIGKILL", { pk, pid });
        signalRun(pid, "SIGKILL");
      }
      await watch?.done;
    }
    const cancelled = await store.transition(pk, "cancelled", { reason: "cancelled by the user" });
    void this.#pump();
    return cancelled;
  }

  /** A local job's files are read where they are. */
  tail(): Promise<FileTail | undefined> {
    return Promise.resolve(undefined);
  }

  /** Local runs are watched continuously: there is nothing to poll. */
  sync(): Promise<SyncSummary> {
    return Promise.resolve({ clusters: 0, checked: 0, changed: [], errors: [] });
  }

  /** Local runs are watched continuously: there is nothing to wake. */
  wake(): void {}

  /** True while any job runs, waits for a slot, or waits for its end to be recorded. */
  hasWork(): boolean {
    return this.#watches.size > 0 || this.#retries.size > 0 ||
      this.#jobs(["queued"], 1).length > 0;
  }

  /** Stops watching (runs go on, and are reconciled at the next start). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#closing.abort();
    for (const timer of this.#retries.values()) clearTimeout(timer);
    this.#retries.clear();
    await this.#pumping;
    await Promise.allSettled([...this.#watches.values()].map((w) => w.done));
  }
}
