/**
 * The AiiDA service: workflows that run in a user's own AiiDA on a cluster. It probes a cluster
 * (cached briefly), launches a deck through the launcher, records the process PK, then follows
 * the process with `verdi process show` on the cluster poll's timer (one call per unfinished
 * process per round, rounds never overlapping) and moves the workflow to our state.
 *
 * @module
 */
import { type Cluster, clusterOf } from "../clusters/cluster.ts";
import {
  type AiidaProcessRow,
  type AiidaProcessUpdate,
  findAiidaProcess,
  insertAiidaProcess,
  unfinishedAiidaProcesses,
  updateAiidaProcess,
} from "../db/aiida.ts";
import { getCluster } from "../db/clusters.ts";
import { getWorkflow } from "../db/workflows.ts";
import type { Engine } from "../engine/engine.ts";
import { AppError, InvalidStateError, NotFoundError, UnsupportedError } from "../errors.ts";
import { workflowIdOf, type WorkflowRow } from "../model/workflow.ts";
import type { WorkflowEngine } from "../workflows/workflow_engine.ts";
import type { LauncherInputs } from "./inputs.ts";
import { RemoteAiida, SUBMITTED_FILE } from "./remote.ts";
import {
  type AiidaSettings,
  failureOf,
  notConfigured,
  type ProbeVerdict,
  type ProcessSummary,
  workflowStateOf,
} from "./verdi.ts";

/** The workflow type of an AiiDA process. */
export const AIIDA_WORKFLOW_TYPE = "aiida";
/** How long a probe's verdict is kept. */
export const PROBE_TTL_MS = 60_000;
/** A launch that left no submitted.json for this long submitted nothing. */
const LOST_LAUNCH_MS = 10 * 60_000;

/** What workflows.available says of one cluster. */
export interface AiidaAvailability {
  cluster_id: number;
  cluster: string;
  state: "usable" | "unsupported" | "unreachable" | "probing";
  detail: string | null;
}

/** A launch, checked. */
export interface AiidaLaunch {
  cluster: Cluster;
  name: string;
  inputs: LauncherInputs;
  warnings: string[];
  params: Record<string, unknown>;
}

interface Probe {
  at: number;
  verdict: ProbeVerdict | { unreachable: string } | undefined;
  pending: Promise<ProbeVerdict> | undefined;
}

/** The service; disposing stops its timer and waits for the round in progress. */
export class AiidaService implements AsyncDisposable {
  readonly #engine: Engine;
  readonly #workflows: WorkflowEngine;
  readonly #pollMs: number;
  readonly #probes = new Map<string, Probe>();
  /** Workflows whose launch is in progress here: the tracker leaves them alone. */
  readonly #launching = new Set<number>();
  readonly #closing = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #round: Promise<void> = Promise.resolve();

  constructor(engine: Engine, workflows: WorkflowEngine, options: { pollIntervalMs: number }) {
    this.#engine = engine;
    this.#workflows = workflows;
    this.#pollMs = options.pollIntervalMs;
  }

  /** Starts following the processes of unfinished AiiDA workflows. */
  start(): void {
    this.#schedule();
  }

  /** The cluster's AiiDA settings. @throws {UnsupportedError} when it has none */
  settingsOf(cluster: Cluster): AiidaSettings {
    if (cluster.aiida === null) {
      throw new UnsupportedError(notConfigured(cluster), { data: { cluster_id: cluster.id } });
    }
    return cluster.aiida;
  }

