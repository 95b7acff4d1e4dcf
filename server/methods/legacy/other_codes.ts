/**
 * What the UI asks for VASP and quacc (tui-contract §7): a clear answer, in the shape the UI
 * shows, that this server runs CRYSTAL; and the UI's output-file viewer, which asks for VASP
 * files by name.
 *
 * @module
 */
import { z } from "zod";
import { getJob } from "../../db/jobs.ts";
import { AppError, NotFoundError } from "../../errors.ts";
import { getOutputFile } from "../jobs/get_output_file.ts";
import { defineLegacy, LegacyRefusal } from "./define_legacy.ts";

/** Why every VASP and quacc request is refused. */
export const NOT_VASP = "This server runs CRYSTAL, not VASP through quacc";

/** How much of a file the viewer gets, from its end. */
const VIEWER_BYTES = 4 * 1024 * 1024;

/** `recipes.list`: the recipe browser; it shows `error`. */
export const listRecipes = defineLegacy({
  name: "recipes.list",
  summary: "The UI's quacc recipe browser: none, and why",
  description: "Answers no recipes, with the reason in error.",
  backing: [],
  envelope: "bare",
  params: z.strictObject({}),
  value: z.strictObject({
    recipes: z.array(z.strictObject({ name: z.string() })),
    quacc_version: z.string().nullable(),
    error: z.string().nullable(),
  }),
  errors: [],
  examples: [{
    name: "none",
    params: {},
    value: { recipes: [], quacc_version: null, error: `${NOT_VASP}: no recipes` },
  }],
  run: () =>
    Promise.resolve({ recipes: [], quacc_version: null, error: `${NOT_VASP}: no recipes` }),
});

/** Declares one VASP method that answers ok:false UNSUPPORTED, whatever its params. */
function refusal(
  name: string,
  what: string,
  params: z.ZodObject,
  example: Record<string, unknown>,
  variantKey?: string,
) {
  return defineLegacy({
    name,
    ...(variantKey === undefined ? {} : { variant_key: variantKey }),
    summary: `The UI's ${what}: refused, this server runs CRYSTAL`,
    description: `Answers ok:false with code UNSUPPORTED: ${NOT_VASP}.`,
    backing: [],
    envelope: "api",
    params,
    value: z.strictObject({}),
    errors: [],
    examples: [{ name: "refused", params: example, value: {} }],
    run: () =>
      Promise.reject(new LegacyRefusal("UNSUPPORTED", `${NOT_VASP}: ${what} is unavailable`)),
  });
}

/** `jobs.submit` with a quacc `recipe`. */
export const submitRecipe = refusal(
  "jobs.submit",
  "quacc job submission",
  z.strictObject({
    recipe: z.string().describe("quacc recipe"),
    structure: z.string().optional().describe("POSCAR text"),
    params: z.record(z.string(), z.unknown()).optional().describe("Recipe params"),
    cluster: z.string().optional().describe("quacc cluster"),
  }),
  { recipe: "quacc.recipes.vasp.core.static_job", structure: "Si\n1.0\n...", params: {} },
  "recipe",
);

/** `vasp.generate_from_mp`. */
export const vaspFromMp = refusal(
  "vasp.generate_from_mp",
  "VASP input generation",
  z.strictObject({
    mp_id: z.string().describe("Materials Project id"),
    config_json: z.string().optional().describe("Options as a JSON string"),
  }),
  { mp_id: "mp-149", config_json: '{"preset":"relax","kppra":1000}' },
);

/** `vasp.validate_inputs`. */
export const vaspValidate = refusal(
  "vasp.validate_inputs",
  "VASP input validation",
  z.strictObject({ inputs_json: z.string().describe("The VASP inputs as a JSON string") }),
  { inputs_json: '{"poscar":"Si\\n..."}' },
);

/** `jobs.get_output_file` as the viewer sends it: `{job_pk, file_type, tail_lines}`. */
export const viewOutputFile = defineLegacy({
  name: "jobs.get_output_file",
  summary: "The UI's output viewer: the last lines of one file of a job",
  description: "Told from jobs.get_output_file's own params by job_pk. Reads the file named " +
    "file_type in the job directory through jobs.get_output_file; a CRYSTAL job has no OUTCAR, " +
    "vasprun.xml or OSZICAR: ok:false with code NOT_FOUND, saying so.",
  backing: ["jobs.get_output_file"],
  envelope: "api",
  variant_key: "job_pk",
  params: z.strictObject({
    job_pk: z.number().int().describe("Job pk"),
    file_type: z.string().describe("File name in the job directory, e.g. OUTCAR"),
    tail_lines: z.number().int().min(1).max(1_000_000).default(5000).describe("Lines from the end"),
  }),
  value: z.strictObject({
    content: z.string(),
    lines: z.array(z.string()),
    truncated: z.boolean(),
    total_lines: z.number().int().nullable(),
  }),
  errors: ["not_found"],
  examples: [{
    name: "no such file",
    params: { job_pk: 3, file_type: "OSZICAR", tail_lines: 5000 },
    value: { content: "1 F= -.1E+02\n", lines: ["1 F= -.1E+02"], truncated: false, total_lines: 1 },
  }],
  async run(params, call, ctx) {
    getJob(ctx.db, params.job_pk);
    const read = (offset: number) =>
      call(getOutputFile, {
        pk: params.job_pk,
        name: params.file_type,
        offset,
        max_bytes: VIEWER_BYTES,
      });
    let piece;
    try {
      piece = await read(0);
      if (piece.truncated) piece = await read(piece.size_bytes - VIEWER_BYTES);
    } catch (error) {
      if (!(error instanceof AppError && error.kind === "not_found")) throw error;
      throw new NotFoundError(
        `Job ${params.job_pk} has no file "${params.file_type}": CRYSTAL writes no VASP files`,
        { cause: error },
      );
    }
    if (piece.encoding !== "utf-8") {
      throw new LegacyRefusal("INVALID_FILE", `"${params.file_type}" is not a text file`);
    }
    const all = piece.content.replace(/\n$/, "").split("\n");
    const lines = all.slice(-params.tail_lines);
    const isWhole = piece.offset === 0 && !piece.truncated;
    return {
      content: lines.join("\n") + "\n",
      lines,
      truncated: lines.length < all.length || !isWhole,
      total_lines: isWhole ? all.length : null,
    };
  },
});
