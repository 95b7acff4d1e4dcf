import { z } from "zod";
import { CLUSTER_FIELDS } from "../../clusters/cluster.ts";
import { RUNNER_TYPES } from "../../model/job.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import { submitJob } from "../../engine/submit_job.ts";
import { CrystalInputInvalidError, InvalidParamsError } from "../../errors.ts";
import type { MethodContext } from "../context.ts";
import { JOB_STATUS, WORKFLOW_ID } from "./_shapes.ts";

const SLURM_RESOURCES = CLUSTER_FIELDS.default_resources.unwrap().shape;

/**
 * No control or format characters: NUL cuts a name on read-back, CR and LF forge listings and
 * logs, and bidi overrides make a name read differently from what it is.
 */
const PRINTABLE = /^[^\p{Cc}\p{Cf}\u2028\u2029]*$/u;
const PRINTABLE_MESSAGE = "must not contain control characters (NUL, line breaks, bidi controls)";

/** The largest deck `input_path` may name. */
export const MAX_INPUT_FILE_BYTES = 64 * 1024 * 1024;
/** How long reading it may take (a file on a hung network mount). */
const READ_TIMEOUT_MS = 30_000;

/**
 * Reads the text file a path param names (`input_path`, the deck): a regular file (not a device,
 * a FIFO or a directory), at most MAX_INPUT_FILE_BYTES, UTF-8 text, within READ_TIMEOUT_MS.
 * Errors name the param and the path and never quote the file.
 */
export async function readInputFile(path: string, param = "input_path"): Promise<string> {
  const refuse = (why: string, cause?: unknown) =>
    new CrystalInputInvalidError(`Cannot read ${param} "${path}": ${why}`, {
      data: { path },
      ...(cause === undefined ? {} : { cause }),
    });
  if (!path.startsWith("/")) throw refuse("give an absolute path");
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (cause) {
    throw refuse(cause instanceof Deno.errors.NotFound ? "no such file" : "cannot open it", cause);
  }
  if (!info.isFile) throw refuse("not a regular file");
  if (info.size > MAX_INPUT_FILE_BYTES) throw refuse("larger than 64 MiB");
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path, { signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
  } catch (cause) {
    throw refuse(
      cause instanceof DOMException ? "reading it took too long" : "cannot read it",
      cause,
    );
  }
  if (bytes.length > MAX_INPUT_FILE_BYTES) throw refuse("larger than 64 MiB");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (cause) {
    throw refuse("not UTF-8 text", cause);
  }
}

/** An input error about a file read by path, with what it quoted of the file taken out. */
function withoutContent(error: unknown, path: string): unknown {
  if (!(error instanceof CrystalInputInvalidError) || error.data?.["file"] !== undefined) {
    return error;
  }
  const line = error.data?.["line"];
  const reason = String(error.data?.["reason"] ?? "invalid").replace(/"[^"\n]*"/g, '"…"');
  return new CrystalInputInvalidError(
    `Invalid CRYSTAL input in "${path}"${line === undefined ? "" : ` at line ${line}`}: ${reason}`,
    { data: { path, ...(line === undefined ? {} : { line }) }, cause: error },
  );
}

