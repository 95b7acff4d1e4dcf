/**
 * The UI's workflow launcher (tui-contract §7): whether workflows are there, and the creators,
 * which only prepare. They answer `workflow_json` and one ready deck per member, built by
 * workflows.prepare (the code of workflows.create_*), and create no job: the UI submits each
 * input itself with its own workflow_id, so a member never runs twice.
 *
 * @module
 */
import { z } from "zod";
import { labelledPath } from "../../structures/band_path.ts";
import { available } from "../workflows/available.ts";
import { prepare } from "../workflows/prepare.ts";
import { defineLegacy, type LegacyCall, LegacyRefusal } from "./define_legacy.ts";
import { parsePayload } from "./shapes.ts";

const PREPARED = z.strictObject({
  workflow_json: z.string(),
  inputs: z.array(z.strictObject({ name: z.string(), content: z.string() })),
});

const CONFIG_JSON = z.strictObject({
  config_json: z.string().max(16 * 1024 * 1024).describe("The study's settings, JSON as text"),
});

/** Prepares a study and answers it the way the UI reads it. */
async function prepared(
  call: LegacyCall,
  study: {
    type: string;
    name: string;
    base: { base_input: string } | { source_job_pk: number };
    params: Record<string, unknown>;
    cluster_id: number | null;
  },
): Promise<z.infer<typeof PREPARED>> {
  const { inputs } = await call(prepare, {
    type: study.type,
    name: study.name,
    ...study.base,
    params: study.params,
  });
  const workflow = {
    type: study.type,
    name: study.name,
    config: { dft_code: "crystal", cluster_id: study.cluster_id, ...study.params },
  };
  return { workflow_json: JSON.stringify(workflow), inputs };
}

/** `check_workflows_available`: the launcher's question. */
export const checkWorkflowsAvailable = defineLegacy({
  name: "check_workflows_available",
  summary: "The UI's workflow launcher check: which studies the daemon prepares",
  description: "workflows.available: the types the daemon has; aiida_available is true once " +
    "a cluster's AiiDA has been probed usable (the first call starts the probe).",
  backing: ["workflows.available"],
  envelope: "api",
  params: z.strictObject({}),
  value: z.strictObject({
    available: z.boolean(),
    workflow_types: z.array(z.string()),
    aiida_available: z.boolean(),
  }),
  errors: [],
  examples: [{
    name: "the declared study types",
    params: {},
    value: {
      available: true,
      workflow_types: ["convergence", "eos", "phonon"],
      aiida_available: false,
    },
  }],
  async run(_params, call) {
    const { workflows, aiida } = await call(available, {});
    const types = workflows.map((w) => w.type);
    const usable = aiida.some((c) => c.state === "usable");
    return { available: types.length > 0, workflow_types: types, aiida_available: usable };
  },
});

const CONVERGENCE = z.object({
  parameter: z.enum(["kpoints", "shrink", "basis", "tolinteg", "encut", "ecutwfc"]),
  values: z.array(z.union([z.number(), z.string(), z.array(z.number())])).min(2).max(50),
  base_input: z.string().min(1),
  dft_code: z.string().default("crystal"),
  name_prefix: z.string().min(1).max(100).default("conv"),
  cluster_id: z.number().int().positive().nullable().optional(),
});

/** `create_convergence_study`: one deck per value of a SHRINK, TOLINTEG or basis scan. */
export const createConvergenceStudy = defineLegacy({
  name: "create_convergence_study",
  summary: "The UI's convergence study: one ready deck per value, no job created",
  description: "workflows.prepare for a convergence study; kpoints means SHRINK. encut and " +
    "ecutwfc (plane-wave codes) and a dft_code other than crystal are refused as UNSUPPORTED.",
  backing: ["workflows.prepare"],
  envelope: "api",
  params: CONFIG_JSON,
  value: PREPARED,
  errors: ["invalid_input_file"],
  examples: [{
    name: "a SHRINK scan of two values",
    params: {
      config_json: JSON.stringify({
        parameter: "shrink",
        values: [4, 8],
        base_input: "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\n" +
          "BASISSET\nPOB-TZVP\nSHRINK\n8 8\nEND\n",
        dft_code: "crystal",
        name_prefix: "conv",
      }),
    },
    value: {
      workflow_json: JSON.stringify({
        type: "convergence",
        name: "conv",
        config: { dft_code: "crystal", cluster_id: null, parameter: "shrink", values: [4, 8] },
      }),
      inputs: [4, 8].map((k) => ({
        name: `conv SHRINK ${k}`,
        content: `conv: SHRINK ${k}\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0.0 0.0 0.0\n` +
          `8 0.5 0.5 0.5\nEND\nBASISSET\nPOB-TZVP\nSHRINK\n${k} ${k}\nEND\n`,
      })),
    },
  }],
  async run(params, call) {
    const config = parsePayload(CONVERGENCE, "config_json", params.config_json);
    if (
      config.dft_code !== "crystal" || config.parameter === "encut" ||
      config.parameter === "ecutwfc"
    ) {
      throw new LegacyRefusal(
        "UNSUPPORTED",
        `This server runs CRYSTAL: a ${config.parameter} scan for ${config.dft_code} is unavailable`,
      );
    }
    const parameter = config.parameter === "kpoints" ? "shrink" : config.parameter;
    return await prepared(call, {
      type: "convergence",
      name: config.name_prefix,
      base: { base_input: config.base_input },
      params: { parameter, values: config.values },
      cluster_id: config.cluster_id ?? null,
    });
  },
});

