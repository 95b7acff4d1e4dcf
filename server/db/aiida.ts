/**
 * All SQL for the AiiDA processes that workflows.launch_aiida started (migration 10): one row per
 * workflow of type "aiida", with what AiiDA last said of its process.
 *
 * @module
 */
import type { SQLInputValue } from "node:sqlite";
import type { Database } from "./open.ts";

/** An aiida_processes row. */
export interface AiidaProcessRow {
  workflow_pk: number;
  cluster_id: number;
  profile: string;
  remote_dir: string;
  process_pk: number | null;
  process_uuid: string | null;
  process_label: string | null;
  process_state: string | null;
  exit_status: number | null;
  exit_message: string | null;
  outputs_json: string;
  checked_at: string | null;
  check_error: string | null;
}

/** The columns a check may change. */
export type AiidaProcessUpdate = Partial<
  Omit<AiidaProcessRow, "workflow_pk" | "cluster_id" | "profile" | "remote_dir">
>;

/** Records the process of a new AiiDA workflow, before anything runs on the cluster. */
export function insertAiidaProcess(
  c: Database,
  row: { workflow_pk: number; cluster_id: number; profile: string; remote_dir: string },
): void {
  c.prepare(
    "INSERT INTO aiida_processes (workflow_pk, cluster_id, profile, remote_dir) VALUES (?, ?, ?, ?)",
  ).run(row.workflow_pk, row.cluster_id, row.profile, row.remote_dir);
}

/** The process of workflow `pk`, or undefined when it is not an AiiDA workflow. */
export function findAiidaProcess(db: Database, pk: number): AiidaProcessRow | undefined {
  return db.prepare("SELECT * FROM aiida_processes WHERE workflow_pk = ?").get(pk) as
    | AiidaProcessRow
    | undefined;
}

/** The processes of AiiDA workflows that have not ended, oldest first. */
export function unfinishedAiidaProcesses(db: Database): AiidaProcessRow[] {
  return db.prepare(
    `SELECT a.* FROM aiida_processes a JOIN workflows w ON w.pk = a.workflow_pk
     WHERE w.state IN ('created', 'running') ORDER BY a.workflow_pk`,
  ).all() as unknown as AiidaProcessRow[];
}

/** Changes what is known of a process. */
export function updateAiidaProcess(c: Database, pk: number, update: AiidaProcessUpdate): void {
  const entries = Object.entries(update);
  if (entries.length === 0) return;
  const sets = entries.map(([column]) => `${column} = ?`).join(", ");
  c.prepare(`UPDATE aiida_processes SET ${sets} WHERE workflow_pk = ?`)
    .run(...entries.map(([, value]) => value as SQLInputValue), pk);
}
