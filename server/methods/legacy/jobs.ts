/**
 * The UI's job methods (tui-contract §6.1, §7 `jobs.status`), each on the dotted jobs.* methods.
 *
 * @module
 */
import { z } from "zod";
import { getJob } from "../../db/jobs.ts";
import { AppError } from "../../errors.ts";
import type { MethodContext } from "../context.ts";
import { cancel } from "../jobs/cancel.ts";
import { get } from "../jobs/get.ts";
import { list } from "../jobs/list.ts";
import { log } from "../jobs/log.ts";
import { sync } from "../slurm/sync.ts";
import { defineLegacy, type LegacyCall } from "./define_legacy.ts";
import { LEGACY_JOB_DETAILS, LEGACY_JOB_STATUS, legacyJobStatus, legacyState } from "./shapes.ts";
import { submitJob } from "./submission.ts";

/** What the UI's list shows: newest first, at most 100, as upstream sent it. */
const LIST_LIMIT = 100;
/** The lines of output a job's details carry for the Log tab. */
const TAIL_LINES = 100;

const PK = z.number().int().describe("Job id (pk)");

const EXAMPLE_STATUS = {
  pk: 12,
  uuid: "6f1c3f0e-8a4b-4f2e-9a51-2d1f0c7b5e11",
  name: "mgo-opt",
  state: "RUNNING",
  dft_code: "crystal",
  runner_type: "slurm",
  workflow_id: null,
  progress_percent: 42,
  wall_time_seconds: 812.5,
  created_at: "2026-06-01T10:00:00.000Z",
  error_snippet: null,
} as const;

async function jobList(call: LegacyCall) {
  const { jobs } = await call(list, { limit: LIST_LIMIT });
  return jobs.map(legacyJobStatus);
}

/**
 * The UI shows no stderr and never calls system.status: a file at CRYSTAL_TUI_DB that was left
 * alone and not imported (or changed since it was) is said once per connection, as the error of
 * its first fetch_jobs (the next one lists).
 */
function sayTuiDbOnce(ctx: MethodContext): void {
  const found = ctx.daemon.status().tui_db;
  if (found === null || found.kind === "own" || found.kind === "absent") return;
  const done = found.import?.status;
  if (done === "imported" || done === "already_imported") return;
  if (ctx.session.notices.has("tui_db")) return;
  ctx.session.notices.add("tui_db");
  throw new AppError(
    "server_error",
    `The database at "${found.path}" is ${found.detail}: ${found.action}. Press Ctrl+R to list ` +
      "the daemon's jobs",
  );
}

/** `fetch_jobs`: the jobs list. */
export const fetchJobs = defineLegacy({
  name: "fetch_jobs",
  summary: "The UI's jobs list: JobStatus rows, newest first",
  description: "jobs.list with limit 100, as a bare array; states upper case. When the file at " +
    "CRYSTAL_TUI_DB was left alone and its jobs not imported, or it changed since they were " +
    "(system.status tui_db), the first call on a connection is a -32000 error that says so.",
  backing: ["jobs.list"],
  envelope: "bare",
  params: z.strictObject({}),
  value: z.array(LEGACY_JOB_STATUS),
  errors: ["server_error"],
  examples: [{ name: "one running job", params: {}, value: [EXAMPLE_STATUS] }],
  run(_params, call, ctx) {
    sayTuiDbOnce(ctx);
    return jobList(call);
  },
});

/** `sync_remote_jobs`: poll the clusters now, then the jobs list. */
export const syncRemoteJobs = defineLegacy({
  name: "sync_remote_jobs",
  summary: "Check remote jobs now, then the UI's jobs list",
  description: "slurm.sync over every cluster (unreachable ones keep their jobs' states), then " +
    "fetch_jobs.",
  backing: ["slurm.sync", "jobs.list"],
  envelope: "bare",
  params: z.strictObject({}),
  value: z.array(LEGACY_JOB_STATUS),
  errors: [],
  examples: [{ name: "after a sync", params: {}, value: [EXAMPLE_STATUS] }],
  async run(_params, call) {
    await call(sync, {});
    return await jobList(call);
  },
});

