/**
 * The local runner: runs CRYSTAL for jobs on this machine, at most `local.max_concurrent` at a
 * time, first in first out. Runs are detached (server/jobs/process.ts), so they survive the
 * daemon; on start-up, jobs recorded as running are watched again or classified from what they
 * left behind. Every state change goes through `transitionJob`.
 *
 * @module
 */
import { join } from "node:path";
import type { Config } from "../config.ts";
import {
  findJob,
  getJob,
  type JobRow,
  jobsInStates,
  transitionJob,
  updateJob,
} from "../db/jobs.ts";
import type { Database } from "../db/open.ts";
import type { Logger } from "../log.ts";
import type { Clock } from "../clock.ts";
import { abortableSleep } from "../abortable_sleep.ts";
import { AppError, InvalidStateError } from "../errors.ts";
import { isTerminal } from "./state_machine.ts";
import { INPUT_FILE, prepareJobDir, PROPERTIES_INPUT_FILE } from "./job_dir.ts";
import { followOutput, type OutputFollower } from "./output_follower.ts";
import {
  classifyRun,
  outcomeFields,
  progressLimits,
  progressOf,
  type RunPhase,
} from "./outcome.ts";
import { isRunAlive, readExitCode, signalRun, startProgram } from "./process.ts";

/** What the runner needs from the daemon. */
export interface RunnerDeps {
  db: Database;
  log: Logger;
  clock: Clock;
  config: Config;
}

/** Resources a job asks for. */
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

/** The files of one phase of a run, relative to the job directory. */
export interface PhaseFiles {
  stdin: string;
  stdout: string;
  stderr: string;
  exitCode: string;
}

/** The files of one phase of a run. */
export function phaseFiles(outputName: string, phase: RunPhase): PhaseFiles {
  return phase === "crystal"
    ? {
      stdin: INPUT_FILE,
      stdout: `${outputName}.out`,
      stderr: `${outputName}.err`,
      exitCode: ".exit_code",
    }
    : {
      stdin: INPUT_FILE,
      stdout: `${outputName}.properties.out`,
      stderr: `${outputName}.properties.err`,
      exitCode: ".exit_code_properties",
    };
}

/**
 * Makes the .d3 deck the `INPUT` for the properties run: parallel Pproperties reads INPUT rather
 * than stdin. The .d12 is kept as INPUT.d12.
 */
async function usePropertiesInput(dir: string): Promise<void> {
  await Deno.copyFile(join(dir, INPUT_FILE), join(dir, "INPUT.d12"));
  await Deno.copyFile(join(dir, PROPERTIES_INPUT_FILE), join(dir, INPUT_FILE));
}

/** The tag that names a job's wrapper process, so `ps` shows which job a process belongs to. */
export function runTag(uuid: string): string {
  return `crystalmath-job-${uuid}`;
}

/** The local runner. Closing it stops watching; it never kills running jobs. */
export class LocalRunner implements AsyncDisposable {
  readonly #deps: RunnerDeps;
  readonly #watches = new Map<number, Watch>();
  readonly #closing = new AbortController();

  constructor(deps: RunnerDeps) {
    this.#deps = deps;
  }

