/**
 * The UI's JobSubmission (`models.rs:533-568`, tui-contract §6.4) onto jobs.submit's params.
 *
 * @module
 */
import { z } from "zod";
import { InvalidParamsError } from "../../errors.ts";
import { list as listClusters } from "../clusters/list.ts";
import { readInputFile, submit } from "../jobs/submit.ts";
import type { LegacyCall } from "./define_legacy.ts";
import { parsePayload } from "./shapes.ts";

/** JobSubmission, every key the UI may send. */
const JOB_SUBMISSION = z.strictObject({
  name: z.string(),
  dft_code: z.string(),
  workflow_id: z.string().optional(),
  cluster_id: z.number().int().optional(),
  parameters: z.record(z.string(), z.unknown()).default({}),
  structure_path: z.string().optional(),
  input_content: z.string().optional(),
  runner_type: z.enum(["local", "ssh", "slurm"]).optional(),
  auxiliary_files: z.record(z.string(), z.string()).optional(),
  scheduler_options: z.looseObject({
    walltime: z.string().nullable().optional(),
    memory_gb: z.union([z.string(), z.number()]).nullable().optional(),
    cpus_per_task: z.number().int().nullable().optional(),
    nodes: z.number().int().nullable().optional(),
    partition: z.string().nullable().optional(),
  }).optional(),
  mpi_ranks: z.number().int().optional(),
  parallel_mode: z.enum(["serial", "parallel"]).optional(),
});

type JobSubmission = z.output<typeof JOB_SUBMISSION>;

function refuse(submission: JobSubmission, why: string): never {
  throw new InvalidParamsError(`Cannot submit job "${submission.name}": ${why}`);
}

/** The cluster of a remote submission: the one it names, else the only one of its type. */
async function clusterFor(
  submission: JobSubmission,
  runner: "slurm" | "ssh",
  call: LegacyCall,
): Promise<number> {
  if (submission.cluster_id !== undefined) return submission.cluster_id;
  const { clusters } = await call(listClusters, {});
  const candidates = clusters.filter((c) => c.cluster_type === runner);
  if (candidates.length === 1) return candidates[0]!.id;
  return refuse(
    submission,
    `runner_type ${runner} needs a cluster_id, and there are ${candidates.length} ${runner} ` +
      "clusters to choose from (register exactly one, or submit from a workflow with a cluster)",
  );
}

/** SLURM resources from the New Job form's scheduler options. */
function resourcesOf(submission: JobSubmission, runner: string): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  const options = submission.scheduler_options;
  if (options && runner !== "local") {
    if (options.partition) {
      refuse(submission, "a partition per job is not supported: set the cluster's queue_name");
    }
    if (options.walltime) resources.time = options.walltime;
    if (options.memory_gb !== undefined && options.memory_gb !== null && options.memory_gb !== "") {
      resources.mem = `${String(options.memory_gb).trim()}G`;
    }
    if (options.cpus_per_task) resources.cpus_per_task = options.cpus_per_task;
    if (options.nodes) resources.nodes = options.nodes;
  }
  if (submission.parallel_mode === "parallel" && submission.mpi_ranks !== undefined) {
    if (submission.mpi_ranks < 1) refuse(submission, "mpi_ranks must be at least 1");
    resources[runner === "local" ? "mpi_ranks" : "ntasks"] = submission.mpi_ranks;
  }
  return resources;
}

/**
 * Submits the JobSubmission in `payload` and answers its pk.
 * @throws {InvalidParamsError} for a submission this server cannot run, naming why
 */
export async function submitJob(payload: string, call: LegacyCall): Promise<number> {
  const submission = parsePayload(JOB_SUBMISSION, "json_payload", payload);
  if (submission.dft_code !== "crystal") {
    refuse(submission, `this server runs CRYSTAL only, not ${submission.dft_code}`);
  }
  if (submission.input_content === undefined || submission.input_content.trim() === "") {
    refuse(submission, "input_content (the .d12 deck) is missing");
  }
  if (Object.keys(submission.parameters).length > 0) {
    refuse(submission, "parameters are for VASP; a CRYSTAL job takes its input_content only");
  }
  // `gui` is the fort.34 an EXTERNAL deck reads (contract §6.4); the binary guesses are not taken.
  const { gui, ...others } = submission.auxiliary_files ?? {};
  if (Object.keys(others).length > 0) {
    refuse(
      submission,
      `auxiliary files ${Object.keys(others).join(", ")} are not supported: only gui (the ` +
        "fort.34 of an EXTERNAL geometry) is; submit without the others",
    );
  }
  const fort34 = gui === undefined ? undefined : await readInputFile(gui, "auxiliary_files.gui");
  const runner = submission.runner_type ?? "local";
  const resources = resourcesOf(submission, runner);
  const job = await call(submit, {
    name: submission.name,
    input: submission.input_content,
    runner,
    ...(runner === "local" ? {} : { cluster_id: await clusterFor(submission, runner, call) }),
    ...(Object.keys(resources).length > 0 ? { resources } : {}),
    ...(submission.workflow_id === undefined ? {} : { workflow_id: submission.workflow_id }),
    ...(fort34 === undefined ? {} : { fort34 }),
  });
  return job.pk;
}