/** The end of a job's output, or nothing when there is none yet. */
async function tail(
  call: LegacyCall,
  params: { pk: number; stream: "out" | "err"; lines: number },
): Promise<string[]> {
  try {
    return (await call(log, { pk: params.pk, stream: params.stream, tail_lines: params.lines }))
      .lines;
  } catch (error) {
    // No output yet (or none fetched back): the UI polls every 2 s and must not see an error.
    if (error instanceof AppError && error.kind === "not_found") return [];
    throw error;
  }
}

/**
 * The Results tab's errors: CRYSTAL's own error lines, or, for a failed job that printed none
 * (an SCF that ran out of cycles, a run that was killed), why it failed: the tab shows nothing else.
 */
function detailErrors(
  job: {
    state: string;
    state_reason: string | null;
    errors: { routine: string; message: string }[];
  },
): string[] {
  const printed = job.errors.map((e) => `${e.routine}: ${e.message}`);
  if (printed.length > 0 || job.state !== "failed" || job.state_reason === null) return printed;
  return [job.state_reason];
}

/** `fetch_job_details`: the Results tab. */
export const fetchJobDetails = defineLegacy({
  name: "fetch_job_details",
  summary: "The UI's Results tab: JobDetails of one job",
  description: "jobs.get, with band_gap_ev as bandgap_ev, the deck as input_file, errors as " +
    'text ("INPUT: UNKNOWN KEYWORD"; for a failed job that printed none, its state_reason), convergence_met false when unknown, the last 100 lines of ' +
    "jobs.log as stdout_tail and the other parsed results in key_results. A missing pk is " +
    "ok:false with code NOT_FOUND.",
  backing: ["jobs.get", "jobs.log"],
  envelope: "api",
  params: z.strictObject({ pk: PK }),
  value: LEGACY_JOB_DETAILS,
  errors: ["not_found"],
  examples: [{
    name: "a completed job",
    params: { pk: 12 },
    value: {
      pk: 12,
      uuid: "6f1c3f0e-8a4b-4f2e-9a51-2d1f0c7b5e11",
      name: "mgo-opt",
      state: "COMPLETED",
      dft_code: "crystal",
      final_energy: -275.44859113743,
      bandgap_ev: 7.12,
      convergence_met: true,
      scf_cycles: 14,
      cpu_time_seconds: 10.8,
      wall_time_seconds: 12.5,
      warnings: [],
      errors: [],
      stdout_tail: [" EEEEEEEEEE TERMINATION  DATE 01 01 2026 TIME 12:00:13.0"],
      key_results: { final_energy_ev: -7494.95, termination: "normal" },
      work_dir: "/home/user/.local/share/crystalmath/jobs/12-mgo-opt",
      input_file: "MgO\nCRYSTAL\n...",
    },
  }],
  async run(params, call) {
    const job = await call(get, { pk: params.pk });
    const stdout = await tail(call, { pk: job.pk, stream: "out", lines: TAIL_LINES });
    return {
      pk: job.pk,
      uuid: job.uuid,
      name: job.name,
      state: legacyState(job.state),
      dft_code: job.dft_code === "crystal" ? "crystal" as const : null,
      final_energy: job.final_energy,
      bandgap_ev: job.band_gap_ev,
      convergence_met: job.convergence_met ?? false,
      scf_cycles: job.scf_cycles,
      cpu_time_seconds: job.cpu_time_seconds,
      wall_time_seconds: job.wall_time_seconds,
      warnings: job.warnings,
      errors: detailErrors(job),
      stdout_tail: stdout,
      key_results: {
        final_energy_ev: job.final_energy_ev,
        optimization: job.optimization,
        frequencies: job.frequencies,
        properties: job.properties,
        crystal_version: job.crystal_version,
        termination: job.termination,
        status_reason: job.status_reason,
        state_reason: job.state_reason,
        slurm_job_id: job.slurm_job_id,
      },
      work_dir: job.work_dir,
      input_file: job.input,
    };
  },
});

