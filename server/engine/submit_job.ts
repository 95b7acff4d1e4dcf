/**
 * Submitting a job: check what it reads, record it, write its local directory, then hand it to
 * its runner, or hold it in the daemon until its dependencies are done.
 *
 * @module
 */
import { type Cluster, clusterOf } from "../clusters/cluster.ts";
import { DeckSyntaxError, parsePropertiesDeck, validateDeck } from "../crystal/deck.ts";
import { getCluster } from "../db/clusters.ts";
import { findJobByClientToken } from "../db/jobs.ts";
import {
  AppError,
  ConflictError,
  CrystalInputInvalidError,
  InvalidParamsError,
  InvalidStateError,
} from "../errors.ts";
import { FORT34_FILE, jobDirPath, RESTART_FILES, slugOf } from "../jobs/job_dir.ts";
import { prepareJobFiles } from "../jobs/prepare.ts";
import { hasBandTokens } from "../crystal/band_window.ts";
import type { JobRow, RunnerType } from "../model/job.ts";
import { isTerminal } from "../model/job_state.ts";
import { Fort34SyntaxError, readFort34 } from "../structures/fort34.ts";
import type { Engine } from "./engine.ts";
import { holdReason, releaseIfReady } from "./dependencies.ts";

/** A job to submit. */
export interface JobRequest {
  name: string;
  input: string;
  runner: RunnerType;
  cluster_id?: number | undefined;
  depends_on?: readonly number[] | undefined;
  dft_code?: string | undefined;
  resources?: Record<string, unknown> | undefined;
  properties_input?: string | undefined;
  /** The fort.34 an EXTERNAL geometry reads, written beside INPUT. */
  fort34?: string | undefined;
  restart_from?: number | undefined;
  /** Run properties alone (properties_input) on the fort.9 of restart_from: no SCF. */
  properties_only?: boolean | undefined;
  tags?: readonly string[] | undefined;
  /** An idempotency key: submitting again with it gives back the same job. */
  client_token?: string | undefined;
  /** The workflow the job belongs to, as a group tag. */
  workflow_id?: string | undefined;
}

/** The cluster type each remote runner needs. */
const CLUSTER_TYPE: Partial<Record<RunnerType, string>> = { slurm: "slurm", ssh: "ssh" };

/** Checks the deck, the .d3 and the job it restarts from. */
async function checkInputs(engine: Engine, request: JobRequest): Promise<void> {
  const deck = validateDeck(request.input);
  if (!deck.ok) {
    throw new CrystalInputInvalidError(`Invalid CRYSTAL input: line ${deck.line}: ${deck.reason}`, {
      data: { line: deck.line, reason: deck.reason },
    });
  }
  if (request.properties_input !== undefined) {
    try {
      parsePropertiesDeck(request.properties_input);
    } catch (error) {
      if (!(error instanceof DeckSyntaxError)) throw error;
      throw new CrystalInputInvalidError(
        `Invalid properties input: line ${error.line}: ${error.reason}`,
        { data: { line: error.line, reason: error.reason, file: "properties_input" } },
      );
    }
  }
  if (request.properties_only && request.properties_input === undefined) {
    throw new InvalidParamsError("A properties-only job needs properties_input (its .d3 deck)");
  }
  if (hasBandTokens(request.properties_input ?? null) && !request.properties_only) {
    throw new InvalidParamsError(
      "Band tokens (@VB-49@, @VB+50@) need properties_only and restart_from: the SCF whose " +
        "output places them",
    );
  }
  if (request.properties_only && request.restart_from === undefined) {
    throw new InvalidParamsError(
      "A properties-only job needs restart_from: the job whose fort.9 it reads",
    );
  }
  const source = request.restart_from === undefined
    ? undefined
    : engine.store.get(request.restart_from);
  // A source it waits for has not written its files yet: they are copied when it is released
  // (and the job fails then, saying so, if there are none).
  const isAwaited = source !== undefined && request.depends_on?.includes(source.pk) === true &&
    source.state !== "completed";
  await checkGeometryFile(request, deck.deck.geometry.kind, isAwaited ? undefined : source);
  if (source !== undefined && !isAwaited) {
    const present = [];
    for (const name of source.work_dir === null ? [] : RESTART_FILES) {
      if (await Deno.stat(`${source.work_dir}/${name}`).then((i) => i.isFile, () => false)) {
        present.push(name);
      }
    }
    if (
      request.properties_only && source.remote_dir === null && !present.includes("fort.9")
    ) {
      throw new InvalidStateError(
        `Cannot run properties on job ${source.pk}: its directory has no fort.9 (wave function)`,
        { data: { pk: source.pk, state: source.state } },
      );
    }
    const isElsewhere = source.remote_dir !== null &&
      (request.runner === "local" || request.cluster_id !== source.cluster_id);
    if (request.properties_only && isElsewhere) {
      throw new InvalidStateError(
        `Cannot run properties on job ${source.pk} here: its fort.9 stays on its cluster; ` +
          "run on that cluster",
        { data: { pk: source.pk, cluster_id: source.cluster_id } },
      );
    }
    if (present.length === 0 && source.remote_dir === null) {
      throw new InvalidStateError(
        `Cannot restart from job ${source.pk}: its directory has none of ${
          RESTART_FILES.join(", ")
        }`,
        { data: { pk: source.pk, state: source.state } },
      );
    }
  }
}

