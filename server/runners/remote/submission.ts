/**
 * Submitting a remote job without ever starting it twice: the directory, then the uploaded
 * inputs, then "submitting" are stored before the scheduler is asked, and the scheduler leaves a
 * marker on the host, so a daemon that dies in between finds the job again rather than starting
 * it a second time.
 *
 * @module
 */
import { join } from "node:path";
import type { Cluster } from "../../clusters/cluster.ts";
import { jobsInStates } from "../../db/jobs.ts";
import { AppError, SlurmRejectedError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import {
  dependenciesOf,
  type JobRow,
  outputNameOf,
  sameClusterRestartDir,
} from "../../model/job.ts";
import { ACTIVE_STATES, isTerminal } from "../../model/job_state.ts";
import type { JobStore } from "../../jobs/store.ts";
import { phaseFiles } from "../../jobs/job_dir.ts";
import { uploadJob } from "./files.ts";
import type { Scheduler, Transport } from "./scheduler.ts";

/** What submission needs. */
export interface SubmissionDeps {
  store: JobStore;
  log: Logger;
  scheduler: Scheduler;
}

/** Active jobs of this scheduler's runner on a cluster, oldest first. */
export function activeJobs(deps: SubmissionDeps, clusterId?: number): JobRow[] {
  return jobsInStates(deps.store.db, {
    runner: deps.scheduler.type,
    states: ACTIVE_STATES,
    clusterId,
  });
}

/** True while fewer than max_concurrent of this daemon's jobs are started on the cluster. */
export function hasSlot(deps: SubmissionDeps, cluster: Cluster): boolean {
  const started = activeJobs(deps, cluster.id).filter((j) => deps.scheduler.idOf(j) !== null);
  return started.length < cluster.max_concurrent;
}

/** Chooses the job's remote directory and records it. */
export function prepareRemote(
  deps: SubmissionDeps,
  row: JobRow,
  cluster: Cluster,
): Promise<JobRow> {
  const remoteDir = join(cluster.remote_workdir, "crystalmath", row.uuid);
  return deps.store.update(row.pk, { remote_dir: remoteDir, submit_step: "prepared" });
}

/** Uploads a prepared job; it fails, with the reason, when the upload does. */
export async function upload(
  deps: SubmissionDeps,
  row: JobRow,
  options: { cluster: Cluster; transport: Transport },
): Promise<JobRow> {
  const { store, scheduler } = deps;
  // Scheduler ids of unfinished dependencies on the same cluster: the scheduler orders them.
  const after = dependenciesOf(row).map((pk) => store.get(pk))
    .filter((dep) => dep.state !== "completed" && dep.cluster_id === row.cluster_id)
    .map((dep) => scheduler.idOf(dep))
    .filter((id) => id !== null);
  try {
    const source = row.restart_from === null ? null : store.get(row.restart_from);
    await uploadJob(options.transport, {
      row,
      script: {
        name: scheduler.scriptFile,
        text: scheduler.script(row, {
          cluster: options.cluster,
          after,
          restart_dir: sameClusterRestartDir(row, source),
          restart_output: source === null
            ? null
            : phaseFiles(outputNameOf(source), "crystal").stdout,
        }),
      },
      source,
    });
  } catch (error) {
    // Nothing was started: the job fails now, with the reason, rather than starting later
    // behind the back of a caller who was told it failed.
    const reason = `could not upload its files: ${(error as Error).message}`;
    await store.transition(row.pk, "failed", {
      reason,
      fields: { error_snippet: reason, submit_step: "rejected" },
    });
    throw error;
  }
  return store.update(row.pk, { submit_step: "uploaded" });
}

/** Starts an uploaded job, or leaves it queued in the daemon until a slot frees. */
export async function launchOrWait(
  deps: SubmissionDeps,
  row: JobRow,
  options: { cluster: Cluster; transport: Transport },
): Promise<JobRow> {
  if (hasSlot(deps, options.cluster)) return await launch(deps, row, options.transport);
  const { cluster } = options;
  const waiting =
    `waiting for a slot: max_concurrent ${cluster.max_concurrent} jobs are started on "${cluster.name}"`;
  return row.state === "queued"
    ? row
    : await deps.store.transition(row.pk, "queued", { reason: waiting });
}

/** Asks the scheduler to start an uploaded job, storing "submitting" first. */
export async function launch(
  deps: SubmissionDeps,
  row: JobRow,
  transport: Transport,
): Promise<JobRow> {
  const { store, log, scheduler } = deps;
  const submitting = await store.update(row.pk, { submit_step: "submitting" });
  let launched;
  try {
    launched = await scheduler.launch(submitting, transport);
  } catch (error) {
    if (error instanceof SlurmRejectedError) {
      const message = (error.data?.["reason"] as string | undefined) ?? error.message;
      await store.transition(row.pk, "failed", {
        reason: error.message,
        fields: { error_snippet: message, submit_step: "rejected" },
      });
      throw new SlurmRejectedError(
        `Cannot start job ${row.pk} on "${transport.name}": ${error.message}`,
        { data: { pk: row.pk, cluster_id: row.cluster_id }, cause: error },
      );
    }
    if (!(error instanceof AppError)) throw error;
    // Whether it started is unknown: never start it again blindly; the poll finds out.
    log.warn("Launch outcome unknown", { pk: row.pk, error: error.message });
    return store.transition(row.pk, "unknown", {
      reason: `submission outcome unknown (${error.message}); it will be checked on the cluster`,
    });
  }
  log.info("Started remote job", { pk: row.pk, cluster: transport.name, ...launched.fields });
  return store.transition(row.pk, launched.state, {
    reason: launched.reason,
    fields: { ...launched.fields, submit_step: "submitted" },
  });
}

/** Carries an interrupted submission on: finds the job if it started, else finishes starting it. */
export async function resume(
  deps: SubmissionDeps,
  row: JobRow,
  options: { cluster: Cluster; transport: Transport },
): Promise<void> {
  const { store, log, scheduler } = deps;
  if (row.remote_dir === null) return; // Held, or not yet prepared by submit(): not ours yet.
  if (row.submit_step === null || row.submit_step === "prepared") {
    await launchOrWait(deps, await upload(deps, row, options), options);
    return;
  }
  if (row.submit_step === "uploaded") {
    // Waiting for a slot under the cluster's max_concurrent; oldest first (jobs come in pk order).
    if (hasSlot(deps, options.cluster)) await launch(deps, row, options.transport);
    return;
  }
  // "submitting": the scheduler may have started it. Its marker says so.
  const found = await scheduler.recover(row, options.transport);
  if (found === null) {
    log.info("Interrupted submission never started: starting it", { pk: row.pk });
    await launch(deps, row, options.transport);
    return;
  }
  log.info("Found an interrupted submission", { pk: row.pk, ...found.fields });
  const fresh = await store.update(row.pk, { ...found.fields, submit_step: "submitted" });
  if (fresh.state !== found.state && !isTerminal(fresh.state)) {
    await store.transition(row.pk, found.state, {
      reason: `${found.reason} (found again after an interrupted submission)`,
    });
  }
}