const EOS = z.object({
  source_job_pk: z.number().int().positive(),
  volume_range: z.tuple([z.number(), z.number()]).optional(),
  num_points: z.number().int().optional(),
  dft_code: z.string().default("crystal"),
  name_prefix: z.string().min(1).max(100).default("eos"),
  cluster_id: z.number().int().positive().nullable().optional(),
});

/** `create_eos_workflow`: one deck per volume. */
export const createEosWorkflow = defineLegacy({
  name: "create_eos_workflow",
  summary: "The UI's equation of state: one ready deck per volume, no job created",
  description: "workflows.prepare for an EOS from a job's deck; volume_range holds volume scale " +
    "factors, as workflows.create_eos takes them.",
  backing: ["workflows.prepare"],
  envelope: "api",
  params: CONFIG_JSON,
  value: PREPARED,
  errors: ["invalid_input_file", "not_found"],
  examples: [{
    name: "four volumes of job 1, an MgO single point",
    params: {
      config_json:
        '{"source_job_pk":1,"volume_range":[0.94,1.06],"num_points":4,"dft_code":"crystal"}',
    },
    value: {
      workflow_json: JSON.stringify({
        type: "eos",
        name: "eos",
        config: {
          dft_code: "crystal",
          cluster_id: null,
          num_points: 4,
          volume_range: [0.94, 1.06],
        },
      }),
      inputs: [
        ["0.9400", "4.124057517692514"],
        ["0.9800", "4.181744115076721"],
        ["1.0200", "4.237881607248076"],
        ["1.0600", "4.292569982397531"],
      ].map(([scale, a]) => ({
        name: `eos V x ${scale}`,
        content: `eos: volume x ${scale}\nCRYSTAL\n0 0 0\n225\n${a}\n2\n12 0.0 0.0 0.0\n` +
          "8 0.5 0.5 0.5\nEND\nBASISSET\nPOB-TZVP\nSHRINK\n8 8\nEND\n",
      })),
    },
  }],
  async run(params, call) {
    const config = parsePayload(EOS, "config_json", params.config_json);
    if (config.dft_code !== "crystal") {
      throw new LegacyRefusal("UNSUPPORTED", `This server runs CRYSTAL, not ${config.dft_code}`);
    }
    return await prepared(call, {
      type: "eos",
      name: config.name_prefix,
      base: { source_job_pk: config.source_job_pk },
      params: {
        ...(config.num_points === undefined ? {} : { num_points: config.num_points }),
        ...(config.volume_range === undefined ? {} : { volume_range: config.volume_range }),
      },
      cluster_id: config.cluster_id ?? null,
    });
  },
});

const PHONON = z.object({
  source_job_pk: z.number().int().positive(),
  supercell_dim: z.tuple([
    z.number().int().min(1).max(16),
    z.number().int().min(1).max(16),
    z.number().int().min(1).max(16),
  ]).optional(),
  displacement_distance: z.number().optional(),
  dft_code: z.string().default("crystal"),
  name_prefix: z.string().min(1).max(100).default("phonon"),
  cluster_id: z.number().int().positive().nullable().optional(),
});

/** `create_phonon_workflow`: the FREQCALC deck of a job's structure. */
export const createPhononWorkflow = defineLegacy({
  name: "create_phonon_workflow",
  summary: "The UI's phonon study: a ready FREQCALC deck, no job created",
  description: "workflows.prepare for a phonon study of a job's deck: one FREQCALC deck at Γ " +
    "(no optimisation first: the UI submits each deck on its own). A supercell_dim other than " +
    "[1, 1, 1] adds a dispersion with the diagonal SCELPHONO supercell. displacement_distance " +
    "(a finite-displacement setting) is not used: CRYSTAL's FREQCALC chooses its own step.",
  backing: ["workflows.prepare"],
  envelope: "api",
  params: CONFIG_JSON,
  value: PREPARED,
  errors: ["invalid_input_file", "not_found"],
  examples: [{
    name: "the phonons of job 1, an MgO single point",
    params: {
      config_json:
        '{"source_job_pk":1,"supercell_dim":[1,1,1],"displacement_distance":0.01,"dft_code":"crystal"}',
    },
    value: {
      workflow_json: JSON.stringify({
        type: "phonon",
        name: "phonon",
        config: { dft_code: "crystal", cluster_id: null },
      }),
      inputs: [{
        name: "phonon FREQCALC",
        content: "phonon: FREQCALC\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0.0 0.0 0.0\n" +
          "8 0.5 0.5 0.5\nFREQCALC\nINTENS\nENDFREQ\nEND\nBASISSET\nPOB-TZVP\nSHRINK\n8 8\n" +
          "TOLDEE\n10\nEND\n",
      }],
    },
  }],
  async run(params, call) {
    const config = parsePayload(PHONON, "config_json", params.config_json);
    if (config.dft_code !== "crystal") {
      throw new LegacyRefusal("UNSUPPORTED", `This server runs CRYSTAL, not ${config.dft_code}`);
    }
    const [a, b, c] = config.supercell_dim ?? [1, 1, 1];
    return await prepared(call, {
      type: "phonon",
      name: config.name_prefix,
      base: { source_job_pk: config.source_job_pk },
      params: a * b * c === 1
        ? {}
        : { dispersion: { supercell: [[a, 0, 0], [0, b, 0], [0, 0, c]] } },
      cluster_id: config.cluster_id ?? null,
    });
  },
});

