/**
 * A workflow as stored, its states and its public id. Pure: no SQL, no I/O.
 *
 * @module
 */

/** A workflow's lifecycle: created (members being made), running, then one of the three ends. */
export const WORKFLOW_STATES = ["created", "running", "completed", "failed", "cancelled"] as const;
/** A workflow's state. */
export type WorkflowState = typeof WORKFLOW_STATES[number];

/** The states a workflow never leaves. */
export const ENDED_WORKFLOW_STATES: readonly WorkflowState[] = ["completed", "failed", "cancelled"];

/** Whether a workflow in `state` has ended. */
export function isWorkflowEnded(state: WorkflowState): boolean {
  return ENDED_WORKFLOW_STATES.includes(state);
}

/** A workflows row. */
export interface WorkflowRow {
  pk: number;
  type: string;
  name: string;
  state: WorkflowState;
  params_json: string;
  result_json: string | null;
  warnings_json: string;
  error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** A workflow_members row: a planned member and, once made, its job. */
export interface MemberRow {
  workflow_pk: number;
  member_key: string;
  position: number;
  name: string;
  input: string;
  depends_on_json: string;
  meta_json: string;
  job_pk: number | null;
  restart_from: string | null;
  properties_input: string | null;
  properties_only: number;
}

/** A member as a workflow type plans it. */
export interface MemberPlan {
  /** Unique within the workflow, stable: "shrink-8", "v-0.98". */
  key: string;
  name: string;
  input: string;
  /** Keys of members that must complete first. */
  depends_on: string[];
  /**
   * The key of an earlier member whose restart files (fort.9, fort.20, fort.34) this one's job
   * copies once that member has run (jobs.submit restart_from): an OPT's geometry for a deck that
   * reads it with EXTERNAL, an SCF's fort.9 for a properties run.
   */
  restart_from?: string;
  /** What the analysis needs to know of the member: its scanned value, its volume scale. */
  meta: Record<string, unknown>;
  /** A .d3 deck: properties runs after the SCF (or alone, with properties_only). */
  properties_input?: string;
  /** Run properties alone on restart_from's fort.9. */
  properties_only?: boolean;
  /** An existing job that is this member (a completed SCF to build on): no job is made. */
  job_pk?: number;
}

/** The public id of workflow `pk`: "wf-<pk>", as its members carry it in workflow_id. */
export function workflowIdOf(pk: number): string {
  return `wf-${pk}`;
}

/** The pk of a public workflow id, or undefined when it is not one of ours ("wf_3" is not). */
export function workflowPkOf(id: string): number | undefined {
  const match = /^wf-([1-9][0-9]{0,15})$/.exec(id);
  return match ? Number(match[1]) : undefined;
}

/** The idempotency key of a member's job. */
export function memberTokenOf(workflowPk: number, key: string): string {
  return `${workflowIdOf(workflowPk)}/${key}`;
}