/** `jobs.submit`: validate a CRYSTAL deck, record the job and run it here or on a cluster. */
export const submit = defineMethod({
  name: "jobs.submit",
  summary: "Submit a CRYSTAL calculation, here or to a SLURM cluster",
  description: "Validates the .d12 deck (errors name the line), records the job and writes its " +
    "directory (jobs/<pk>-<slug>/ under the data directory, with INPUT and INPUT.d3). Give exactly " +
    "one of `input` (the deck text) and `input_path` (an absolute path the daemon reads). With " +
    "runner local it is queued here (local.max_concurrent at a time, first in first out). With " +
    "runner slurm and cluster_id it is uploaded and submitted with sbatch; with runner ssh and " +
    "cluster_id it is uploaded and started detached on that host. depends_on makes it wait until " +
    "those jobs have completed (held in the daemon, or with afterok on one SLURM cluster); if one " +
    "fails or is cancelled, this job ends cancelled. An unknown pk is invalid_params. A deck whose " +
    "geometry is EXTERNAL needs fort34 (written as fort.34 in the job directory, here and on " +
    "the cluster, before CRYSTAL starts) or restart_from a job that has one; fort34 with any " +
    "other geometry is refused. With properties_only, restart_from and properties_input, no " +
    "SCF runs: properties reads the restart job's fort.9 (here, or on the same cluster).",
  params: z.strictObject({
    name: z.string().trim().min(1).max(200).regex(PRINTABLE, PRINTABLE_MESSAGE).describe(
      "Job name, shown in listings; also names the output file",
    ),
    input: z.string().min(1).optional().describe("The .d12 deck text"),
    input_path: z.string().min(1).optional().describe(
      "Absolute path of a .d12 file, read by the daemon",
    ),
    runner: z.enum(RUNNER_TYPES).default("local").describe(
      "Where to run: local (this machine), slurm (a SLURM cluster) or ssh (a plain SSH host)",
    ),
    cluster_id: z.number().int().positive().optional().describe(
      "The cluster, for runner slurm or ssh",
    ),
    depends_on: z.array(z.number().int().positive()).max(64).optional()
      .describe(
        "pks of jobs that must complete first, on any runner; on one SLURM cluster they use " +
          "sbatch --dependency=afterok",
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
    fort34: z.string().min(1).max(MAX_INPUT_FILE_BYTES).optional().describe(
      "The fort.34 an EXTERNAL deck reads (materials.generate_d12 returns it with such a deck)",
    ),
    restart_from: z.number().int().positive().optional()
      .describe(
        "pk of an earlier job whose fort.9 (as fort.20), fort.20 and fort.34 are copied for a guess",
      ),
    properties_only: z.boolean().optional().describe(
      "Run properties alone: properties_input on the fort.9 of restart_from, no SCF (input " +
        "then defaults to that job's deck). Its BAND and DOSS band fields may then be band " +
        "tokens, @VB-49@ for band ceil(N/2) - 49 by the N electrons restart_from's output prints",
    ),
    client_token: z.string().min(8).max(200).regex(PRINTABLE, PRINTABLE_MESSAGE).optional()
      .describe(
        "Idempotency key (a UUID, say): submitting again with it returns the same job instead " +
          "of a second one; reusing it for a different request is a conflict",
      ),
    workflow_id: WORKFLOW_ID.optional().describe(
      "The workflow the job belongs to: a group tag that jobs.list can filter on",
    ),
    tags: z.array(z.string().trim().min(1).max(64).regex(PRINTABLE, PRINTABLE_MESSAGE)).max(32)
      .optional().describe("Free-form labels"),
  }),
  result: z.strictObject({
    pk: z.number().int().describe("Job id"),
    uuid: z.string().describe("Globally unique id"),
    state: JOB_STATUS.shape.state,
  }),
  errors: [
    "invalid_input_file",
    "not_found",
    "invalid_state",
    "conflict",
    "ssh_failed",
    "slurm_rejected",
  ],
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
    if (params.properties_only && params.restart_from === undefined) {
      throw new InvalidParamsError(
        "A properties-only job needs restart_from: the job whose fort.9 it reads",
      );
    }
    if (params.properties_only && params.input === undefined && params.input_path === undefined) {
      // The wave function's own deck: what the job computes on.
      params = { ...params, input: ctx.engine.store.get(params.restart_from!).input };
    }
    if ((params.input === undefined) === (params.input_path === undefined)) {
      throw new CrystalInputInvalidError("Cannot submit: give exactly one of input and input_path");
    }
    const fromPath = params.input_path;
    const input = params.input ?? await readInputFile(fromPath!);
    const job = await submitJob(ctx.engine, { ...params, input }).catch((error) => {
      throw fromPath === undefined ? error : withoutContent(error, fromPath);
    });
    return { pk: job.pk, uuid: job.uuid, state: job.state };
  },
});