const BANDS = z.object({
  source_job_pk: z.number().int().positive(),
  path_type: z.enum(["auto", "explicit", "crystal_system"]).default("auto"),
  crystal_system: z.enum(["cubic", "fcc", "bcc", "hexagonal", "tetragonal"]).optional(),
  explicit_path: z.union([z.string(), z.array(z.string())]).optional(),
  dft_code: z.string().default("crystal"),
  name_prefix: z.string().min(1).max(100).default("bands"),
  cluster_id: z.number().int().positive().nullable().optional(),
});

/** The Bravais lattice of each of the launcher's crystal systems. */
const SYSTEM_LATTICE = { cubic: "cP", fcc: "cF", bcc: "cI", hexagonal: "hP", tetragonal: "tP" };

/** The k-path labels the launcher's settings ask for; undefined for the lattice's default. */
function pathOf(config: z.output<typeof BANDS>): string[] | undefined {
  if (config.path_type === "auto") return undefined;
  if (config.path_type === "crystal_system") {
    if (config.crystal_system === undefined) {
      throw new LegacyRefusal("VALIDATION_ERROR", "path_type crystal_system needs crystal_system");
    }
    return labelledPath(SYSTEM_LATTICE[config.crystal_system]);
  }
  const given = config.explicit_path;
  if (given === undefined || given.length === 0) {
    throw new LegacyRefusal("VALIDATION_ERROR", "path_type explicit needs explicit_path");
  }
  // "G X W L G", "G-X-W-L-G" or "G,X,W": the labels in order.
  return typeof given === "string" ? given.trim().split(/[\s,;-]+/) : given;
}

/** `create_band_structure_workflow`: the SCF deck of a band-structure study. */
export const createBandStructureWorkflow = defineLegacy({
  name: "create_band_structure_workflow",
  summary: "The UI's band structure: the SCF deck of workflows.create_bands, no job created",
  description: "workflows.prepare for a band-structure study of a job's deck (at its optimised " +
    "geometry when it is an optimisation): one input, the single-point SCF. The properties run " +
    "(BAND, DOSS) is sized from that SCF's output and restarts from its fort.9, which the UI's " +
    "submit_job cannot attach: workflows.create_bands runs the whole study. path_type auto " +
    "takes the lattice's default path, crystal_system that of cubic (cP), fcc, bcc, hexagonal " +
    "or tetragonal, explicit the labels of explicit_path.",
  backing: ["workflows.prepare"],
  envelope: "api",
  params: CONFIG_JSON,
  value: PREPARED,
  errors: ["invalid_input_file", "not_found", "invalid_state"],
  examples: [{
    name: "the SCF of job 1, an MgO single point",
    params: { config_json: '{"source_job_pk":1,"path_type":"auto","dft_code":"crystal"}' },
    value: {
      workflow_json: JSON.stringify({
        type: "bands",
        name: "bands",
        config: { dft_code: "crystal", cluster_id: null },
      }),
      inputs: [{
        name: "bands SCF",
        content: "bands: SCF for bands\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0.0 0.0 0.0\n" +
          "8 0.5 0.5 0.5\nEND\nBASISSET\nPOB-TZVP\nSHRINK\n8 8\nEND\n",
      }],
    },
  }],
  async run(params, call) {
    const config = parsePayload(BANDS, "config_json", params.config_json);
    if (config.dft_code !== "crystal") {
      throw new LegacyRefusal("UNSUPPORTED", `This server runs CRYSTAL, not ${config.dft_code}`);
    }
    const path = pathOf(config);
    return await prepared(call, {
      type: "bands",
      name: config.name_prefix,
      base: { source_job_pk: config.source_job_pk },
      params: path === undefined ? {} : { path },
      cluster_id: config.cluster_id ?? null,
    });
  },
});