/** `submit_job`: the JobSubmission in `json_payload`, submitted. */
export const submitLegacyJob = defineLegacy({
  name: "submit_job",
  summary: "Submit the UI's JobSubmission (a JSON string); answers the new pk",
  description: "Parses json_payload as the UI's JobSubmission and calls jobs.submit: " +
    "input_content is the deck, runner_type local/slurm/ssh (absent: local), cluster_id (when " +
    "absent for slurm or ssh, the one cluster of that type, if there is exactly one), " +
    "scheduler_options as resources, mpi_ranks in parallel mode, workflow_id kept, " +
    "auxiliary_files.gui (a path) read as the fort34 of an EXTERNAL deck. VASP, Quantum " +
    "ESPRESSO and the other auxiliary files (f9, hessopt) are refused naming why.",
  backing: ["jobs.submit"],
  envelope: "bare",
  params: z.strictObject({
    json_payload: z.string().describe("The JobSubmission, as a JSON string"),
  }),
  value: z.number().int(),
  errors: ["invalid_input_file", "not_found", "invalid_state", "ssh_failed", "slurm_rejected"],
  examples: [{
    name: "the New Job form, local",
    params: {
      json_payload: JSON.stringify({
        name: "mgo_scf",
        dft_code: "crystal",
        parameters: {},
        input_content: "MgO\nCRYSTAL\n...",
        runner_type: "local",
      }),
    },
    value: 13,
  }],
  run: (params, call) => submitJob(params.json_payload, call),
});

/** `cancel_job`: true once cancelled. */
export const cancelLegacyJob = defineLegacy({
  name: "cancel_job",
  summary: "Cancel a job; answers true once cancelled",
  description: "jobs.cancel. A job that has already ended is an invalid_state error, whose " +
    "message the UI shows.",
  backing: ["jobs.cancel"],
  envelope: "bare",
  params: z.strictObject({ pk: PK }),
  value: z.boolean(),
  errors: ["not_found", "invalid_state", "ssh_failed", "slurm_rejected"],
  examples: [{ name: "cancel", params: { pk: 12 }, value: true }],
  async run(params, call) {
    return (await call(cancel, { pk: params.pk })).cancelled;
  },
});

/** `fetch_job_log`: the Log tab. */
export const fetchJobLog = defineLegacy({
  name: "fetch_job_log",
  summary: "The UI's Log tab: the last lines of a job's output and error streams",
  description: "jobs.log of out and err; a stream with nothing yet is an empty list, never an " +
    "error (the UI polls it every 2 s). An unknown pk is not_found.",
  backing: ["jobs.log"],
  envelope: "bare",
  params: z.strictObject({
    pk: PK,
    tail_lines: z.number().int().min(1).max(100_000).default(100).describe("Lines from the end"),
  }),
  value: z.strictObject({ stdout: z.array(z.string()), stderr: z.array(z.string()) }),
  errors: ["not_found", "ssh_failed"],
  examples: [{
    name: "a running job",
    params: { pk: 12, tail_lines: 100 },
    value: { stdout: [" CYC   3 ETOT(AU) -2.754485909445E+02"], stderr: [] },
  }],
  async run(params, call, ctx) {
    getJob(ctx.db, params.pk);
    const lines = params.tail_lines;
    return {
      stdout: await tail(call, { pk: params.pk, stream: "out", lines }),
      stderr: await tail(call, { pk: params.pk, stream: "err", lines }),
    };
  },
});

/** `jobs.status`: the UI's 30 s poll of one active job. */
export const jobStatus = defineLegacy({
  name: "jobs.status",
  summary: "The UI's job poll: one job's state, lower case",
  description: "A database read of one job: its pk (as the string the UI sent) and state.",
  backing: [],
  envelope: "bare",
  params: z.strictObject({
    job_id: z.string().regex(/^\d+$/, 'expected a job pk such as "12"').describe(
      "Job pk, as a string",
    ),
  }),
  value: z.strictObject({ job_id: z.string(), status: z.string() }),
  errors: ["not_found"],
  examples: [{
    name: "poll",
    params: { job_id: "12" },
    value: { job_id: "12", status: "running" },
  }],
  run(params, _call, ctx) {
    const row = getJob(ctx.db, Number(params.job_id));
    return Promise.resolve({ job_id: params.job_id, status: row.state });
  },
});
