/**
 * The workflow engine: it records a study and its planned members in one transaction, makes the
 * members' jobs (idempotently, by client_token), and advances on the job store's events (never
 * by polling) until every member has ended; then it analyses the study and records the result.
 * After a restart, `start()` resumes every workflow that had not ended. It is the only writer of
 * workflow rows, and announces each change of state as a `workflow-changed` event.
 *
 * @module
 */
import { findJobByClientToken } from "../db/jobs.ts";
import {
  cancelledWithLiveMembers,
  findWorkflow,
  getWorkflow,
  insertWorkflow,
  membersOf,
  setMemberJob,
  unfinishedWorkflows,
  updateWorkflow,
  workflowOfJob,
  type WorkflowUpdate,
} from "../db/workflows.ts";
import type { Engine } from "../engine/engine.ts";
import { cancelJob } from "../engine/cancel_job.ts";
import { submitJob } from "../engine/submit_job.ts";
import { InvalidStateError } from "../errors.ts";
import type { RunnerType } from "../model/job.ts";
import { isTerminal } from "../model/job_state.ts";
import {
  isWorkflowEnded,
  type MemberPlan,
  memberTokenOf,
  workflowIdOf,
  type WorkflowRow,
  type WorkflowState,
} from "../model/workflow.ts";
import { memberOutcomes } from "./member_files.ts";
import { type MemberOutcome, WorkflowFailure } from "./workflow_type.ts";

/** The event the engine dispatches after each committed change of a workflow's state. */
export const WORKFLOW_CHANGED = "workflow-changed";

/** One change of a workflow's state. */
export interface WorkflowChange {
  workflow_id: string;
  type: string;
  state: WorkflowState;
  previous_state: WorkflowState | null;
  reason: string | null;
  at: string;
}

/** Where and how a study's jobs run: the common params, as stored with it. */
export interface WorkflowTarget {
  name: string;
  runner: RunnerType;
  cluster_id?: number | undefined;
  resources?: Record<string, unknown> | undefined;
  source_job_pk?: number | undefined;
}

/** A workflow's stored params: where it runs, and its type's own params. */
export interface StoredParams extends WorkflowTarget {
  params: Record<string, unknown>;
}

/** The engine. */
export class WorkflowEngine extends EventTarget implements AsyncDisposable {
  readonly #engine: Engine;
  readonly #unlisten: () => void;
  /** Every step on a workflow runs on this chain, one after the other. */
  #chain: Promise<void> = Promise.resolve();
  /** Workflows with an advance waiting on the chain: one is enough. */
  readonly #pending = new Set<number>();

