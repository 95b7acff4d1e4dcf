import { z } from "zod";
import { DeckSyntaxError, parsePropertiesDeck, validateDeck } from "../../crystal/deck.ts";
import { getJob, insertJob, updateJob } from "../../db/jobs.ts";
import { jobDirPath, RESTART_FILES, slugOf } from "../../jobs/job_dir.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import { CrystalInputInvalidError, InvalidStateError } from "../../rpc/errors.ts";
import type { MethodContext } from "../context.ts";
import { JOB_STATUS } from "./_shapes.ts";

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

/** `jobs.submit`: validate a CRYSTAL deck, record the job and queue it on this machine. */
export const submit = defineMethod({
  name: "jobs.submit",
  summary: "Submit a CRYSTAL calculation",
  description:
    "Validates the .d12 deck (errors name the line), records the job, writes its directory " +
    "(jobs/<pk>-<slug>/ under the data directory, with INPUT and INPUT.d3) and queues it. Give " +
    "exactly one of `input` (the deck text) and `input_path` (an absolute path the daemon reads). " +
    "Jobs beyond local.max_concurrent wait in the queue, first in first out.",
  params: z.strictObject({
    name: z.string().trim().min(1).max(200).describe(
      "Job name, shown in listings; also names the output file",
    ),
    input: z.string().min(1).optional().describe("The .d12 deck text"),
    input_path: z.string().min(1).optional().describe(
      "Absolute path of a .d12 file, read by the daemon",
    ),
    runner: z.enum(["local"]).default("local").describe("Where to run: local (this machine)"),
    dft_code: z.enum(["crystal"]).default("crystal").describe("The code: crystal"),
    resources: z.strictObject({
      mpi_ranks: z.number().int().min(1).max(4096).optional().describe(
        "MPI ranks; more than 1 runs Pcrystal",
      ),
      omp_threads: z.number().int().min(1).max(1024).optional().describe("OMP_NUM_THREADS"),
    }).optional().describe("Resources for the run"),
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
  errors: ["invalid_input_file", "not_found", "invalid_state"],
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
    const input = params.input ?? await readDeckFile(params.input_path!);
    const deck = validateDeck(input);
    if (!deck.ok) {
      throw new CrystalInputInvalidError(
        `Invalid CRYSTAL input: line ${deck.line}: ${deck.reason}`,
        {
          data: { line: deck.line, reason: deck.reason },
        },
      );
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
      const present = source.work_dir === null
        ? []
        : await presentFiles(source.work_dir, RESTART_FILES);
      if (present.length === 0) {
        throw new InvalidStateError(
          `Cannot restart from job ${source.pk}: its directory has none of ${
            RESTART_FILES.join(", ")
          }`,
          { data: { pk: source.pk, state: source.state } },
        );
      }
    }
    const at = ctx.clock.now().toISOString();
    const row = insertJob(ctx.db, {
      uuid: crypto.randomUUID(),
      name: params.name,
      state: "created",
      dft_code: params.dft_code,
      runner_type: params.runner,
      cluster_id: null,
      input,
      properties_input: params.properties_input ?? null,
      restart_from: params.restart_from ?? null,
      tags: params.tags ?? [],
      resources: params.resources ?? {},
      output_name: slugOf(params.name),
      at,
    });
    const work_dir = jobDirPath(ctx.config.dataDir, row.pk, row.name);
    updateJob(ctx.db, row.pk, { work_dir }, at);
    const queued = await ctx.local.submit({ ...row, work_dir });
    return { pk: queued.pk, uuid: queued.uuid, state: queued.state };
  },
});
