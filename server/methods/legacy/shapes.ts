/**
 * The terminal UI's structs (tui-contract §5-6) as zod schemas, and the mappings from the dotted
 * methods' answers onto them: upper-case states, renamed fields, no null where the UI's field is
 * not optional, and ASCII where the UI cuts strings by bytes.
 *
 * @module
 */
import { z } from "zod";
import { InvalidParamsError } from "../../errors.ts";
import { JOB_STATES } from "../../model/job_state.ts";
import type { Cluster } from "../../clusters/cluster.ts";
import type { JobStatus } from "../jobs/_shapes.ts";

/** JobState as the UI spells it: our states in upper case (UNKNOWN falls to the UI's Unknown). */
export const LEGACY_STATE = z.enum(
  JOB_STATES.map((state) => state.toUpperCase()) as [Uppercase<typeof JOB_STATES[number]>],
);

/** The UI's DftCode. */
const DFT_CODE = z.enum(["crystal", "vasp", "quantum_espresso"]);
/** The UI's RunnerType. */
const RUNNER_TYPE = z.enum(["local", "ssh", "slurm", "aiida"]);

/**
 * Keeps `text` ASCII: accents are dropped (é → e) and anything else becomes "?". The UI cuts
 * some strings at a byte index and panics when that falls inside a multi-byte character.
 */
export function asciiOnly(text: string): string {
  return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").replace(/[^\p{ASCII}]/gu, "?");
}

/** Our state in the UI's spelling. */
export function legacyState(state: typeof JOB_STATES[number]): z.infer<typeof LEGACY_STATE> {
  return state.toUpperCase() as z.infer<typeof LEGACY_STATE>;
}

/** JobStatus (`models.rs:338-361`): one row of the jobs list. */
export const LEGACY_JOB_STATUS = z.strictObject({
  pk: z.number().int(),
  uuid: z.string(),
  name: z.string(),
  state: LEGACY_STATE,
  dft_code: DFT_CODE.nullable(),
  runner_type: RUNNER_TYPE.nullable(),
  workflow_id: z.string().nullable(),
  progress_percent: z.number(),
  wall_time_seconds: z.number().nullable(),
  created_at: z.string().nullable(),
  error_snippet: z.string().nullable(),
});

/** A jobs.list row in the UI's JobStatus shape. */
export function legacyJobStatus(job: JobStatus): z.infer<typeof LEGACY_JOB_STATUS> {
  const dft = DFT_CODE.safeParse(job.dft_code);
  return {
    pk: job.pk,
    uuid: job.uuid,
    name: job.name,
    state: legacyState(job.state),
    dft_code: dft.success ? dft.data : null,
    runner_type: job.runner_type,
    workflow_id: job.workflow_id,
    progress_percent: job.progress_percent,
    wall_time_seconds: job.wall_time_seconds,
    created_at: job.created_at,
    error_snippet: job.error_snippet === null ? null : asciiOnly(job.error_snippet),
  };
}

/** JobDetails (`models.rs:394-454`): the Results tab. */
export const LEGACY_JOB_DETAILS = z.strictObject({
  pk: z.number().int(),
  uuid: z.string().nullable(),
  name: z.string(),
  state: LEGACY_STATE,
  dft_code: DFT_CODE.nullable(),
  final_energy: z.number().nullable().describe("Hartree"),
  bandgap_ev: z.number().nullable(),
  convergence_met: z.boolean(),
  scf_cycles: z.number().int().nullable(),
  cpu_time_seconds: z.number().nullable(),
  wall_time_seconds: z.number().nullable(),
  warnings: z.array(z.string()),
  errors: z.array(z.string()),
  stdout_tail: z.array(z.string()),
  key_results: z.record(z.string(), z.unknown()).nullable(),
  work_dir: z.string().nullable(),
  input_file: z.string().nullable().describe("The deck text, not a path"),
});

/** ClusterStatus: the daemon keeps no such state, so every cluster is active. */
const CLUSTER_STATUS = z.enum(["active", "inactive", "error", "testing"]);

/** ClusterConfig (`models.rs:658-684`), as the UI reads it. */
export const LEGACY_CLUSTER = z.strictObject({
  id: z.number().int(),
  name: z.string(),
  cluster_type: z.enum(["ssh", "slurm"]),
  hostname: z.string(),
  port: z.number().int(),
  username: z.string(),
  key_file: z.string().nullable(),
  remote_workdir: z.string().nullable(),
  queue_name: z.string().nullable(),
  max_concurrent: z.number().int(),
  cry23_root: z.string().nullable(),
  vasp_root: z.string().nullable(),
  setup_commands: z.array(z.string()),
  status: CLUSTER_STATUS,
});

/** A cluster in the UI's ClusterConfig shape: partition is its queue_name. */
export function legacyCluster(cluster: Cluster): z.infer<typeof LEGACY_CLUSTER> {
  return {
    id: cluster.id,
    name: cluster.name,
    cluster_type: cluster.cluster_type,
    hostname: cluster.hostname,
    port: cluster.port,
    username: cluster.username,
    key_file: cluster.key_file,
    remote_workdir: cluster.remote_workdir,
    queue_name: cluster.partition,
    max_concurrent: cluster.max_concurrent,
    cry23_root: cluster.cry23_root,
    vasp_root: cluster.vasp_root,
    setup_commands: cluster.setup_commands,
    status: "active",
  };
}

/**
 * ClusterConfig as the UI sends it inside `json_payload`: every field, `id` null on create,
 * empty form fields as null.
 */
export const CLUSTER_PAYLOAD = z.looseObject({
  id: z.number().int().nullable().optional(),
  name: z.string(),
  cluster_type: z.enum(["ssh", "slurm"]),
  hostname: z.string(),
  port: z.number().int().nullable().optional(),
  username: z.string(),
  key_file: z.string().nullable().optional(),
  remote_workdir: z.string().nullable().optional(),
  queue_name: z.string().nullable().optional(),
  max_concurrent: z.number().int().nullable().optional(),
  cry23_root: z.string().nullable().optional(),
  vasp_root: z.string().nullable().optional(),
  setup_commands: z.array(z.string()).nullable().optional(),
  status: CLUSTER_STATUS.nullable().optional(),
});

/** A payload the UI sends as a JSON string, parsed; errors name the param and the field. */
export function parsePayload<S extends z.ZodType>(
  schema: S,
  param: string,
  text: string,
): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new InvalidParamsError(`Invalid ${param}: not JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.map(String).join(".") || "value";
    throw new InvalidParamsError(`Invalid ${param}: ${where}: ${issue?.message}`);
  }
  return parsed.data;
}
