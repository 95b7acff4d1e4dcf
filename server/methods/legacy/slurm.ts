/**
 * The UI's SLURM methods (tui-contract §6.3), each on the dotted slurm.* methods.
 *
 * @module
 */
import { z } from "zod";
import { adopt } from "../slurm/adopt.ts";
import { cancel } from "../slurm/cancel.ts";
import { queue } from "../slurm/queue.ts";
import { defineLegacy } from "./define_legacy.ts";
import { asciiOnly } from "./shapes.ts";

const PARAMS = z.strictObject({
  cluster_id: z.number().int().describe("Cluster id"),
  slurm_job_id: z.string().describe("SLURM job id"),
});

/** SlurmQueueEntry (`models.rs:147-171`). */
const QUEUE_ENTRY = z.strictObject({
  job_id: z.string(),
  name: z.string(),
  user: z.string(),
  partition: z.string(),
  state: z.string(),
  nodes: z.number().int().nullable(),
  gpus: z.number().int().nullable(),
  time_used: z.string().nullable(),
  time_limit: z.string().nullable(),
  node_list: z.string().nullable(),
  state_reason: z.string().nullable(),
});

/** `fetch_slurm_queue`: the queue modal. */
export const fetchSlurmQueue = defineLegacy({
  name: "fetch_slurm_queue",
  summary: "The UI's SLURM queue of a cluster (the cluster user's jobs)",
  description: "slurm.queue for the cluster's user; names kept ASCII (the UI cuts them by " +
    "bytes); gpus is not reported (null).",
  backing: ["slurm.queue"],
  envelope: "api",
  params: z.strictObject({ cluster_id: z.number().int().describe("Cluster id") }),
  value: z.array(QUEUE_ENTRY),
  errors: ["not_found", "ssh_failed", "slurm_rejected"],
  examples: [{
    name: "one running job",
    params: { cluster_id: 1 },
    value: [{
      job_id: "4242",
      name: "crystalmath-6f1c3f0e",
      user: "jdoe",
      partition: "standard",
      state: "RUNNING",
      nodes: 1,
      gpus: null,
      time_used: "1:02:03",
      time_limit: "1-00:00:00",
      node_list: "node017",
      state_reason: "None",
    }],
  }],
  async run(params, call) {
    const { entries } = await call(queue, { cluster_id: params.cluster_id });
    return entries.map((entry) => ({
      ...entry,
      name: asciiOnly(entry.name),
      user: asciiOnly(entry.user),
      gpus: null,
    }));
  },
});

/** `cancel_slurm_job`: scancel one job. */
export const cancelSlurmJob = defineLegacy({
  name: "cancel_slurm_job",
  summary: "Cancel a SLURM job on a cluster",
  description: "slurm.cancel: a job the daemon tracks is cancelled as a job, others by scancel.",
  backing: ["slurm.cancel"],
  envelope: "api",
  params: PARAMS,
  value: z.strictObject({ success: z.boolean(), message: z.string() }),
  errors: ["not_found", "ssh_failed", "slurm_rejected"],
  examples: [{
    name: "cancel",
    params: { cluster_id: 1, slurm_job_id: "4242" },
    value: { success: true, message: "Cancelled SLURM job 4242" },
  }],
  run: (params, call) => call(cancel, params),
});

/** `adopt_slurm_job`: track a job submitted by hand. */
export const adoptSlurmJob = defineLegacy({
  name: "adopt_slurm_job",
  summary: "Track a SLURM job submitted outside the daemon; answers its pk",
  description: "slurm.adopt.",
  backing: ["slurm.adopt"],
  envelope: "api",
  params: PARAMS,
  value: z.strictObject({ success: z.literal(true), pk: z.number().int() }),
  errors: ["not_found", "conflict", "ssh_failed", "slurm_rejected"],
  examples: [{
    name: "adopt",
    params: { cluster_id: 1, slurm_job_id: "4242" },
    value: { success: true, pk: 12 },
  }],
  async run(params, call) {
    return { success: true as const, pk: (await call(adopt, params)).pk };
  },
});