  #now(): string {
    return this.#deps.clock.now().toISOString();
  }

  /** Reconciles what the store says with what is running, then starts queued jobs. */
  async start(): Promise<void> {
    const { db, log } = this.#deps;
    for (const row of jobsInStates(db, "local", ["created"])) {
      // The daemon stopped between recording the job and writing its directory: finish that.
      try {
        await this.#prepare(row);
        transitionJob(db, row.pk, "queued", { at: this.#now(), reason: "recovered after restart" });
      } catch (error) {
        log.error("Cannot recover job", { pk: row.pk, error });
        transitionJob(db, row.pk, "failed", {
          at: this.#now(),
          reason: `could not be prepared: ${(error as Error).message}`,
        });
      }
    }
    for (const row of jobsInStates(db, "local", ["running", "unknown"])) {
      const phase: RunPhase = row.phase === "properties" ? "properties" : "crystal";
      const files = phaseFiles(row.output_name ?? "output", phase);
      const exitCode = row.work_dir ? await readExitCode(row.work_dir, files.exitCode) : undefined;
      const isAlive = exitCode === undefined && row.pid !== null &&
        await isRunAlive(row.pid);
      log.info("Reconciling job", {
        pk: row.pk,
        pid: row.pid,
        alive: isAlive,
        exit_code: exitCode ?? null,
      });
      if (isAlive) this.#watch(row, phase, row.pid!, undefined);
      else await this.#finish(row.pk, phase, followOutput(join(row.work_dir ?? "", files.stdout)));
    }
    this.pump();
  }

  /** Writes a new job's directory and queues it. */
  async submit(row: JobRow): Promise<JobRow> {
    try {
      await this.#prepare(row);
    } catch (error) {
      // Never leave a job in `created` behind a failed write: it fails, with the reason.
      const reason = `could not write its directory: ${(error as Error).message}`;
      transitionJob(this.#deps.db, row.pk, "failed", {
        at: this.#now(),
        reason,
        fields: { error_snippet: reason },
      });
      throw new AppError(
        "server_error",
        `Cannot prepare job ${row.pk}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const queued = transitionJob(this.#deps.db, row.pk, "queued", {
      at: this.#now(),
      reason: "waiting for a slot",
    });
    this.pump();
    return findJob(this.#deps.db, row.pk) ?? queued;
  }

  /** Writes a job's local directory (for a remote job: the copy its inputs are uploaded from). */
  async prepare(row: JobRow): Promise<JobRow> {
    await this.#prepare(row);
    return getJob(this.#deps.db, row.pk);
  }

  async #prepare(row: JobRow): Promise<void> {
    const source = row.restart_from === null ? null : getJob(this.#deps.db, row.restart_from);
    // A remote job's restart files stay on its cluster; the SLURM runner copies them there.
    const restartDir = source === null || source.remote_dir !== null || row.runner_type !== "local"
      ? null
      : source.work_dir;
    await prepareJobDir(row.work_dir!, {
      input: row.input,
      propertiesInput: row.properties_input,
      restartDir,
    });
  }

  /** Starts queued jobs, oldest first, while slots are free. Synchronous from read to spawn. */
  pump(): void {
    if (this.#closing.signal.aborted) return;
    const { db, config } = this.#deps;
    const free = config.local.maxConcurrent - this.#watches.size;
    if (free <= 0) return;
    for (const row of jobsInStates(db, "local", ["queued"], free)) this.#launch(row, "crystal");
  }

  #argv(row: JobRow, phase: RunPhase): string[] {
    const { crystal } = this.#deps.config;
    const resources = JSON.parse(row.resources_json) as LocalResources;
    const ranks = resources.mpi_ranks ?? 1;
    if (ranks <= 1) return [phase === "crystal" ? crystal.executable : crystal.properties];
    const launcher = crystal.mpirun.map((arg) => arg.replaceAll("{ranks}", String(ranks)));
    return [
      ...launcher,
      phase === "crystal" ? crystal.parallelExecutable : crystal.parallelProperties,
    ];
  }

  #launch(row: JobRow, phase: RunPhase): void {
    const { db, log } = this.#deps;
    const files = phaseFiles(row.output_name ?? "output", phase);
    const resources = JSON.parse(row.resources_json) as LocalResources;
    const argv = this.#argv(row, phase);
    let started;
    try {
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
      transitionJob(db, row.pk, "failed", {
        at: this.#now(),
        reason: `could not start ${argv[0]}: ${(error as Error).message}`,
        fields: { error_snippet: (error as Error).message },
      });
      return;
    }
    if (phase === "crystal") {
      transitionJob(db, row.pk, "running", {
        at: this.#now(),
        reason: "started",
        fields: { pid: started.pid, phase },
      });
    } else {
      updateJob(db, row.pk, { pid: started.pid, phase }, this.#now());
    }
    log.info("Started job", { pk: row.pk, pid: started.pid, phase, argv });
    this.#watch(row, phase, started.pid, started.status);
  }

  #watch(
    row: JobRow,
    phase: RunPhase,
    pid: number,
    status: Promise<Deno.CommandStatus> | undefined,
  ): void {
    const files = phaseFiles(row.output_name ?? "output", phase);
    const follower = followOutput(join(row.work_dir!, files.stdout));
    const watch: Watch = { pid, phase, isCancelling: false, done: Promise.resolve() };
    const limits = progressLimits(row.input);
    let hasExited = false;
    status?.then(() => hasExited = true, () => hasExited = true);
    watch.done = (async () => {
      const { db, config, log } = this.#deps;
      try {
        for (;;) {
          if (hasExited) break;
          if (await follower.poll()) {
            updateJob(db, row.pk, {
              progress_percent: progressOf(follower.current(), limits, phase),
            }, this.#now());
          }
          if (status === undefined) {
            // An adopted run is not our child: watch its exit-code file and its pid.
            if (await readExitCode(row.work_dir!, files.exitCode) !== undefined) break;
            if (!(await isRunAlive(pid))) break;
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
      this.pump();
    })();
    this.#watches.set(row.pk, watch);
  }

  /** Records a finished phase: parses its output, then completes, fails, or runs properties next. */
  async #finish(pk: number, phase: RunPhase, follower: OutputFollower): Promise<void> {
    const { db, log } = this.#deps;
    const row = getJob(db, pk);
    if (isTerminal(row.state)) return;
    const files = phaseFiles(row.output_name ?? "output", phase);
    try {
      const output = await follower.finish();
      const exitCode = row.work_dir ? await readExitCode(row.work_dir, files.exitCode) : undefined;
      const outcome = classifyRun({ output, exitCode, phase, previous: row.results_json });
      if (phase === "crystal" && outcome.state === "completed" && row.properties_input !== null) {
        updateJob(db, pk, {
          results_json: outcome.results_json,
          exit_code: exitCode ?? null,
          final_energy: outcome.final_energy,
        }, this.#now());
        await usePropertiesInput(row.work_dir!);
        this.#launch(getJob(db, pk), "properties");
        return;
      }
      transitionJob(db, pk, outcome.state, {
        at: this.#now(),
        reason: outcome.reason,
        fields: outcomeFields(outcome, exitCode),
      });
      log.info("Job finished", { pk, state: outcome.state, reason: outcome.reason });
    } catch (error) {
      log.error("Cannot record the end of a job", { pk, error });
      transitionJob(db, pk, "failed", {
        at: this.#now(),
        reason: `could not read its output: ${(error as Error).message}`,
      });
    }
  }

  /**
   * Cancels a job: a queued one at once; a running one by SIGTERM to its process group, then
   * SIGKILL after the grace period. Returns once no process of the job is left.
   * @throws {InvalidStateError} when the job has already finished
   */
  async cancel(pk: number): Promise<JobRow> {
    const { db, config, log } = this.#deps;
    const row = getJob(db, pk);
    if (isTerminal(row.state)) {
      throw new InvalidStateError(`Cannot cancel job ${pk}: it is already ${row.state}`, {
        data: { pk, state: row.state },
      });
    }
    const watch = this.#watches.get(pk);
    const pid = watch?.pid ?? row.pid;
    if (watch) watch.isCancelling = true;
    if ((row.state === "running" || row.state === "unknown") && pid !== null) {
      signalRun(pid, "SIGTERM");
      const deadline = Date.now() + config.local.cancelGraceMs;
      while (Date.now() < deadline && await isRunAlive(pid)) await abortableSleep(100);
      if (await isRunAlive(pid)) {
        log.warn("Job ignored SIGTERM: sending SIGKILL", { pk, pid });
        signalRun(pid, "SIGKILL");
      }
      await watch?.done;
    }
    const cancelled = transitionJob(db, pk, "cancelled", {
      at: this.#now(),
      reason: "cancelled by the user",
    });
    this.pump();
    return cancelled;
  }

  /** True while any job runs or waits for a slot. */
  hasWork(): boolean {
    return this.#watches.size > 0 || jobsInStates(this.#deps.db, "local", ["queued"], 1).length > 0;
  }

  /** Stops watching (runs go on, and are reconciled at the next start). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#closing.abort();
    await Promise.allSettled([...this.#watches.values()].map((w) => w.done));
  }
}
