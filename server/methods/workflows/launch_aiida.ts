import { z } from "zod";
import { clusterOf } from "../../clusters/cluster.ts";
import { validateDeck } from "../../crystal/deck.ts";
import { getCluster } from "../../db/clusters.ts";
import { CrystalInputInvalidError } from "../../errors.ts";
import { AIIDA_STUDIES, launcherInputsOf } from "../../aiida/inputs.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import { checkOneBase, WORKFLOW_VIEW, workflowViewOf } from "./_shapes.ts";
import { EXAMPLE_VIEW } from "./get.ts";

const POSITIVE = z.number().positive().max(1);

/** The params of workflows.launch_aiida. */
export const LAUNCH_AIIDA_PARAMS = z.strictObject({
  cluster_id: z.number().int().positive().describe("A cluster with aiida settings"),
  name: z.string().trim().min(1).max(200).optional().describe(
    "The workflow's name and the AiiDA process label (default: the deck's title)",
  ),
  base_input: z.string().min(1).optional().describe("The .d12 deck (give this or source_job_pk)"),
  source_job_pk: z.number().int().positive().optional().describe(
    "A job whose deck to launch (give this or base_input)",
  ),
  workflow: z.enum(AIIDA_STUDIES).default("geometry_optimisation").describe(
    "geometry_optimisation (the deck's OPTGEOM, else FULLOPTG) or single_point; both run " +
      "aiida-crystal-dft's crystal_dft.base",
  ),
  code_label: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+@-]{0,200}$/, "expected a code label")
    .optional().describe("The AiiDA code (default: the cluster's aiida.code_label)"),
  basis_family: z.string().regex(
    /^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/,
    "expected a basis family name",
  ).optional().describe("A basis family in the profile (default: the deck's BASISSET name)"),
  optimise: z.strictObject({
    toldeg: POSITIVE.optional().describe("RMS gradient threshold, Hartree/bohr (TOLDEG)"),
    toldex: POSITIVE.optional().describe("RMS displacement threshold, bohr (TOLDEX)"),
    maxcycle: z.number().int().min(1).max(10_000).optional().describe("Steps at most (MAXCYCLE)"),
  }).optional().describe("Overrides of the deck's OPTGEOM settings"),
  resources: z.strictObject({
    num_machines: z.number().int().min(1).max(100_000).optional(),
    num_mpiprocs_per_machine: z.number().int().min(1).max(100_000).optional(),
  }).optional().describe("AiiDA's resources for the CRYSTAL calculation (default 1 x 1)"),
  max_wallclock_seconds: z.number().int().min(60).max(365 * 86_400).optional().describe(
    "The calculation's wall-time limit",
  ),
});

const MGO = "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\nBASISSET\n" +
  "POB-TZVP\nDFT\nB3LYP\nEND\nSHRINK\n8 8\nEND\n";

/** `workflows.launch_aiida`: run a deck in a cluster's own AiiDA. */
export const launchAiida = defineMethod({
  name: "workflows.launch_aiida",
  summary: "Run a deck in a cluster's own AiiDA (aiida-crystal-dft) and follow its process",
  description: "For a cluster with aiida settings {profile, code_label, verdi?}: probes " +
    "`verdi --version` (aiida-core 2 or later) and `verdi plugin list aiida.workflows` " +
    "(crystal_dft.base) over the cluster's SSH connection, writes a launcher script and its " +
    "inputs (the deck as aiida-crystal-dft's structure and parameters) into a private " +
    "directory there, and runs `verdi -p <profile> run` on it, which submits the workflow and " +
    "prints its PK. The workflow (type aiida) is then followed with `verdi process show` on the " +
    "cluster poll's interval: finished [0] is completed, another exit status or excepted is " +
    "failed, killed is cancelled. Without that setup the answer is unsupported, saying what " +
    "to install; workflows.create_* run studies without AiiDA. A launch AiiDA refused returns " +
    "the workflow failed, with AiiDA's reason.",
  params: LAUNCH_AIIDA_PARAMS,
  result: WORKFLOW_VIEW,
  errors: ["unsupported", "not_found", "invalid_input_file", "invalid_state", "ssh_failed"],
  examples: [{
    name: "an MgO optimisation in AiiDA",
    params: { cluster_id: 1, base_input: MGO },
    result: {
      ...EXAMPLE_VIEW,
      id: "wf-3",
      type: "aiida",
      name: "MgO",
      state: "created",
      jobs: [],
      result: null,
      params: {
        name: "MgO",
        runner: "aiida",
        cluster_id: 1,
        params: { workflow: "geometry_optimisation", code_label: "crystal@hpc1" },
        aiida_version: "2.7.1",
      },
      finished_at: null,
      aiida: {
        cluster_id: 1,
        profile: "research",
        remote_dir: "/scratch/jdoe/crystalmath/crystalmath/aiida-5f0c0e0a",
        process_pk: 1234,
        process_uuid: "5d3c6e34-0b43-4c4b-9f8e-3a1f0f1d2c11",
        process_label: null,
        process_state: "created",
        exit_status: null,
        exit_message: null,
        outputs: [],
        checked_at: null,
        check_error: null,
      },
    },
  }],
  async handler(params, ctx: MethodContext) {
    checkOneBase(params);
    const cluster = clusterOf(getCluster(ctx.db, params.cluster_id));
    const settings = ctx.aiida.settingsOf(cluster);
    const text = params.base_input ?? ctx.engine.store.get(params.source_job_pk!).input;
    const checked = validateDeck(text);
    if (!checked.ok) {
      throw new CrystalInputInvalidError(
        `Invalid deck: line ${checked.line}: ${checked.reason}`,
        { data: { line: checked.line, reason: checked.reason } },
      );
    }
    const name = params.name ?? (checked.deck.title.trim() || "aiida");
    const codeLabel = params.code_label ?? settings.code_label;
    const { inputs, warnings } = launcherInputsOf(checked.deck, {
      study: params.workflow,
      name,
      code_label: codeLabel,
      basis_family: params.basis_family,
      optimise: params.optimise,
      resources: params.resources,
      max_wallclock_seconds: params.max_wallclock_seconds,
    });
    const { base_input: _deck, name: _name, cluster_id, source_job_pk, ...own } = params;
    const row = await ctx.aiida.launch({
      cluster,
      name,
      inputs,
      warnings,
      params: {
        name,
        runner: "aiida",
        cluster_id,
        ...(source_job_pk === undefined ? {} : { source_job_pk }),
        params: { ...own, code_label: codeLabel },
      },
    }, ctx.signal);
    return workflowViewOf(ctx.db, row);
  },
});
