/**
 * The SLURM runner: submits jobs to clusters over SSH and tracks them until their results are
 * fetched and parsed. It must never lose, duplicate or orphan a remote job:
 * - before sbatch the job's remote directory, its unique name (`crystalmath-<uuid>`) and the step
 *   "submitting" are stored, and the remote side writes sbatch's answer to a marker file, so a
 *   daemon that dies in between finds the job again instead of submitting it twice;
 * - one squeue call per cluster and poll covers all of its jobs; SSH failures back off and change
 *   no job's state;
 * - a job is terminal only once SLURM says so or its own exit-code file exists.
 *
 * @module
 */
import { join } from "node:path";
import { getCluster } from "../db/clusters.ts";
import {
  activeRemoteJobs,
  findJob,
  getJob,
  type JobRow,
  transitionJob,
  updateJob,
} from "../db/jobs.ts";
import type { Database } from "../db/open.ts";
import type { Logger } from "../log.ts";
import type { Config } from "../config.ts";
import type { Clock } from "../clock.ts";
import { type Cluster, clusterOf, sshTargetOf } from "../clusters/cluster.ts";
import { AppError, InvalidStateError, SlurmRejectedError } from "../errors.ts";
import {
  parseSacct,
  parseSbatchParsable,
  parseScontrolJob,
  parseSqueueText,
  type QueueEntry,
  SACCT_FIELDS,
  SQUEUE_FORMAT,
} from "../slurm/parse.ts";
import { renderSbatchScript } from "../slurm/script.ts";
import { createOutputParser } from "../crystal/output_parser.ts";
import { isTerminalSlurmState, mapSlurmState } from "../slurm/states.ts";
import type { SshPool, SshTarget } from "../ssh/pool.ts";
import { INPUT_FILE, PROPERTIES_INPUT_FILE, RESTART_FILES } from "./job_dir.ts";
import { phaseFiles } from "./local_runner.ts";
import { followOutput } from "./output_follower.ts";
import { readExitCode } from "./process.ts";
import { classifyRun, outcomeFields, progressLimits, progressOf } from "./outcome.ts";
import { isTerminal, type JobState } from "./state_machine.ts";
import type { Tail } from "./tail.ts";

/** The batch script's name in the remote job directory. */
export const SCRIPT_FILE = "job.sbatch";
/** Where the remote side records sbatch's answer. */
export const MARKER_FILE = ".sbatch_id";
/** Remote files larger than this stay on the cluster (wave functions, mostly). */
const FETCH_MAX_BYTES = 64 * 1024 * 1024;
/** Never fetched: binary restart data that only matters on the cluster. */
const KEEP_REMOTE = new Set(["fort.9", "fort.20", "fort.98"]);
/** How much of each running job's output is read for its progress. */
const PROGRESS_TAIL_BYTES = 16 * 1024;
/** Separates the outputs in one progress read; a line CRYSTAL never prints. */
const TAIL_MARKER = "\n@@crystalmath-output-tail@@\n";
/** Prints the end of each file after the marker. Fixed text: the files come as parameters. */
const TAILS = 'n="$1"; shift; for f in "$@"; do printf "\\n@@crystalmath-output-tail@@\\n"; ' +
  'tail -c "$n" "$f" 2>/dev/null; done';
/** Transfers larger than this report their progress in the log. */
const PROGRESS_BYTES = 4 * 1024 * 1024;
/** Polls in a row a job may be missing from squeue, with no exit code, before it is declared lost. */
const MAX_ABSENT_POLLS = 3;
/** The longest wait between polls of an unreachable cluster. */
const MAX_BACKOFF_MS = 10 * 60 * 1000;

/**
 * Runs sbatch in the job directory and records its answer in the marker file in one remote step.
 * Fixed text: the paths reach it as positional parameters.
 */
const SUBMIT = 'cd "$1" && sbatch --parsable "$2" > "$3.tmp" && mv "$3.tmp" "$3" && cat "$3"';

/** What the runner needs. */
export interface SlurmRunnerDeps {
  db: Database;
  log: Logger;
  clock: Clock;
  config: Config;
  ssh: SshPool;
}

