import { z } from "zod";
import { getJob, jobHistory } from "../../db/jobs.ts";
import { listJobFiles } from "../../jobs/job_dir.ts";
import { JOB_RESULTS, parseStoredResults } from "../../jobs/outcome.ts";
import { JOB_STATES } from "../../model/job_state.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import { JOB_STATUS, jobStatusOf, PK } from "./_shapes.ts";

/** `jobs.get`: everything known about one job. */
export const get = defineMethod({
  name: "jobs.get",
  summary: "Show one job: state, results, files and history",
  description: "Returns the listing fields plus the parsed results (energies, convergence, " +
    "optimisation, frequencies, band gap, timings, version, warnings and errors), the input, the " +
    "files in the job directory and the state transitions with their times.",
  params: z.strictObject({ pk: PK }),
  result: JOB_STATUS.extend(JOB_RESULTS.shape).extend({
    work_dir: z.string().nullable().describe("The job directory"),
    input: z.string().describe("The .d12 deck"),
    properties_input: z.string().nullable().describe("The .d3 deck, if any"),
    fort34: z.string().nullable().describe("The fort.34 given for an EXTERNAL geometry, if any"),
    properties_only: z.boolean().describe("It runs properties alone on restart_from's fort.9"),
    restart_from: z.number().int().nullable().describe("The job whose restart files it took"),
    tags: z.array(z.string()).describe("Labels"),
    resources: z.record(z.string(), z.unknown()).describe("Requested resources"),
    state_reason: z.string().nullable().describe("Why the job is in its state"),
    exit_code: z.number().int().nullable().describe("Exit code of the last program run"),
    pid: z.number().int().nullable().describe("Process group of the (last) run on this machine"),
    slurm_job_id: z.string().nullable().describe("SLURM job id of a remote job"),
    remote_dir: z.string().nullable().describe("The job's directory on its cluster"),
    remote_state: z.string().nullable().describe("SLURM's own state word, as last seen"),
    remote_pid: z.number().int().nullable().describe(
      "Process group of the run on a plain SSH host",
    ),
    depends_on: z.array(z.number().int()).describe("Jobs this one waits for"),
    files: z.array(z.strictObject({
      name: z.string(),
      size: z.number().int(),
      mtime: z.string().nullable(),
    })).describe("Files in the job directory"),
    history: z.array(z.strictObject({
      from_state: z.enum(JOB_STATES).nullable(),
      to_state: z.enum(JOB_STATES),
      at: z.string(),
      reason: z.string().nullable(),
    })).describe("State transitions, oldest first"),
  }),
  errors: ["not_found"],
  examples: [{
    name: "a queued job",
    params: { pk: 3 },
    result: {
      pk: 3,
      uuid: "0b9d1f5e-3c2a-4d7e-8f60-1a2b3c4d5e6f",
      name: "mgo-scf",
      state: "queued",
      dft_code: "crystal",
      runner_type: "local",
      cluster_id: null,
      progress_percent: 0,
      wall_time_seconds: null,
      created_at: "2026-01-01T12:00:00.000Z",
      started_at: null,
      finished_at: null,
      final_energy: null,
      error_snippet: null,
      workflow_id: null,
      final_energy_ev: null,
      convergence_met: null,
      scf_cycles: null,
      optimization: null,
      frequencies: null,
      band_gap_ev: null,
      primitive_volume_a3: 18.747822,
      atoms_in_cell: 2,
      cpu_time_seconds: null,
      crystal_version: null,
      termination: null,
      status_reason: null,
      warnings: [],
      errors: [],
      properties: null,
      work_dir: "/home/user/.local/share/crystalmath/jobs/3-mgo-scf",
      input: "MgO\nCRYSTAL\n...",
      properties_input: null,
      fort34: null,
      properties_only: false,
      restart_from: null,
      tags: [],
      resources: {},
      state_reason: "waiting for a slot",
      exit_code: null,
      pid: null,
      slurm_job_id: null,
      remote_dir: null,
      remote_state: null,
      remote_pid: null,
      depends_on: [],
      files: [{ name: "INPUT", size: 120, mtime: "2026-01-01T12:00:00.000Z" }],
      history: [
        {
          from_state: null,
          to_state: "created",
          at: "2026-01-01T12:00:00.000Z",
          reason: "submitted",
        },
        {
          from_state: "created",
          to_state: "queued",
          at: "2026-01-01T12:00:00.000Z",
          reason: "waiting for a slot",
        },
      ],
    },
  }],
  async handler(params, ctx: MethodContext) {
    const row = getJob(ctx.db, params.pk);
    const status = jobStatusOf(row, ctx.clock.now());
    const results = parseStoredResults(row.results_json);
    return {
      ...status,
      ...results,
      // The measured wall time of the run wins over the one printed in the output, when both exist.
      wall_time_seconds: status.wall_time_seconds ?? results.wall_time_seconds,
      work_dir: row.work_dir,
      input: row.input,
      properties_input: row.properties_input,
      fort34: row.fort34,
      properties_only: row.properties_only === 1,
      restart_from: row.restart_from,
      tags: JSON.parse(row.tags_json) as string[],
      resources: JSON.parse(row.resources_json) as Record<string, unknown>,
      state_reason: row.state_reason,
      exit_code: row.exit_code,
      pid: row.pid,
      slurm_job_id: row.slurm_job_id,
      remote_dir: row.remote_dir,
      remote_state: row.remote_state,
      remote_pid: row.remote_pid,
      depends_on: JSON.parse(row.depends_on_json) as number[],
      files: row.work_dir ? await listJobFiles(row.work_dir) : [],
      history: jobHistory(ctx.db, row.pk),
    };
  },
});
