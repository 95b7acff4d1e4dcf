/**
 * All SQL for workflows and their members. The write functions take the connection of a
 * transaction that workflows/workflow_engine.ts opens; it is their only caller.
 *
 * @module
 */
import type { SQLInputValue } from "node:sqlite";
import { NotFoundError } from "../errors.ts";
import type { MemberPlan, MemberRow, WorkflowRow, WorkflowState } from "../model/workflow.ts";
import { workflowIdOf } from "../model/workflow.ts";
import type { Database } from "./open.ts";

/** The workflow with `pk`, or undefined. */
export function findWorkflow(db: Database, pk: number): WorkflowRow | undefined {
  return db.prepare("SELECT * FROM workflows WHERE pk = ?").get(pk) as WorkflowRow | undefined;
}

/** The workflow with `pk`. @throws {NotFoundError} */
export function getWorkflow(db: Database, pk: number): WorkflowRow {
  const row = findWorkflow(db, pk);
  if (row === undefined) {
    throw new NotFoundError(`Workflow "${workflowIdOf(pk)}" does not exist`, {
      data: { id: workflowIdOf(pk) },
    });
  }
  return row;
}

/** Filters for `listWorkflows`. */
export interface WorkflowFilter {
  state?: WorkflowState | undefined;
  type?: string | undefined;
  limit: number;
  offset: number;
}

/** A page of workflows, newest first, and how many match. */
export function listWorkflows(
  db: Database,
  filter: WorkflowFilter,
): { rows: WorkflowRow[]; total: number } {
  const where: string[] = [];
  const args: SQLInputValue[] = [];
  if (filter.state) where.push("state = ?"), args.push(filter.state);
  if (filter.type) where.push("type = ?"), args.push(filter.type);
  const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
  const rows = db.prepare(`SELECT * FROM workflows ${clause} ORDER BY pk DESC LIMIT ? OFFSET ?`)
    .all(...args, filter.limit, filter.offset) as unknown as WorkflowRow[];
  const { n } = db.prepare(`SELECT COUNT(*) AS n FROM workflows ${clause}`).get(...args) as {
    n: number;
  };
  return { rows, total: n };
}

/** Workflows that have not ended, oldest first (resumed after a restart). */
export function unfinishedWorkflows(db: Database): WorkflowRow[] {
  return db.prepare(
    "SELECT * FROM workflows WHERE state IN ('created', 'running') ORDER BY pk",
  ).all() as unknown as WorkflowRow[];
}

/** Cancelled workflows with a member whose job has not ended (a restart mid-cancel). */
export function cancelledWithLiveMembers(db: Database): WorkflowRow[] {
  return db.prepare(
    `SELECT DISTINCT w.* FROM workflows w
       JOIN workflow_members m ON m.workflow_pk = w.pk
       JOIN jobs j ON j.pk = m.job_pk
     WHERE w.state = 'cancelled' AND j.state NOT IN ('completed', 'failed', 'cancelled')`,
  ).all() as unknown as WorkflowRow[];
}

/** The members of workflow `pk`, in plan order. */
export function membersOf(db: Database, pk: number): MemberRow[] {
  return db.prepare("SELECT * FROM workflow_members WHERE workflow_pk = ? ORDER BY position")
    .all(pk) as unknown as MemberRow[];
}

/** The workflow a job is a member of, or undefined. */
export function workflowOfJob(db: Database, jobPk: number): number | undefined {
  const row = db.prepare("SELECT workflow_pk FROM workflow_members WHERE job_pk = ?").get(jobPk) as
    | { workflow_pk: number }
    | undefined;
  return row?.workflow_pk;
}

/** Records a workflow and its planned members; returns its row. */
export function insertWorkflow(
  c: Database,
  workflow: { type: string; name: string; params: unknown; members: readonly MemberPlan[] },
  at: string,
): WorkflowRow {
  const row = c.prepare(
    `INSERT INTO workflows (type, name, state, params_json, created_at, updated_at)
     VALUES (?, ?, 'created', ?, ?, ?) RETURNING *`,
  ).get(
    workflow.type,
    workflow.name,
    JSON.stringify(workflow.params),
    at,
    at,
  ) as unknown as WorkflowRow;
  addMembers(c, row.pk, workflow.members);
  return row;
}

/**
 * Records planned members after those the workflow has, in order; a key it has already is left
 * as it is, so planning the same members again adds nothing.
 */
function addMembers(c: Database, pk: number, members: readonly MemberPlan[]): void {
  const { n } = c.prepare("SELECT COUNT(*) AS n FROM workflow_members WHERE workflow_pk = ?")
    .get(pk) as { n: number };
  const insert = c.prepare(
    `INSERT OR IGNORE INTO workflow_members (workflow_pk, member_key, position, name, input,
       depends_on_json, meta_json, properties_input, restart_from, properties_only, job_pk)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  members.forEach((m, i) =>
    insert.run(
      pk,
      m.key,
      n + i,
      m.name,
      m.input,
      JSON.stringify(m.depends_on),
      JSON.stringify(m.meta),
      m.properties_input ?? null,
      m.restart_from ?? null,
      m.properties_only ? 1 : 0,
      m.job_pk ?? null,
    )
  );
}

/** Records the job made for a member. */
export function setMemberJob(c: Database, pk: number, key: string, jobPk: number): void {
  c.prepare("UPDATE workflow_members SET job_pk = ? WHERE workflow_pk = ? AND member_key = ?")
    .run(jobPk, pk, key);
}

/** What a workflow's change writes. */
export interface WorkflowUpdate {
  state: WorkflowState;
  result_json?: string | null;
  warnings_json?: string;
  error?: string | null;
  finished_at?: string | null;
}

/** Changes a workflow; returns its row after. */
export function updateWorkflow(
  c: Database,
  pk: number,
  update: WorkflowUpdate,
  at: string,
): WorkflowRow {
  const sets = ["updated_at = ?"];
  const args: SQLInputValue[] = [at];
  for (const [column, value] of Object.entries(update)) {
    sets.push(`${column} = ?`), args.push(value as SQLInputValue);
  }
  return c.prepare(`UPDATE workflows SET ${sets.join(", ")} WHERE pk = ? RETURNING *`)
    .get(...args, pk) as unknown as WorkflowRow;
}
