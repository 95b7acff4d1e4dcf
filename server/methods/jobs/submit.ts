import { z } from "zod";
import { type Cluster, CLUSTER_FIELDS, clusterOf } from "../../clusters/cluster.ts";
import { DeckSyntaxError, parsePropertiesDeck, validateDeck } from "../../crystal/deck.ts";
import { getCluster } from "../../db/clusters.ts";
import { getJob, insertJob, updateJob } from "../../db/jobs.ts";
import { jobDirPath, RESTART_FILES, slugOf } from "../../jobs/job_dir.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import { CrystalInputInvalidError, InvalidStateError } from "../../errors.ts";
import type { MethodContext } from "../context.ts";
import { JOB_STATUS } from "./_shapes.ts";

const SLURM_RESOURCES = CLUSTER_FIELDS.default_resources.unwrap().shape;

async function readDeckFile(path: string): Promise<string> {
  if (!path.startsWith("/")) {
    throw new CrystalInputInvalidError(`Cannot read input_path "${path}": give an absolute path`);
  }
  try {
    return await Deno.readTextFile(path);
  } catch (cause) {
    throw new CrystalInputInvalidError(
      `Cannot read input_path "${path}": ${(cause as Error).message}`,
      { cause },
    );
  }
}

async function presentFiles(dir: string, names: readonly string[]): Promise<string[]> {
  const present: string[] = [];
  for (const name of names) {
    if (await Deno.stat(`${dir}/${name}`).then((i) => i.isFile, () => false)) present.push(name);
  }
  return present;
}

/** Checks the inputs a job reads: the deck, the .d3 and the job it restarts from. */
async function checkInputs(
  input: string,
  params: { properties_input?: string | undefined; restart_from?: number | undefined },
  ctx: MethodContext,
): Promise<void> {
  const deck = validateDeck(input);
  if (!deck.ok) {
    throw new CrystalInputInvalidError(`Invalid CRYSTAL input: line ${deck.line}: ${deck.reason}`, {
      data: { line: deck.line, reason: deck.reason },
    });
  }
  if (params.properties_input !== undefined) {
    try {
      parsePropertiesDeck(params.properties_input);
    } catch (error) {
      if (!(error instanceof DeckSyntaxError)) throw error;
      throw new CrystalInputInvalidError(
        `Invalid properties input: line ${error.line}: ${error.reason}`,
        {
          data: { line: error.line, reason: error.reason, file: "properties_input" },
        },
      );
    }
  }
  if (params.restart_from !== undefined) {
    const source = getJob(ctx.db, params.restart_from);
    const isRemote = source.remote_dir !== null;
    const present = source.work_dir === null
      ? []
      : await presentFiles(source.work_dir, RESTART_FILES);
    if (present.length === 0 && !isRemote) {
      throw new InvalidStateError(
        `Cannot restart from job ${source.pk}: its directory has none of ${
          RESTART_FILES.join(", ")
        }`,
        { data: { pk: source.pk, state: source.state } },
      );
    }
  }
}

/** The cluster of a slurm submission, after checking it and the dependencies. */
function remoteCluster(
  params: { cluster_id?: number | undefined; depends_on?: number[] | undefined },
  ctx: MethodContext,
): Cluster {
  if (params.cluster_id === undefined) {
    throw new CrystalInputInvalidError("Cannot submit with runner slurm: give cluster_id");
  }
  const cluster = clusterOf(getCluster(ctx.db, params.cluster_id));
  if (cluster.cluster_type !== "slurm") {
    throw new InvalidStateError(
      `Cannot submit to cluster "${cluster.name}": it is an ssh cluster, not slurm`,
    );
  }
  for (const pk of params.depends_on ?? []) {
    const dep = getJob(ctx.db, pk);
    if (dep.cluster_id !== cluster.id) {
      throw new InvalidStateError(
        `Cannot depend on job ${pk}: it is not on cluster "${cluster.name}"`,
      );
    }
    if (dep.state === "failed" || dep.state === "cancelled") {
      throw new InvalidStateError(`Cannot depend on job ${pk}: it already ended ${dep.state}`, {
        data: { pk, state: dep.state },
      });
    }
    if (dep.state !== "completed" && dep.slurm_job_id === null) {
      throw new InvalidStateError(
        `Cannot depend on job ${pk}: it has no SLURM id yet (${dep.state})`,
      );
    }
  }
  return cluster;
}

