import { z } from "zod";
import { listJobs } from "../../db/jobs.ts";
import { RUNNER_TYPES } from "../../model/job.ts";
import { JOB_STATES } from "../../model/job_state.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import { JOB_STATUS, jobStatusOf, WORKFLOW_ID } from "./_shapes.ts";

/** `jobs.list`: a page of jobs, newest first. */
export const list = defineMethod({
  name: "jobs.list",
  summary: "List jobs, newest first, with filters and paging",
  description: "Returns one page of jobs (newest first) and the total that match. Filters combine.",
  params: z.strictObject({
    state: z.enum(JOB_STATES).optional().describe("Only jobs in this state"),
    runner: z.enum(RUNNER_TYPES).optional().describe("Only jobs of this runner"),
    cluster_id: z.number().int().positive().optional().describe("Only jobs on this cluster"),
    workflow_id: WORKFLOW_ID.optional().describe("Only the jobs of this workflow"),
    limit: z.number().int().min(1).max(1000).default(100).describe("Page size, 1 to 1000"),
    offset: z.number().int().min(0).default(0).describe("Jobs to skip"),
    search: z.string().min(1).max(200).optional().describe("Substring of the job name"),
  }),
  result: z.strictObject({
    jobs: z.array(JOB_STATUS).describe("The page"),
    total: z.number().int().describe("Jobs that match the filters"),
  }),
  errors: [],
  examples: [{
    name: "the newest two",
    params: { limit: 2 },
    result: {
      jobs: [{
        pk: 2,
        uuid: "0b9d1f5e-3c2a-4d7e-8f60-1a2b3c4d5e6f",
        name: "mgo-scf",
        state: "completed",
        dft_code: "crystal",
        runner_type: "local",
        cluster_id: null,
        progress_percent: 100,
        wall_time_seconds: 12.5,
        created_at: "2026-01-01T12:00:00.000Z",
        started_at: "2026-01-01T12:00:01.000Z",
        finished_at: "2026-01-01T12:00:13.500Z",
        final_energy: -275.44859113743,
        error_snippet: null,
        workflow_id: null,
      }],
      total: 1,
    },
  }],
  handler(params, ctx: MethodContext) {
    const { rows, total } = listJobs(ctx.db, params);
    const now = ctx.clock.now();
    return Promise.resolve({ jobs: rows.map((row) => jobStatusOf(row, now)), total });
  },
});