  constructor(engine: Engine) {
    super();
    this.#engine = engine;
    this.#unlisten = engine.store.onChange((change) => {
      // A member matters when it ends or is deleted; its other steps change nothing here.
      if (change.kind === "progress" || (change.kind === "state" && !isTerminal(change.state))) {
        return;
      }
      const pk = workflowOfJob(engine.store.db, change.pk);
      if (pk !== undefined) this.#advanceLater(pk);
    });
  }

  /** Calls `listener` after every committed change of state; returns the remover. */
  onChange(listener: (change: WorkflowChange) => void): () => void {
    const wrapped = (event: Event) => {
      try {
        listener((event as CustomEvent<WorkflowChange>).detail);
      } catch (error) {
        this.#engine.log.error("A workflow change listener failed", { error });
      }
    };
    this.addEventListener(WORKFLOW_CHANGED, wrapped);
    return () => this.removeEventListener(WORKFLOW_CHANGED, wrapped);
  }

  /** Resumes what a restart interrupted: unfinished workflows, and cancels half done. */
  start(): Promise<void> {
    const db = this.#engine.store.db;
    for (const row of unfinishedWorkflows(db)) this.#advanceLater(row.pk);
    for (const row of cancelledWithLiveMembers(db)) {
      this.#run(() => this.#cancelMembers(row.pk));
    }
    return this.#chain;
  }

  /**
   * Records a study with its planned members, makes their jobs and returns the row and the jobs'
   * pks. A member the engine cannot make fails the workflow, which is returned all the same.
   */
  async create(
    request: { type: string; target: WorkflowTarget; params: unknown; members: MemberPlan[] },
  ): Promise<{ row: WorkflowRow; jobs: number[] }> {
    const stored: StoredParams = {
      ...request.target,
      params: request.params as Record<string, unknown>,
    };
    const row = await this.#write((c, at) => ({
      row: insertWorkflow(c, {
        type: request.type,
        name: request.target.name,
        params: stored,
        members: request.members,
      }, at),
      from: null,
      reason: "created",
    }));
    await this.#run(() => this.#advance(row.pk));
    const jobs = membersOf(this.#engine.store.db, row.pk).flatMap((m) =>
      m.job_pk === null ? [] : [m.job_pk]
    );
    return { row: getWorkflow(this.#engine.store.db, row.pk), jobs };
  }

  /**
   * Cancels a workflow and every member job that has not ended.
   * @throws {NotFoundError} for an unknown workflow; {InvalidStateError} when it has ended
   */
  cancel(pk: number): Promise<WorkflowRow> {
    return this.#run(async () => {
      const row = getWorkflow(this.#engine.store.db, pk);
      if (isWorkflowEnded(row.state)) {
        throw new InvalidStateError(
          `Cannot cancel workflow "${workflowIdOf(pk)}": it has already ended ${row.state}`,
          { data: { id: workflowIdOf(pk), state: row.state } },
        );
      }
      await this.#setState(pk, { state: "cancelled" }, "cancelled by request");
      await this.#cancelMembers(pk);
      return getWorkflow(this.#engine.store.db, pk);
    });
  }

  /**
   * Records a workflow that runs elsewhere (an AiiDA process): it has no members and the engine
   * never advances it; `also` writes its own rows in the same transaction.
   */
  recordExternal(
    request: { type: string; name: string; params: Record<string, unknown>; warnings: string[] },
    also: (c: Engine["store"]["db"], row: WorkflowRow) => void,
  ): Promise<WorkflowRow> {
    return this.#write((c, at) => {
      const { warnings, ...rest } = request;
      const inserted = insertWorkflow(c, { ...rest, members: [] }, at);
      const row = updateWorkflow(c, inserted.pk, {
        state: "created",
        warnings_json: JSON.stringify(warnings),
      }, at);
      also(c, row);
      return { row, from: null, reason: "created" };
    });
  }

  /**
   * Moves a workflow that runs elsewhere on, announced like any other change, with `also` written
   * in the same transaction. One that has ended stays as it is (a cancel won the race).
   */
  async settleExternal(
    pk: number,
    update: WorkflowUpdate,
    reason: string,
    also?: (c: Engine["store"]["db"]) => void,
  ): Promise<WorkflowRow> {
    await this.#setState(pk, update, reason, also);
    return getWorkflow(this.#engine.store.db, pk);
  }

  #advanceLater(pk: number): void {
    if (this.#pending.has(pk)) return;
    this.#pending.add(pk);
    void this.#run(() => {
      this.#pending.delete(pk);
      return this.#advance(pk);
    }).catch((error) => this.#engine.log.error("Cannot advance a workflow", { pk, error }));
  }

  #run<T>(step: () => Promise<T>): Promise<T> {
    const result = this.#chain.then(step);
    this.#chain = result.then(() => {}, () => {});
    return result;
  }

  /** Makes the members not made yet, then analyses once every member has ended. */
  async #advance(pk: number): Promise<void> {
    const { store } = this.#engine;
    const row = findWorkflow(store.db, pk);
    if (row === undefined || isWorkflowEnded(row.state)) return;
    // A type declared nowhere runs elsewhere (AiiDA): its own tracker moves it on. The types
    // load here, with the first workflow, not at start-up.
    const { isDeclaredType, workflowTypeOf } = await import("./types.ts");
    if (!isDeclaredType(row.type)) return;
    const stored = JSON.parse(row.params_json) as StoredParams;
    const members = membersOf(store.db, pk);
    const jobOfKey = new Map<string, number>();
    for (const member of members) {
      if (member.job_pk !== null) {
        jobOfKey.set(member.member_key, member.job_pk);
        continue;
      }
      const token = memberTokenOf(pk, member.member_key);
      const dependsOn = (JSON.parse(member.depends_on_json) as string[]).map((key) =>
        jobOfKey.get(key)!
      );
      const restartFrom = member.restart_from === null
        ? undefined
        : jobOfKey.get(member.restart_from);
      let jobPk: number;
      try {
        jobPk = (await submitJob(this.#engine, {
          name: member.name,
          input: member.input,
          runner: stored.runner,
          cluster_id: stored.cluster_id,
          resources: stored.resources,
          depends_on: dependsOn,
          properties_input: member.properties_input ?? undefined,
          restart_from: restartFrom,
          properties_only: member.properties_only === 1,
          client_token: token,
          workflow_id: workflowIdOf(pk),
        })).pk;
      } catch (error) {
        // A job the runner refused exists, failed: it is the member. Otherwise none was made.
        const made = findJobByClientToken(store.db, token);
        if (made === undefined) {
          await this.#setState(pk, {
            state: "failed",
            error: `Cannot create member "${member.name}": ${(error as Error).message}`,
          }, "a member could not be created");
          return;
        }
        jobPk = made.pk;
      }
      jobOfKey.set(member.member_key, jobPk);
      await store.db.write((c) => setMemberJob(c, pk, member.member_key, jobPk));
    }
    if (row.state === "created") await this.#setState(pk, { state: "running" }, "members created");
    const jobs = members.map((m) => store.find(jobOfKey.get(m.member_key)!));
    if (jobs.some((job) => job !== undefined && !isTerminal(job.state))) return;
    const type = workflowTypeOf(row.type);
    const made = membersOf(store.db, pk).map((m) => ({
      ...m,
      job_pk: jobOfKey.get(m.member_key)!,
    }));
    const outcomes = await memberOutcomes(made, (jobPk) => store.find(jobPk), type.reads ?? []);
    await this.#analyse(row, stored, outcomes);
  }

  async #analyse(row: WorkflowRow, stored: StoredParams, members: MemberOutcome[]): Promise<void> {
    // The types (their schemas, fits and plots) load with the first analysis, not at start-up.
    const { parseTypeParams, workflowTypeOf } = await import("./types.ts");
    const type = workflowTypeOf(row.type);
    if (isWorkflowEnded(getWorkflow(this.#engine.store.db, row.pk).state)) return;
    try {
      const { result, warnings } = type.analyse(parseTypeParams(type, stored.params), members);
      await this.#setState(row.pk, {
        state: "completed",
        result_json: JSON.stringify(result),
        warnings_json: JSON.stringify(warnings),
      }, "analysed");
    } catch (error) {
      if (!(error instanceof WorkflowFailure)) throw error;
      await this.#setState(row.pk, { state: "failed", error: error.message }, error.message);
    }
  }

  async #cancelMembers(pk: number): Promise<void> {
    const { store } = this.#engine;
    for (const member of membersOf(store.db, pk)) {
      const job = member.job_pk === null ? undefined : store.find(member.job_pk);
      if (job === undefined || isTerminal(job.state)) continue;
      try {
        await cancelJob(this.#engine, job.pk);
      } catch (error) {
        // It ended between the read and the cancel: nothing is left to stop.
        if (!(error instanceof InvalidStateError)) throw error;
      }
    }
  }

  /** Moves a workflow on, unless it has ended already (a cancel won the race). */
  async #setState(
    pk: number,
    update: WorkflowUpdate,
    reason: string,
    also?: (c: Engine["store"]["db"]) => void,
  ): Promise<void> {
    await this.#write((c, at) => {
      const before = getWorkflow(c, pk);
      if (isWorkflowEnded(before.state)) return { row: before, from: undefined, reason };
      also?.(c);
      const ended = isWorkflowEnded(update.state) ? { finished_at: at } : {};
      return {
        row: updateWorkflow(c, pk, { ...update, ...ended }, at),
        from: before.state,
        reason,
      };
    });
  }

  async #write(
    fn: (
      c: Engine["store"]["db"],
      at: string,
    ) => { row: WorkflowRow; from: WorkflowState | null | undefined; reason: string },
  ): Promise<WorkflowRow> {
    const { row, from, reason, at } = await this.#engine.store.db.write((c) => {
      const at = new Date().toISOString();
      return { ...fn(c, at), at };
    });
    if (from !== undefined) {
      const detail: WorkflowChange = {
        workflow_id: workflowIdOf(row.pk),
        type: row.type,
        state: row.state,
        previous_state: from,
        reason,
        at,
      };
      this.dispatchEvent(new CustomEvent(WORKFLOW_CHANGED, { detail }));
    }
    return row;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#unlisten();
    await this.#chain;
  }
}