  /**
   * Probes `cluster` unless a usable verdict is fresh; a failed one is always probed again.
   * @throws {UnsupportedError} without AiiDA settings; {SshFailedError} when unreachable
   */
  async probe(cluster: Cluster, signal?: AbortSignal): Promise<ProbeVerdict> {
    const settings = this.settingsOf(cluster);
    const key = `${cluster.id}:${cluster.updated_at}`;
    const known = this.#probes.get(key);
    if (known?.verdict && "usable" in known.verdict && known.verdict.usable) {
      if (Date.now() - known.at < PROBE_TTL_MS) return known.verdict;
    }
    if (known?.pending) return await known.pending;
    const entry: Probe = { at: Date.now(), verdict: known?.verdict, pending: undefined };
    const pending = new RemoteAiida(this.#engine.ssh, cluster, settings, signal).probe();
    entry.pending = pending;
    this.#probes.set(key, entry);
    try {
      entry.verdict = await pending;
      entry.at = Date.now();
      return entry.verdict;
    } catch (error) {
      entry.verdict = { unreachable: (error as Error).message };
      entry.at = Date.now();
      throw error;
    } finally {
      entry.pending = undefined;
    }
  }

  /** What is known of `cluster` now, never waiting: a stale or missing verdict is probed later. */
  availability(cluster: Cluster): AiidaAvailability | undefined {
    if (cluster.aiida === null) return undefined;
    const known = this.#probes.get(`${cluster.id}:${cluster.updated_at}`);
    const base = { cluster_id: cluster.id, cluster: cluster.name };
    if (known === undefined || (!known.pending && Date.now() - known.at >= PROBE_TTL_MS)) {
      this.probe(cluster).catch(() => {}); // The verdict is kept; the error is in it.
    }
    const verdict = known?.verdict;
    if (verdict === undefined) return { ...base, state: "probing", detail: null };
    if ("unreachable" in verdict) {
      return { ...base, state: "unreachable", detail: verdict.unreachable };
    }
    return verdict.usable
      ? { ...base, state: "usable", detail: `aiida-core ${verdict.aiida_version}` }
      : { ...base, state: "unsupported", detail: verdict.reason };
  }

  /** Whether workflow `pk` is an AiiDA one. */
  owns(pk: number): boolean {
    return findAiidaProcess(this.#engine.store.db, pk) !== undefined;
  }

  /**
   * Probes, records the workflow, uploads the launcher and runs it. A launch AiiDA refused fails
   * the workflow, which is returned all the same; a lost answer leaves it created, to be
   * resolved from the launcher's submitted.json.
   * @throws {UnsupportedError} when the cluster's AiiDA cannot run it; {SshFailedError}
   */
  async launch(request: AiidaLaunch, signal?: AbortSignal): Promise<WorkflowRow> {
    const { cluster } = request;
    const settings = this.settingsOf(cluster);
    const verdict = await this.probe(cluster, signal);
    if (!verdict.usable) {
      throw new UnsupportedError(verdict.reason, { data: { cluster_id: cluster.id } });
    }
    const dir = `${
      cluster.remote_workdir.replace(/\/+$/, "")
    }/crystalmath/aiida-${crypto.randomUUID()}`;
    const row = await this.#workflows.recordExternal({
      type: AIIDA_WORKFLOW_TYPE,
      name: request.name,
      params: { ...request.params, aiida_version: verdict.aiida_version },
      warnings: request.warnings,
    }, (c, row) =>
      insertAiidaProcess(c, {
        workflow_pk: row.pk,
        cluster_id: cluster.id,
        profile: settings.profile,
        remote_dir: dir,
      }));
    this.#launching.add(row.pk);
    try {
      const remote = new RemoteAiida(this.#engine.ssh, cluster, settings, signal);
      await remote.upload(dir, request.inputs);
      const launched = await remote.run(dir);
      if ("error" in launched) {
        return await this.#workflows.settleExternal(row.pk, {
          state: "failed",
          error: `AiiDA did not start the workflow: ${launched.error}`,
        }, "launch failed");
      }
      await this.#record(row.pk, {
        process_pk: launched.pk,
        process_uuid: launched.uuid,
        process_state: "created",
        check_error: null,
      });
      return row;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await this.#record(row.pk, {
        check_error: `The launch did not answer (${error.message}); ${SUBMITTED_FILE} in ` +
          `${dir} is read later to find the process`,
      });
      return row;
    } finally {
      this.#launching.delete(row.pk);
    }
  }

  /**
   * Kills the process (verdi process kill), then cancels the workflow.
   * @throws {InvalidStateError} when it has ended, or AiiDA refused the kill
   */
  async cancel(pk: number, signal?: AbortSignal): Promise<WorkflowRow> {
    const row = findAiidaProcess(this.#engine.store.db, pk);
    if (row === undefined) throw new NotFoundError(`Workflow "${workflowIdOf(pk)}" is not AiiDA's`);
    const cluster = this.#clusterOf(row);
    if (row.process_pk !== null && cluster !== undefined) {
      const remote = this.#remoteOf(cluster, row, signal);
      const refused = await remote.kill(row.process_pk);
      if (refused !== undefined) {
        const shown = await remote.show(row.process_pk);
        if (!("error" in shown) && workflowStateOf(shown) !== "running") {
          await this.#apply(row, shown);
        }
        throw new InvalidStateError(
          `Cannot cancel workflow "${workflowIdOf(pk)}": verdi process kill ` +
            `${row.process_pk} said ${refused}`,
        );
      }
    }
    return await this.#workflows.cancel(pk);
  }

  #clusterOf(row: AiidaProcessRow): Cluster | undefined {
    try {
      return clusterOf(getCluster(this.#engine.store.db, row.cluster_id));
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  #remoteOf(cluster: Cluster, row: AiidaProcessRow, signal?: AbortSignal): RemoteAiida {
    const settings = { verdi: cluster.aiida?.verdi, profile: row.profile };
    return new RemoteAiida(this.#engine.ssh, cluster, settings, signal);
  }

  #record(pk: number, update: AiidaProcessUpdate): Promise<void> {
    return this.#engine.store.db.write((c) => updateAiidaProcess(c, pk, update));
  }

  #schedule(): void {
    if (this.#closing.signal.aborted) return;
    this.#timer = setTimeout(() => {
      this.#round = this.#check().catch((error) =>
        this.#engine.log.error("Cannot check AiiDA processes", { error })
      ).finally(() => this.#schedule());
    }, this.#pollMs);
  }

  /** One round: each unfinished AiiDA workflow's process, once. */
  async #check(): Promise<void> {
    for (const row of unfinishedAiidaProcesses(this.#engine.store.db)) {
      if (this.#closing.signal.aborted) return;
      if (this.#launching.has(row.workflow_pk)) continue;
      const cluster = this.#clusterOf(row);
      if (cluster === undefined) {
        await this.#record(row.workflow_pk, {
          check_error: `Cluster ${row.cluster_id} was deleted: the process cannot be followed`,
        });
        continue;
      }
      try {
        await this.#checkOne(row, this.#remoteOf(cluster, row, this.#closing.signal));
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        await this.#record(row.workflow_pk, { check_error: error.message });
      }
    }
  }

  async #checkOne(row: AiidaProcessRow, remote: RemoteAiida): Promise<void> {
    const at = new Date().toISOString();
    if (row.process_pk === null) {
      const found = await remote.submitted(row.remote_dir);
      if (found !== undefined) {
        await this.#record(row.workflow_pk, {
          process_pk: found.pk,
          process_uuid: found.uuid,
          process_state: "created",
          checked_at: at,
          check_error: null,
        });
        return;
      }
      const { created_at } = this.#workflowRow(row.workflow_pk);
      if (Date.now() - Date.parse(created_at) > LOST_LAUNCH_MS) {
        await this.#workflows.settleExternal(row.workflow_pk, {
          state: "failed",
          error: `The launch was interrupted before AiiDA reported a process (no ` +
            `${SUBMITTED_FILE} in ${row.remote_dir}): nothing was submitted`,
        }, "launch lost");
      }
      return;
    }
    const shown = await remote.show(row.process_pk);
    if ("error" in shown) {
      await this.#record(row.workflow_pk, { checked_at: at, check_error: shown.error });
      return;
    }
    await this.#apply(row, shown);
  }

  #workflowRow(pk: number): WorkflowRow {
    return getWorkflow(this.#engine.store.db, pk);
  }

  /** Records what AiiDA said and moves the workflow to the state it maps to. */
  async #apply(row: AiidaProcessRow, shown: ProcessSummary): Promise<void> {
    const update: AiidaProcessUpdate = {
      process_uuid: shown.uuid,
      process_label: shown.process_label,
      process_state: shown.process_state,
      exit_status: shown.exit_status,
      exit_message: shown.exit_message,
      outputs_json: JSON.stringify(shown.outputs),
      checked_at: new Date().toISOString(),
      check_error: null,
    };
    const state = workflowStateOf(shown);
    const current = this.#workflowRow(row.workflow_pk);
    if (state === current.state) return await this.#record(row.workflow_pk, update);
    const also = (c: Engine["store"]["db"]) => updateAiidaProcess(c, row.workflow_pk, update);
    const reason = `AiiDA process ${shown.pk} is ${shown.process_state}` +
      (shown.exit_status === null ? "" : ` [${shown.exit_status}]`);
    await this.#workflows.settleExternal(
      row.workflow_pk,
      {
        state,
        ...(state === "completed" ? { result_json: JSON.stringify(resultOf(shown)) } : {}),
        ...(state === "failed" ? { error: failureOf(shown) } : {}),
      },
      reason,
      also,
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#closing.abort();
    clearTimeout(this.#timer);
    await this.#round;
  }
}

/** The result of a completed process: what it is and what it made. */
export function resultOf(shown: ProcessSummary): Record<string, unknown> {
  return {
    process_pk: shown.pk,
    process_uuid: shown.uuid,
    process_label: shown.process_label,
    exit_status: shown.exit_status,
    outputs: shown.outputs,
  };
}