/** Slurm-side resources a job may ask for. */
export interface SlurmResources {
  nodes?: number;
  ntasks?: number;
  cpus_per_task?: number;
  time?: string;
  mem?: string;
  mpi_ranks?: number;
}

/** One state change seen by a sync. */
export interface SyncChange {
  pk: number;
  from: JobState;
  to: JobState;
  reason: string | null;
}

/** What a sync did. */
export interface SyncSummary {
  clusters: number;
  checked: number;
  changed: SyncChange[];
  errors: { cluster_id: number; message: string }[];
}

/** The tag of a job: its SLURM job name and comment. */
export function slurmTag(uuid: string): string {
  return `crystalmath-${uuid}`;
}

/** The SLURM runner. Closing it stops polling; it never cancels remote jobs. */
export class SlurmRunner implements AsyncDisposable {
  readonly #deps: SlurmRunnerDeps;
  readonly #closing = new AbortController();
  readonly #timers = new Map<number, ReturnType<typeof setTimeout>>();
  readonly #failures = new Map<number, number>();
  readonly #polls = new Map<number, Promise<SyncSummary>>();
  /** Jobs a submit() call is uploading or submitting right now. */
  readonly #submitting = new Set<number>();

  constructor(deps: SlurmRunnerDeps) {
    this.#deps = deps;
  }

