/**
 * What workflows.* methods share: the common params of every create_* method, the workflow id
 * param, and the shape a workflow is returned in.
 *
 * @module
 */
import { z } from "zod";
import { findJob } from "../../db/jobs.ts";
import { membersOf } from "../../db/workflows.ts";
import type { Database } from "../../db/open.ts";
import { InvalidParamsError, NotFoundError } from "../../errors.ts";
import { JOB_STATES } from "../../model/job_state.ts";
import {
  WORKFLOW_STATES,
  workflowIdOf,
  workflowPkOf,
  type WorkflowRow,
} from "../../model/workflow.ts";
import { submit } from "../jobs/submit.ts";
import { AIIDA_VIEW, aiidaViewOf } from "./_aiida.ts";

const SUBMIT = submit.params.shape;

/** The params every `workflows.create_*` method takes before its type's own. */
export const COMMON_PARAMS = z.strictObject({
  name: SUBMIT.name.describe("The study's name; its members' names and titles start with it"),
  base_input: z.string().min(1).optional().describe(
    "The .d12 deck the members are made from (give this or source_job_pk)",
  ),
  source_job_pk: z.number().int().positive().optional().describe(
    "A job whose deck the members are made from, at its optimised geometry when it is an " +
      "optimisation (give this or base_input)",
  ),
  runner: SUBMIT.runner,
  cluster_id: SUBMIT.cluster_id,
  resources: SUBMIT.resources.describe("Resources for every member job"),
});

/** A workflow's public id, "wf-<n>". */
export const WORKFLOW_ID_PARAM = z.string().regex(/^wf-[1-9][0-9]*$/, 'must be "wf-<n>"')
  .describe('The workflow\'s id, "wf-<n>"');

/** The pk of a workflow id. @throws {NotFoundError} when it is not one */
export function pkOfId(id: string): number {
  const pk = workflowPkOf(id);
  if (pk === undefined) {
    throw new NotFoundError(`Workflow "${id}" does not exist`, { data: { id } });
  }
  return pk;
}

/** What create_* returns. */
export const CREATED = z.strictObject({
  workflow_id: z.string().describe('Its id, "wf-<n>"; its jobs carry it as workflow_id'),
  jobs: z.array(z.number().int()).describe("The pks of its member jobs, in plan order"),
});

/** A workflow as list and get return it. */
export const WORKFLOW_VIEW = z.strictObject({
  id: z.string().describe('"wf-<n>"'),
  type: z.string().describe("Its type (workflows.available)"),
  name: z.string().describe("Its name"),
  state: z.enum(WORKFLOW_STATES).describe("created, running, completed, failed or cancelled"),
  jobs: z.array(z.strictObject({
    pk: z.number().int().nullable().describe("The member's job, null until it is made"),
    key: z.string().describe("The member's key within the study"),
    name: z.string().describe("The member's name"),
    state: z.enum(JOB_STATES).nullable().describe("Its job's state (null: not made or deleted)"),
    final_energy: z.number().nullable().describe("Its job's final energy, Ha"),
  })).describe("The members, in plan order"),
  result: z.record(z.string(), z.unknown()).nullable().describe(
    "The analysed result once completed (see workflows.available for each type's shape)",
  ),
  warnings: z.array(z.string()).describe("What the analysis warns about"),
  error: z.string().nullable().describe("Why it failed"),
  params: z.record(z.string(), z.unknown()).describe("Where it runs and its type's params"),
  created_at: z.string().describe("ISO 8601"),
  updated_at: z.string().describe("ISO 8601"),
  finished_at: z.string().nullable().describe("ISO 8601, once ended"),
  aiida: AIIDA_VIEW.optional().describe(
    "Only for a workflow run in AiiDA (type aiida, workflows.launch_aiida): its process",
  ),
});

/** The view of a stored workflow. */
export function workflowViewOf(db: Database, row: WorkflowRow): z.output<typeof WORKFLOW_VIEW> {
  const jobs = membersOf(db, row.pk).map((m) => {
    const job = m.job_pk === null ? undefined : findJob(db, m.job_pk);
    return {
      pk: m.job_pk,
      key: m.member_key,
      name: m.name,
      state: job?.state ?? null,
      final_energy: job?.final_energy ?? null,
    };
  });
  return {
    id: workflowIdOf(row.pk),
    type: row.type,
    name: row.name,
    state: row.state,
    jobs,
    result: row.result_json === null ? null : JSON.parse(row.result_json),
    warnings: JSON.parse(row.warnings_json),
    error: row.error,
    params: JSON.parse(row.params_json),
    created_at: row.created_at,
    updated_at: row.updated_at,
    finished_at: row.finished_at,
    ...aiidaViewOf(db, row.pk),
  };
}

/** Refuses both or neither of base_input and source_job_pk. */
export function checkOneBase(
  params: { base_input?: string | undefined; source_job_pk?: number | undefined },
): void {
  if ((params.base_input === undefined) === (params.source_job_pk === undefined)) {
    throw new InvalidParamsError("Give exactly one of base_input and source_job_pk");
  }
}