/**
 * Checks the fort.34 that comes with the job, and that an EXTERNAL deck gets one: given, or
 * copied from the job it restarts from (whose directory has one, or which may still write one
 * on its cluster). `source` is undefined when there is none to check now: no restart_from, or
 * one the job waits for.
 */
async function checkGeometryFile(
  request: JobRequest,
  kind: string,
  source: JobRow | undefined,
): Promise<void> {
  if (request.fort34 !== undefined) {
    try {
      readFort34(request.fort34);
    } catch (error) {
      if (!(error instanceof Fort34SyntaxError)) throw error;
      throw new CrystalInputInvalidError(`Invalid fort34: line ${error.line}: ${error.reason}`, {
        data: { line: error.line, reason: error.reason, file: "fort34" },
      });
    }
    if (kind !== "EXTERNAL") {
      throw new InvalidParamsError(
        `Cannot submit: fort34 is read only by a deck whose geometry is EXTERNAL, and this ` +
          `deck's is ${kind}`,
        { data: { geometry: kind } },
      );
    }
    return;
  }
  if (kind !== "EXTERNAL" || (request.restart_from !== undefined && source === undefined)) return;
  if (source !== undefined) {
    const isLocal = source.work_dir !== null &&
      await Deno.stat(`${source.work_dir}/${FORT34_FILE}`).then((i) => i.isFile, () => false);
    if (isLocal || (source.remote_dir !== null && !isTerminal(source.state))) return;
  }
  throw new CrystalInputInvalidError(
    "Cannot submit: the deck's geometry is EXTERNAL, read from fort.34, and no fort.34 comes " +
      "with it: give fort34 (materials.generate_d12 returns it with such a deck)" +
      (source === undefined
        ? " or restart_from a job that has one"
        : `; job ${source.pk}, which restart_from names, has none`),
    { data: { reason: "missing_fort34", ...(source === undefined ? {} : { pk: source.pk }) } },
  );
}

/** The cluster of a remote submission, checked against the runner. */
export function clusterFor(engine: Engine, request: JobRequest): Cluster | null {
  const wanted = CLUSTER_TYPE[request.runner];
  if (wanted === undefined) {
    if (request.cluster_id !== undefined) {
      throw new CrystalInputInvalidError(
        `Cannot submit: cluster_id needs runner slurm or ssh, not ${request.runner}`,
      );
    }
    return null;
  }
  if (request.cluster_id === undefined) {
    throw new CrystalInputInvalidError(
      `Cannot submit with runner ${request.runner}: give cluster_id`,
    );
  }
  const cluster = clusterOf(getCluster(engine.store.db, request.cluster_id));
  if (cluster.cluster_type !== wanted) {
    throw new InvalidStateError(
      `Cannot submit to cluster "${cluster.name}" with runner ${request.runner}: it is a ${cluster.cluster_type} cluster`,
    );
  }
  return cluster;
}