  #now(): string {
    return this.#deps.clock.now().toISOString();
  }

  #options(timeoutMs = 60_000) {
    return { timeoutMs, signal: this.#closing.signal };
  }

  /** Starts tracking every cluster with active remote jobs (after a restart, too). */
  start(): void {
    const clusters = new Set(
      activeRemoteJobs(this.#deps.db).map((row) => row.cluster_id).filter((id) => id !== null),
    );
    for (const id of clusters) this.#schedule(id as number, 0);
  }

  /** True while any remote job is active. */
  hasWork(): boolean {
    return activeRemoteJobs(this.#deps.db).length > 0;
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
    if (activeRemoteJobs(this.#deps.db, clusterId).length === 0) return;
    const interval = this.#deps.config.slurm.pollIntervalMs;
    const failures = summary.errors.length ? (this.#failures.get(clusterId) ?? 0) + 1 : 0;
    this.#failures.set(clusterId, failures);
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
    const { db, log } = this.#deps;
    const summary: SyncSummary = { clusters: 1, checked: 0, changed: [], errors: [] };
    let cluster: Cluster;
    try {
      cluster = clusterOf(getCluster(db, clusterId));
    } catch {
      return { ...summary, clusters: 0 }; // Deleted meanwhile: nothing to poll.
    }
    const track = (row: JobRow, to: JobState, reason: string | null, fields = {}) => {
      const fresh = getJob(db, row.pk);
      if (fresh.state === to || isTerminal(fresh.state)) return;
      transitionJob(db, row.pk, to, {
        at: this.#now(),
        ...(reason === null ? {} : { reason }),
        fields,
      });
      summary.changed.push({ pk: row.pk, from: fresh.state, to, reason });
    };
    try {
      const jobs = activeRemoteJobs(db, clusterId);
      summary.checked = jobs.length;
      // Jobs a submit() call is still working on are its business, not the poll's.
      for (
        const row of jobs.filter((j) =>
          j.submit_step !== "submitted" && !this.#submitting.has(j.pk)
        )
      ) {
        await this.#guarded(row, () => this.#resume(row, cluster, track));
      }
      const tracked = activeRemoteJobs(db, clusterId).filter((j) => j.slurm_job_id !== null);
      if (tracked.length === 0) return summary;
      const entries = await this.#squeue(cluster, tracked.map((j) => j.slurm_job_id!));
      for (const row of tracked) {
        const entry = entries.get(row.slurm_job_id!);
        await this.#guarded(
          row,
          () =>
            entry
              ? this.#observe(row, cluster, entry, track)
              : this.#observeAbsent(row, cluster, track),
        );
      }
      await this.#updateProgress(cluster);
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
   * Runs one job's step of a poll. SSH and SLURM failures end the poll (they hit every job alike);
   * anything else is that job's own problem: logged, and the other jobs carry on.
   */
  async #guarded(row: JobRow, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      if (
        error instanceof AppError &&
        (error.kind === "ssh_failed" || error.kind === "timeout" || error.kind === "slurm_rejected")
      ) {
        throw error;
      }
      this.#deps.log.error("Cannot update remote job", { pk: row.pk, error });
    }
  }

  /** One squeue call for all of a cluster's tracked jobs. */
  async #squeue(cluster: Cluster, ids: string[]): Promise<Map<string, QueueEntry>> {
    // A single purged id makes squeue fail; two copies of it make it succeed and omit it.
    const list = ids.length === 1 ? [ids[0]!, ids[0]!] : ids;
    this.#deps.log.debug("Polling cluster with one squeue call", {
      cluster: cluster.name,
      jobs: ids.length,
    });
    const result = await this.#deps.ssh.exec(
      sshTargetOf(cluster),
      ["squeue", "--noheader", "--states=all", `--jobs=${list.join(",")}`, "-o", SQUEUE_FORMAT],
      this.#options(),
    );
    if (result.code !== 0) {
      throw new SlurmRejectedError(
        `squeue failed on "${cluster.name}": ${
          firstLine(result.stderr) || `exit code ${result.code}`
        }`,
      );
    }
    return new Map(parseSqueueText(result.stdout).map((entry) => [entry.job_id, entry]));
  }

  async #observe(
    row: JobRow,
    cluster: Cluster,
    entry: QueueEntry,
    track: (row: JobRow, to: JobState, reason: string | null, fields?: object) => void,
  ): Promise<void> {
    const mapped = mapSlurmState(entry.state);
    if (row.remote_state !== entry.state) {
      updateJob(this.#deps.db, row.pk, { remote_state: entry.state }, this.#now());
    }
    if (mapped === "queued") {
      if (entry.state_reason === "DependencyNeverSatisfied") {
        // Its dependency failed and this SLURM does not cancel such jobs itself: cancel it here.
        await this.#deps.ssh.exec(
          sshTargetOf(cluster),
          ["scancel", row.slurm_job_id!],
          this.#options(),
        );
        track(row, "cancelled", this.#dependencyReason(row));
        return;
      }
      if (row.state === "submitted" || row.state === "unknown") {
        track(row, "queued", entry.state_reason || "pending");
      }
    } else if (mapped === "running") {
      track(row, "running", "running on " + (entry.node_list || "the cluster"));
    } else if (mapped === "completed" || mapped === "failed" || mapped === "cancelled") {
      await this.#finish(
        row,
        cluster,
        { slurmState: entry.state, reason: entry.state_reason },
        track,
      );
    }
  }

  /**
   * Reads the end of every running job's output on the cluster in one command and raises their
   * progress. Progress is best effort: a failure here is logged and changes no state.
   */
  async #updateProgress(cluster: Cluster): Promise<void> {
    const { db, log } = this.#deps;
    const running = activeRemoteJobs(db, cluster.id).filter((j) =>
      j.state === "running" && j.remote_dir !== null
    );
    if (running.length === 0) return;
    const files = running.map((j) =>
      join(j.remote_dir!, phaseFiles(j.output_name ?? "output", "crystal").stdout)
    );
    let result;
    try {
      result = await this.#deps.ssh.exec(sshTargetOf(cluster), [
        "sh",
        "-c",
        TAILS,
        "sh",
        String(PROGRESS_TAIL_BYTES),
        ...files,
      ], this.#options());
    } catch (error) {
      log.debug("Cannot read remote progress", { cluster: cluster.name, error });
      return;
    }
    const chunks = result.stdout.split(TAIL_MARKER);
    for (const [i, row] of running.entries()) {
      const parser = createOutputParser();
      for (const line of (chunks[i + 1] ?? "").split("\n")) parser.pushLine(line);
      const percent = progressOf(parser.result(), progressLimits(row.input), "crystal");
      if (percent > row.progress_percent) {
        updateJob(db, row.pk, { progress_percent: percent }, this.#now());
      }
    }
  }

  /** A job squeue no longer shows: finished and purged, or lost. Its exit-code file decides. */
  async #observeAbsent(
    row: JobRow,
    cluster: Cluster,
    track: (row: JobRow, to: JobState, reason: string | null, fields?: object) => void,
  ): Promise<void> {
    const code = await this.#remoteText(cluster, join(row.remote_dir!, ".exit_code"));
    if (code !== null) {
      await this.#finish(row, cluster, { slurmState: null, reason: null }, track);
      return;
    }
    const scontrol = await this.#deps.ssh.exec(
      sshTargetOf(cluster),
      ["scontrol", "show", "job", "-o", row.slurm_job_id!],
      this.#options(),
    );
    const known = scontrol.code === 0 ? parseScontrolJob(scontrol.stdout)[0] : undefined;
    if (known && mapSlurmState(known.state) !== "unknown") {
      await this.#observe(row, cluster, {
        job_id: known.job_id,
        name: known.name,
        user: known.user ?? "",
        partition: "",
        state: known.state,
        nodes: null,
        time_used: "",
        time_limit: "",
        node_list: "",
        state_reason: known.reason ?? "",
      }, track);
      return;
    }
    // Purged from the controller (MinJobAge): accounting, where the cluster has it, still knows.
    const sacct = await this.#deps.ssh.exec(
      sshTargetOf(cluster),
      ["sacct", "-P", "-n", "-X", `--jobs=${row.slurm_job_id}`, `--format=${SACCT_FIELDS}`],
      this.#options(),
    );
    const accounted = sacct.code === 0
      ? parseSacct(sacct.stdout).find((r) =>
        r.job_id === row.slurm_job_id && isTerminalSlurmState(r.state)
      )
      : undefined;
    if (accounted) {
      await this.#finish(row, cluster, { slurmState: accounted.state, reason: null }, track);
      return;
    }
    const absences =
      Number(row.remote_state?.startsWith("ABSENT:") ? row.remote_state.slice(7) : 0) + 1;
    if (absences < MAX_ABSENT_POLLS) {
      updateJob(this.#deps.db, row.pk, { remote_state: `ABSENT:${absences}` }, this.#now());
      return;
    }
    await this.#finish(row, cluster, {
      slurmState: null,
      reason: `SLURM no longer knows job ${row.slurm_job_id} and it left no exit code`,
    }, track);
  }

  #dependencyReason(row: JobRow): string {
    const deps = JSON.parse(row.depends_on_json) as number[];
    const failed = deps.map((pk) => findJob(this.#deps.db, pk)).filter((d) =>
      d && d.state !== "completed"
    );
    const which = failed.map((d) => `${d!.pk} (${d!.state})`).join(", ");
    return `dependency did not succeed: job ${which || deps.join(", ")}; SLURM cancelled this job`;
  }

  /** Fetches a finished job's files and records its outcome. */
  async #finish(
    row: JobRow,
    cluster: Cluster,
    slurm: { slurmState: string | null; reason: string | null },
    track: (row: JobRow, to: JobState, reason: string | null, fields?: object) => void,
  ): Promise<void> {
    const { log } = this.#deps;
    const mapped = slurm.slurmState === null ? null : mapSlurmState(slurm.slurmState);
    await this.#fetch(row, cluster);
    if (mapped === "cancelled") {
      const reason =
        /Dependency/i.test(slurm.reason ?? "") || JSON.parse(row.depends_on_json).length
          ? this.#dependencyReason(row)
          : `cancelled on the cluster (${slurm.slurmState})`;
      track(row, "cancelled", reason);
      return;
    }
    const files = phaseFiles(row.output_name ?? "output", "crystal");
    const exitCode = await readExitCode(row.work_dir!, files.exitCode);
    const output = await followOutput(join(row.work_dir!, files.stdout)).finish();
    let outcome = classifyRun({ output, exitCode, phase: "crystal", previous: null });
    if (outcome.state === "completed" && row.properties_input !== null) {
      const props = phaseFiles(row.output_name ?? "output", "properties");
      const propsOutput = await followOutput(join(row.work_dir!, props.stdout)).finish();
      outcome = {
        ...classifyRun({
          output: propsOutput,
          exitCode: await readExitCode(row.work_dir!, props.exitCode),
          phase: "properties",
          previous: outcome.results_json,
        }),
        final_energy: outcome.final_energy,
      };
    }
    let reason = outcome.reason;
    if (slurm.slurmState?.startsWith("TIMEOUT")) {
      reason = `walltime reached (SLURM ${slurm.slurmState}): ${reason}`;
    } else if (outcome.state === "failed" && slurm.slurmState) {
      reason = `${reason} (SLURM ${slurm.slurmState})`;
    } else if (slurm.reason && exitCode === undefined) reason = `${slurm.reason}: ${reason}`;
    log.info("Remote job finished", {
      pk: row.pk,
      cluster: cluster.name,
      state: outcome.state,
      reason,
    });
    track(row, outcome.state, reason, outcomeFields(outcome, exitCode));
  }

  /** Copies the remote job directory's files into the local one (large binaries stay remote). */
  async #fetch(row: JobRow, cluster: Cluster): Promise<void> {
    const target = sshTargetOf(cluster);
    const entries = await this.#deps.ssh.readdir(target, row.remote_dir!, this.#options());
    await Deno.mkdir(row.work_dir!, { recursive: true });
    for (const entry of entries) {
      if (!entry.isFile || KEEP_REMOTE.has(entry.name) || entry.size > FETCH_MAX_BYTES) continue;
      if (entry.name === INPUT_FILE || entry.name === PROPERTIES_INPUT_FILE) continue; // Ours already.
      await this.#deps.ssh.download(
        target,
        join(row.remote_dir!, entry.name),
        join(row.work_dir!, entry.name),
        {
          ...this.#options(10 * 60_000),
          ...(entry.size > PROGRESS_BYTES
            ? { onProgress: progressLogger(this.#deps.log, row.pk, entry.name) }
            : {}),
        },
      );
    }
  }

  async #remoteText(cluster: Cluster, path: string): Promise<string | null> {
    const result = await this.#deps.ssh.exec(sshTargetOf(cluster), ["cat", path], this.#options());
    return result.code === 0 ? result.stdout : null;
  }

  /**
   * Submits a recorded job (state created) to its cluster: remote directory, inputs, batch
   * script, then sbatch. An SSH failure during sbatch leaves the job `unknown`; the tracker then
   * finds it by its marker file or its name rather than submitting it again.
   * @throws {SlurmRejectedError} when sbatch refuses the job (the job is then failed)
   */
  async submit(row: JobRow, cluster: Cluster): Promise<JobRow> {
    const { db } = this.#deps;
    const remoteDir = join(cluster.remote_workdir, "crystalmath", row.uuid);
    updateJob(db, row.pk, { remote_dir: remoteDir, submit_step: "prepared" }, this.#now());
    const prepared = getJob(db, row.pk);
    this.#submitting.add(row.pk);
    try {
      try {
        await this.#upload(prepared, cluster);
      } catch (error) {
        // Nothing reached SLURM: the job fails now, with the reason, rather than starting later
        // behind the back of a caller who was told it failed.
        const reason = `could not upload its files: ${(error as Error).message}`;
        transitionJob(db, row.pk, "failed", {
          at: this.#now(),
          reason,
          fields: { error_snippet: reason, submit_step: "rejected" },
        });
        throw error;
      }
      if (!this.#hasSlot(cluster)) {
        const waiting =
          `waiting for a slot: max_concurrent ${cluster.max_concurrent} jobs are in SLURM on "${cluster.name}"`;
        return transitionJob(db, row.pk, "queued", { at: this.#now(), reason: waiting });
      }
      return await this.#sbatch(getJob(db, row.pk), cluster);
    } finally {
      this.#submitting.delete(row.pk);
      this.#schedule(cluster.id, 1000);
    }
  }

  async #upload(row: JobRow, cluster: Cluster): Promise<void> {
    const { db, ssh } = this.#deps;
    const target = sshTargetOf(cluster);
    const dir = row.remote_dir!;
    const made = await ssh.exec(target, ["mkdir", "-p", "--", dir], this.#options());
    if (made.code !== 0) {
      throw new SlurmRejectedError(
        `Cannot create "${dir}" on "${cluster.name}": ${firstLine(made.stderr)}`,
      );
    }
    await ssh.upload(
      target,
      join(row.work_dir!, INPUT_FILE),
      join(dir, INPUT_FILE),
      this.#options(10 * 60_000),
    );
    if (row.properties_input !== null) {
      await ssh.upload(
        target,
        join(row.work_dir!, PROPERTIES_INPUT_FILE),
        join(dir, PROPERTIES_INPUT_FILE),
        this.#options(),
      );
    }
    if (row.restart_from !== null) await this.#copyRestartFiles(row, cluster, target);
    await ssh.writeFile(
      target,
      join(dir, SCRIPT_FILE),
      this.#script(row, cluster),
      this.#options(),
    );
    updateJob(db, row.pk, { submit_step: "uploaded" }, this.#now());
  }

  /** Restart files come from the earlier job's remote directory when it ran on the same cluster. */
  async #copyRestartFiles(row: JobRow, cluster: Cluster, target: SshTarget): Promise<void> {
    const source = getJob(this.#deps.db, row.restart_from!);
    if (source.cluster_id === cluster.id && source.remote_dir !== null) {
      const script = 'src="$1"; dst="$2"; shift 2; ' +
        'for f in "$@"; do if [ -f "$src/$f" ]; then cp -- "$src/$f" "$dst/$f"; fi; done; ' +
        '[ -f "$dst/fort.9" ] && [ ! -f "$src/fort.20" ] && cp -- "$dst/fort.9" "$dst/fort.20"; true';
      await this.#deps.ssh.exec(target, [
        "sh",
        "-c",
        script,
        "sh",
        source.remote_dir,
        row.remote_dir!,
        ...RESTART_FILES,
      ], this.#options());
      return;
    }
    for (const name of RESTART_FILES) {
      const local = join(row.work_dir!, name);
      if (await Deno.stat(local).then(() => true, () => false)) {
        await this.#deps.ssh.upload(
          target,
          local,
          join(row.remote_dir!, name),
          this.#options(10 * 60_000),
        );
      }
    }
  }

  #script(row: JobRow, cluster: Cluster): string {
    const resources = {
      ...cluster.default_resources,
      ...JSON.parse(row.resources_json) as SlurmResources,
    };
    const ranks = resources.mpi_ranks ?? resources.ntasks ?? 1;
    const dependencies = (JSON.parse(row.depends_on_json) as number[])
      .map((pk) => getJob(this.#deps.db, pk))
      .filter((dep) => dep.state !== "completed" && dep.slurm_job_id !== null)
      .map((dep) => dep.slurm_job_id!);
    const crystal = cluster.crystal;
    return renderSbatchScript({
      job_name: slurmTag(row.uuid),
      comment: slurmTag(row.uuid),
      work_dir: row.remote_dir!,
      output_name: row.output_name ?? "output",
      ...(cluster.partition ? { partition: cluster.partition } : {}),
      ...(cluster.account ? { account: cluster.account } : {}),
      ...(resources.nodes ? { nodes: resources.nodes } : {}),
      ...(resources.ntasks ?? resources.mpi_ranks
        ? { ntasks: resources.ntasks ?? resources.mpi_ranks }
        : {}),
      ...(resources.cpus_per_task ? { cpus_per_task: resources.cpus_per_task } : {}),
      ...(resources.time ? { time: resources.time } : {}),
      ...(resources.mem ? { mem: resources.mem } : {}),
      ...(dependencies.length ? { dependency_after_ok: dependencies } : {}),
      setup_commands: cluster.setup_commands,
      crystal: {
        executable: crystal.executable ?? "crystal",
        parallel_executable: crystal.parallel_executable ?? "Pcrystal",
        mpirun: crystal.mpirun ?? "mpirun -np {ranks}",
      },
      properties: row.properties_input === null ? null : {
        executable: crystal.properties ?? "properties",
        parallel_executable: crystal.parallel_properties ?? "Pproperties",
      },
      parallel: ranks > 1,
    });
  }

  /** True while fewer than max_concurrent of this daemon's jobs are in SLURM on the cluster. */
  #hasSlot(cluster: Cluster): boolean {
    const inSlurm =
      activeRemoteJobs(this.#deps.db, cluster.id).filter((j) => j.slurm_job_id !== null).length;
    return inSlurm < cluster.max_concurrent;
  }

  async #sbatch(row: JobRow, cluster: Cluster): Promise<JobRow> {
    const { db, ssh, log } = this.#deps;
    updateJob(db, row.pk, { submit_step: "submitting" }, this.#now());
    let result;
    try {
      result = await ssh.exec(sshTargetOf(cluster), [
        "sh",
        "-c",
        SUBMIT,
        "sh",
        row.remote_dir!,
        SCRIPT_FILE,
        MARKER_FILE,
      ], this.#options());
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // Whether sbatch ran is unknown: never submit again blindly; the tracker finds out.
      log.warn("sbatch outcome unknown", { pk: row.pk, error: error.message });
      return transitionJob(db, row.pk, "unknown", {
        at: this.#now(),
        reason: `submission outcome unknown (${error.message}); it will be checked on the cluster`,
      });
    }
    if (result.code !== 0) {
      const message = firstLine(result.stderr) || `exit code ${result.code}`;
      transitionJob(db, row.pk, "failed", {
        at: this.#now(),
        reason: `sbatch refused the job: ${message}`,
        fields: { error_snippet: message, submit_step: "rejected" },
      });
      throw new SlurmRejectedError(
        `sbatch refused job ${row.pk} on "${cluster.name}": ${message}`,
        {
          data: { pk: row.pk, cluster_id: cluster.id },
        },
      );
    }
    const { job_id } = parseSbatchParsable(result.stdout);
    log.info("Submitted to SLURM", { pk: row.pk, cluster: cluster.name, slurm_job_id: job_id });
    return transitionJob(db, row.pk, "submitted", {
      at: this.#now(),
      reason: `SLURM job ${job_id}`,
      fields: { slurm_job_id: job_id, submit_step: "submitted" },
    });
  }

  /** Carries an interrupted submission on: finds the job if sbatch ran, else finishes submitting. */
  async #resume(
    row: JobRow,
    cluster: Cluster,
    track: (row: JobRow, to: JobState, reason: string | null, fields?: object) => void,
  ): Promise<void> {
    const { db, log } = this.#deps;
    if (row.remote_dir === null || row.submit_step === null || row.submit_step === "prepared") {
      if (row.remote_dir === null) return; // Not yet prepared by submit(); it carries on by itself.
      await this.#upload(row, cluster);
      await this.#sbatch(getJob(db, row.pk), cluster);
      return;
    }
    if (row.submit_step === "uploaded") {
      // Waiting for a slot under the cluster's max_concurrent; oldest first (jobs come in pk order).
      if (this.#hasSlot(cluster)) await this.#sbatch(row, cluster);
      return;
    }
    // "submitting": sbatch may have run. Its marker, then its name, say so.
    const marker = await this.#remoteText(cluster, join(row.remote_dir, MARKER_FILE));
    let jobId = marker === null ? null : parseSbatchParsable(marker).job_id;
    if (jobId === null) {
      const found = await this.#deps.ssh.exec(
        sshTargetOf(cluster),
        ["squeue", "--noheader", "--states=all", `--name=${slurmTag(row.uuid)}`, "-o", "%i"],
        this.#options(),
      );
      if (found.code !== 0) {
        throw new SlurmRejectedError(
          `squeue failed on "${cluster.name}": ${firstLine(found.stderr)}`,
        );
      }
      jobId = found.stdout.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? null;
    }
    if (jobId !== null) {
      log.info("Found an interrupted submission", { pk: row.pk, slurm_job_id: jobId });
      updateJob(db, row.pk, { slurm_job_id: jobId, submit_step: "submitted" }, this.#now());
      track(
        getJob(db, row.pk),
        "queued",
        `SLURM job ${jobId} (found again after an interrupted submission)`,
      );
      return;
    }
    log.info("Interrupted submission never reached SLURM: submitting", { pk: row.pk });
    await this.#sbatch(row, cluster);
  }

  /**
   * Cancels a remote job with scancel and records it cancelled.
   * @throws {InvalidStateError} when it has already finished
   */
  async cancel(pk: number, signal?: AbortSignal): Promise<JobRow> {
    const { db } = this.#deps;
    const row = getJob(db, pk);
    if (isTerminal(row.state)) {
      throw new InvalidStateError(`Cannot cancel job ${pk}: it is already ${row.state}`, {
        data: { pk, state: row.state },
      });
    }
    if (row.slurm_job_id !== null && row.cluster_id !== null) {
      const cluster = clusterOf(getCluster(db, row.cluster_id));
      const result = await this.#deps.ssh.exec(
        sshTargetOf(cluster),
        ["scancel", row.slurm_job_id],
        {
          timeoutMs: 60_000,
          ...(signal ? { signal } : {}),
        },
      );
      if (
        result.code !== 0 && !/Invalid job id|already completing|completed/i.test(result.stderr)
      ) {
        throw new SlurmRejectedError(
          `scancel ${row.slurm_job_id} failed on "${cluster.name}": ${firstLine(result.stderr)}`,
        );
      }
    }
    return transitionJob(db, pk, "cancelled", {
      at: this.#now(),
      reason: "cancelled by the user (scancel)",
    });
  }

  /** Cancels every active job of a cluster (for clusters.delete with force). */
  async cancelAll(clusterId: number, signal?: AbortSignal): Promise<JobRow[]> {
    const cancelled: JobRow[] = [];
    for (const row of activeRemoteJobs(this.#deps.db, clusterId)) {
      cancelled.push(await this.cancel(row.pk, signal));
    }
    return cancelled;
  }

  /** The last lines of a remote job's file, read on the cluster while it runs. */
  async tail(
    row: JobRow,
    file: string,
    lines: number,
    signal?: AbortSignal,
  ): Promise<Tail & { path: string }> {
    const cluster = clusterOf(getCluster(this.#deps.db, row.cluster_id!));
    const path = join(row.remote_dir!, file);
    const result = await this.#deps.ssh.exec(
      sshTargetOf(cluster),
      ["sh", "-c", 'wc -c < "$1" && tail -n "$2" "$1"', "sh", path, String(lines + 1)],
      { timeoutMs: 60_000, ...(signal ? { signal } : {}) },
    );
    if (result.code !== 0) {
      throw new InvalidStateError(
        `Cannot read "${file}" on "${cluster.name}" yet: ${firstLine(result.stderr)}`,
      );
    }
    const [size, ...rest] = result.stdout.split("\n");
    if (rest.at(-1) === "") rest.pop();
    return {
      lines: rest.slice(-lines),
      size_bytes: Number(size),
      truncated: rest.length > lines,
      path: `${cluster.name}:${path}`,
    };
  }

  /** Polls now: one cluster, or every cluster with active jobs. */
  async sync(clusterId?: number): Promise<SyncSummary> {
    const ids = clusterId !== undefined ? [clusterId] : [
      ...new Set(
        activeRemoteJobs(this.#deps.db).map((r) => r.cluster_id).filter((id) => id !== null),
      ),
    ] as number[];
    const total: SyncSummary = { clusters: 0, checked: 0, changed: [], errors: [] };
    for (const id of ids) {
      const one = await this.#poll(id);
      total.clusters += one.clusters;
      total.checked += one.checked;
      total.changed.push(...one.changed);
      total.errors.push(...one.errors);
      if (activeRemoteJobs(this.#deps.db, id).length > 0) {
        this.#schedule(id, this.#deps.config.slurm.pollIntervalMs);
      }
    }
    return total;
  }

  /** Starts tracking a cluster now (after a submission or an adoption). */
  wake(clusterId: number): void {
    this.#schedule(clusterId, 0);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#closing.abort();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#polls.values()]);
  }
}

/** Logs a transfer's progress at each further tenth. */
function progressLogger(
  log: Logger,
  pk: number,
  file: string,
): (done: number, total: number) => void {
  let reported = 0;
  return (done, total) => {
    const tenth = Math.floor((done / Math.max(total, 1)) * 10);
    if (tenth <= reported) return;
    reported = tenth;
    log.info("Fetching", { pk, file, percent: tenth * 10, bytes: done, total });
  };
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}
