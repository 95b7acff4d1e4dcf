/**
 * The UI's AiiDA launcher (tui-contract §7, `launch_aiida_geopt`): a geometry optimisation of a
 * job's deck in a cluster's own AiiDA, through workflows.launch_aiida, answered in the shape of
 * the other workflow creators (no inputs: nothing is left for the UI to submit).
 *
 * @module
 */
import { z } from "zod";
import { INSTALL_HINT } from "../../aiida/verdi.ts";
import { clusterOf } from "../../clusters/cluster.ts";
import { listClusters } from "../../db/clusters.ts";
import { launchAiida } from "../workflows/launch_aiida.ts";
import { defineLegacy, LegacyRefusal } from "./define_legacy.ts";
import { parsePayload } from "./shapes.ts";

const GEOPT = z.object({
  structure_pk: z.number().int().positive(),
  code_label: z.string().min(1).optional(),
  force_threshold: z.number().positive().max(1).optional(),
  max_iterations: z.number().int().min(1).max(10_000).optional(),
  cluster_id: z.number().int().positive().nullable().optional(),
});

/** `launch_aiida_geopt`. */
export const launchAiidaGeopt = defineLegacy({
  name: "launch_aiida_geopt",
  summary: "The UI's AiiDA geometry optimisation of a job's deck, on a cluster's own AiiDA",
  description: "workflows.launch_aiida with source_job_pk = structure_pk (a job's pk), " +
    "force_threshold as TOLDEG (RMS gradient, Hartree/bohr) and max_iterations as MAXCYCLE, on " +
    "config.cluster_id or the one cluster with aiida settings. No such cluster, or no usable " +
    "AiiDA there, is ok:false UNSUPPORTED saying what to install; a launch AiiDA refused is " +
    "AIIDA_LAUNCH_FAILED. workflow_json names the workflow (type aiida) and its process PK.",
  backing: ["workflows.launch_aiida"],
  envelope: "api",
  params: z.strictObject({
    config_json: z.string().max(1024 * 1024).describe("{structure_pk, code_label, ...} as JSON"),
  }),
  value: z.strictObject({
    workflow_json: z.string(),
    inputs: z.array(z.strictObject({ name: z.string(), content: z.string() })),
  }),
  errors: ["unsupported", "not_found", "invalid_input_file", "ssh_failed"],
  examples: [{
    name: "an optimisation of job 1",
    params: { config_json: '{"structure_pk":1,"force_threshold":0.0003,"max_iterations":50}' },
    value: {
      workflow_json: JSON.stringify({
        type: "aiida",
        name: "MgO",
        config: {
          dft_code: "crystal",
          cluster_id: 1,
          workflow_id: "wf-3",
          aiida_pk: 1234,
          state: "created",
        },
      }),
      inputs: [],
    },
  }],
  async run(params, call, ctx) {
    const clusters = listClusters(ctx.db).map(clusterOf).filter((c) => c.aiida !== null);
    if (clusters.length === 0) {
      throw new LegacyRefusal(
        "UNSUPPORTED",
        `No cluster has aiida settings. AiiDA is Python-only: install it on a cluster ` +
          `(${INSTALL_HINT}), make a profile (verdi presto), then set the cluster's aiida ` +
          "{profile, code_label} (clusters.update); or use the other workflows instead",
      );
    }
    const config = parsePayload(GEOPT, "config_json", params.config_json);
    const clusterId = config.cluster_id ?? (clusters.length === 1 ? clusters[0]!.id : undefined);
    if (clusterId === undefined) {
      throw new LegacyRefusal(
        "VALIDATION_ERROR",
        `Clusters ${clusters.map((c) => c.name).join(", ")} have aiida settings: give ` +
          "cluster_id in config_json",
      );
    }
    const optimise = {
      ...(config.force_threshold === undefined ? {} : { toldeg: config.force_threshold }),
      ...(config.max_iterations === undefined ? {} : { maxcycle: config.max_iterations }),
    };
    const view = await call(launchAiida, {
      cluster_id: clusterId,
      source_job_pk: config.structure_pk,
      workflow: "geometry_optimisation",
      ...(config.code_label === undefined ? {} : { code_label: config.code_label }),
      ...(Object.keys(optimise).length > 0 ? { optimise } : {}),
    });
    if (view.state === "failed") {
      throw new LegacyRefusal("AIIDA_LAUNCH_FAILED", view.error ?? "the launch failed");
    }
    const workflow = {
      type: "aiida",
      name: view.name,
      config: {
        dft_code: "crystal",
        cluster_id: clusterId,
        workflow_id: view.id,
        aiida_pk: view.aiida?.process_pk ?? null,
        state: view.state,
      },
    };
    return { workflow_json: JSON.stringify(workflow), inputs: [] };
  },
});