/** Refuses unknown dependencies and dependencies that have already failed. */
function checkDependencies(engine: Engine, pks: readonly number[]): void {
  const seen = new Set<number>();
  for (const pk of pks) {
    if (seen.has(pk)) throw new InvalidParamsError(`Invalid depends_on: job ${pk} is listed twice`);
    seen.add(pk);
    const dep = engine.store.find(pk);
    // A new job can only name jobs that exist already, so the graph cannot have a cycle.
    if (dep === undefined) {
      throw new InvalidParamsError(`Invalid depends_on: job ${pk} does not exist`, {
        data: { pk },
      });
    }
    if (dep.state === "failed" || dep.state === "cancelled") {
      throw new InvalidStateError(`Cannot depend on job ${pk}: it already ended ${dep.state}`, {
        data: { pk, state: dep.state },
      });
    }
  }
}

/**
 * The job an idempotency key names, when the request is the same one again.
 * @throws {ConflictError} when the key was used for another job
 */
function sameRequest(job: JobRow, request: JobRequest): JobRow {
  if (
    job.name !== request.name || job.input !== request.input ||
    job.runner_type !== request.runner || job.fort34 !== (request.fort34 ?? null) ||
    job.properties_only !== (request.properties_only ? 1 : 0)
  ) {
    throw new ConflictError(
      `Cannot submit: client_token "${request.client_token}" was used for job ${job.pk} ` +
        `("${job.name}"), a different request`,
      { data: { pk: job.pk } },
    );
  }
  return job;
}

/**
 * Submits a job and returns its row: queued or started, held for its dependencies, or failed
 * (with the error thrown) when its runner refused it.
 */
export async function submitJob(engine: Engine, request: JobRequest): Promise<JobRow> {
  const { store, config } = engine;
  const again = request.client_token === undefined
    ? undefined
    : findJobByClientToken(store.db, request.client_token);
  if (again !== undefined) return sameRequest(again, request);
  await checkInputs(engine, request);
  const cluster = clusterFor(engine, request);
  const dependsOn = request.depends_on ?? [];
  checkDependencies(engine, dependsOn);
  const row = await store.insert({
    uuid: crypto.randomUUID(),
    name: request.name,
    dft_code: request.dft_code ?? "crystal",
    runner_type: request.runner,
    cluster_id: cluster?.id ?? null,
    input: request.input,
    properties_input: request.properties_input ?? null,
    fort34: request.fort34 ?? null,
    restart_from: request.restart_from ?? null,
    properties_only: request.properties_only ?? false,
    tags: request.tags ?? [],
    resources: request.resources ?? {},
    output_name: slugOf(request.name),
    depends_on: dependsOn,
    client_token: request.client_token ?? null,
    workflow_id: request.workflow_id ?? null,
  }).catch((error) => {
    // Two submits with one key at the same instant: the first one's job is the answer.
    const winner = request.client_token === undefined
      ? undefined
      : findJobByClientToken(store.db, request.client_token);
    if (winner === undefined) throw error;
    return { ...winner, isRepeat: true as const };
  });
  if ("isRepeat" in row) return sameRequest(row, request);
  const hold = holdReason(store, row);
  const recorded = await store.update(row.pk, {
    work_dir: jobDirPath(config.dataDir, row.pk, row.name),
    ...(hold === null ? {} : { submit_step: "held", state_reason: hold }),
  });
  try {
    await prepareJobFiles(store, recorded);
  } catch (error) {
    // Never leave a job in `created` behind a failed write: it fails, with the reason.
    const reason = `could not write its directory: ${(error as Error).message}`;
    await store.transition(row.pk, "failed", { reason, fields: { error_snippet: reason } });
    throw new AppError(
      "server_error",
      `Cannot prepare job ${row.pk}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (hold !== null) {
    engine.log.info("Holding job for its dependencies", { pk: row.pk, reason: hold });
    // A dependency may have ended while the directory was written.
    return await releaseIfReady(engine, store.get(row.pk)) ?? store.get(row.pk);
  }
  return await engine.runners.for(recorded).submit(store.get(row.pk));
}