/** `jobs.submit`: validate a CRYSTAL deck, record the job and run it here or on a cluster. */
export const submit = defineMethod({
  name: "jobs.submit",
  summary: "Submit a CRYSTAL calculation, here or to a SLURM cluster",
  description: "Validates the .d12 deck (errors name the line), records the job and writes its " +
    "directory (jobs/<pk>-<slug>/ under the data directory, with INPUT and INPUT.d3). Give exactly " +
    "one of `input` (the deck text) and `input_path` (an absolute path the daemon reads). With " +
    "runner local it is queued here (local.max_concurrent at a time, first in first out). With " +
    "runner slurm and cluster_id it is uploaded and submitted with sbatch; depends_on makes it wait " +
    "for other jobs on that cluster to succeed.",
  params: z.strictObject({
    name: z.string().trim().min(1).max(200).describe(
      "Job name, shown in listings; also names the output file",
    ),
    input: z.string().min(1).optional().describe("The .d12 deck text"),
    input_path: z.string().min(1).optional().describe(
      "Absolute path of a .d12 file, read by the daemon",
    ),
    runner: z.enum(["local", "slurm"]).default("local").describe(
      "Where to run: local (this machine) or slurm",
    ),
    cluster_id: z.number().int().positive().optional().describe("The cluster, for runner slurm"),
    depends_on: z.array(z.number().int().positive()).max(64).optional()
      .describe(
        "pks of jobs on the same cluster that must succeed first (sbatch --dependency=afterok)",
      ),
    dft_code: z.enum(["crystal"]).default("crystal").describe("The code: crystal"),
    resources: z.strictObject({
      mpi_ranks: z.number().int().min(1).max(100_000).optional().describe(
        "MPI ranks; more than 1 runs Pcrystal",
      ),
      omp_threads: z.number().int().min(1).max(1024).optional().describe(
        "OMP_NUM_THREADS (local runs)",
      ),
      nodes: SLURM_RESOURCES.nodes.describe("SLURM nodes"),
      ntasks: SLURM_RESOURCES.ntasks.describe("SLURM tasks (MPI ranks)"),
      cpus_per_task: SLURM_RESOURCES.cpus_per_task.describe("SLURM CPUs per task"),
      time: SLURM_RESOURCES.time.describe("SLURM time limit, e.g. 24:00:00"),
      mem: SLURM_RESOURCES.mem.describe("SLURM memory per node, e.g. 64G"),
    }).optional().describe("Resources for the run; a cluster's default_resources fill the gaps"),
    properties_input: z.string().min(1).optional().describe(
      ".d3 deck, run with properties after a successful SCF",
    ),
    restart_from: z.number().int().positive().optional()
      .describe(
        "pk of an earlier job whose fort.9 (as fort.20), fort.20 and fort.34 are copied for a guess",
      ),
    tags: z.array(z.string().trim().min(1).max(64)).max(32).optional().describe("Free-form labels"),
  }),
  result: z.strictObject({
    pk: z.number().int().describe("Job id"),
    uuid: z.string().describe("Globally unique id"),
    state: JOB_STATUS.shape.state,
  }),
  errors: ["invalid_input_file", "not_found", "invalid_state", "ssh_failed", "slurm_rejected"],
  examples: [{
    name: "submit an MgO single point",
    params: {
      name: "mgo-scf",
      input:
        "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\nBASISSET\nPOB-TZVP\nEND\n",
    },
    result: { pk: 1, uuid: "6f1c3f0e-8a4b-4f2e-9a51-2d1f0c7b5e11", state: "queued" },
  }],
  async handler(params, ctx: MethodContext) {
    if ((params.input === undefined) === (params.input_path === undefined)) {
      throw new CrystalInputInvalidError("Cannot submit: give exactly one of input and input_path");
    }
    if (
      params.runner === "local" &&
      (params.cluster_id !== undefined || params.depends_on !== undefined)
    ) {
      throw new CrystalInputInvalidError(
        "Cannot submit: cluster_id and depends_on need runner slurm",
      );
    }
    const input = params.input ?? await readDeckFile(params.input_path!);
    await checkInputs(input, params, ctx);
    const cluster = params.runner === "slurm" ? remoteCluster(params, ctx) : null;
    const at = ctx.clock.now().toISOString();
    const row = insertJob(ctx.db, {
      uuid: crypto.randomUUID(),
      name: params.name,
      state: "created",
      dft_code: params.dft_code,
      runner_type: params.runner,
      cluster_id: cluster?.id ?? null,
      input,
      properties_input: params.properties_input ?? null,
      restart_from: params.restart_from ?? null,
      tags: params.tags ?? [],
      resources: params.resources ?? {},
      output_name: slugOf(params.name),
      depends_on: params.depends_on ?? [],
      at,
    });
    const work_dir = jobDirPath(ctx.config.dataDir, row.pk, row.name);
    updateJob(ctx.db, row.pk, { work_dir }, at);
    const recorded = { ...row, work_dir };
    const started = cluster === null
      ? await ctx.local.submit(recorded)
      : await ctx.remote.submit(await ctx.local.prepare(recorded), cluster);
    return { pk: started.pk, uuid: started.uuid, state: started.state };
  },
});
