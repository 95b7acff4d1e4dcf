/**
 * The UI's cluster methods (tui-contract §6.2), each on the dotted clusters.* methods.
 *
 * @module
 */
import { z } from "zod";
import { create } from "../clusters/create.ts";
import { remove } from "../clusters/delete.ts";
import { list } from "../clusters/list.ts";
import { test } from "../clusters/test.ts";
import { update } from "../clusters/update.ts";
import { EXAMPLE_CLUSTER } from "../../clusters/cluster.ts";
import { defineLegacy } from "./define_legacy.ts";
import { CLUSTER_PAYLOAD, LEGACY_CLUSTER, legacyCluster, parsePayload } from "./shapes.ts";

const CLUSTER_ID = z.number().int().describe("Cluster id");

/** The dotted methods' example cluster, as the UI sees it. */
const EXAMPLE: z.infer<typeof LEGACY_CLUSTER> = legacyCluster(EXAMPLE_CLUSTER);

const EXAMPLE_PAYLOAD = JSON.stringify({ ...EXAMPLE, id: null, key_file: null });

type Payload = z.output<typeof CLUSTER_PAYLOAD>;

/** `{[key]: value}`, or nothing for a field the form left null or out. */
function given<T>(key: string, value: T | null | undefined): Record<string, T> {
  return value === null || value === undefined ? {} : { [key]: value };
}

/** Where jobs go on a cluster whose form left remote_workdir empty. */
function defaultWorkdir(username: string): string {
  return `/home/${username}`;
}

/** The clusters.create fields of a payload: nulls are absent, queue_name is the partition. */
function createFields(payload: Payload) {
  return {
    name: payload.name,
    cluster_type: payload.cluster_type,
    hostname: payload.hostname,
    username: payload.username,
    remote_workdir: payload.remote_workdir ?? defaultWorkdir(payload.username),
    ...given("port", payload.port),
    ...given("key_file", payload.key_file),
    ...given("partition", payload.queue_name),
    ...given("max_concurrent", payload.max_concurrent),
    ...given("cry23_root", payload.cry23_root),
    ...given("vasp_root", payload.vasp_root),
    ...(payload.setup_commands?.length ? { setup_commands: payload.setup_commands } : {}),
  };
}

/** `fetch_clusters`: the cluster manager's list. */
export const fetchClusters = defineLegacy({
  name: "fetch_clusters",
  summary: "The UI's cluster list: ClusterConfig rows",
  description: "clusters.list, with partition as queue_name and status always active.",
  backing: ["clusters.list"],
  envelope: "api",
  params: z.strictObject({}),
  value: z.array(LEGACY_CLUSTER),
  errors: [],
  examples: [{ name: "one cluster", params: {}, value: [EXAMPLE] }],
  async run(_params, call) {
    return (await call(list, {})).clusters.map(legacyCluster);
  },
});

/** `create_cluster`: the form's ClusterConfig, registered. */
export const createCluster = defineLegacy({
  name: "create_cluster",
  summary: "Register the UI's ClusterConfig (a JSON string)",
  description: "clusters.create from json_payload: id and status are ignored, null fields are " +
    "absent, queue_name is the partition, and a null remote_workdir is /home/<username>.",
  backing: ["clusters.create"],
  envelope: "api",
  params: z.strictObject({ json_payload: z.string().describe("ClusterConfig as a JSON string") }),
  value: LEGACY_CLUSTER,
  errors: ["conflict"],
  examples: [{
    name: "the New Cluster form",
    params: { json_payload: EXAMPLE_PAYLOAD },
    value: EXAMPLE,
  }],
  async run(params, call) {
    const payload = parsePayload(CLUSTER_PAYLOAD, "json_payload", params.json_payload);
    return legacyCluster(await call(create, createFields(payload)));
  },
});

/** `update_cluster`: the edit form's ClusterConfig, applied. */
export const updateCluster = defineLegacy({
  name: "update_cluster",
  summary: "Apply the UI's edited ClusterConfig (a JSON string) to a cluster",
  description: "clusters.update: key_file, queue_name, cry23_root and vasp_root are cleared by " +
    "null; a null remote_workdir and an empty setup_commands (the form cannot edit it) keep their " +
    "value; status is ignored.",
  backing: ["clusters.update"],
  envelope: "api",
  params: z.strictObject({
    cluster_id: CLUSTER_ID,
    json_payload: z.string().describe("ClusterConfig as a JSON string"),
  }),
  value: LEGACY_CLUSTER,
  errors: ["not_found", "conflict"],
  examples: [{
    name: "the edit form",
    params: { cluster_id: 1, json_payload: JSON.stringify(EXAMPLE) },
    value: EXAMPLE,
  }],
  async run(params, call) {
    const payload = parsePayload(CLUSTER_PAYLOAD, "json_payload", params.json_payload);
    // Typed loosely: clusters.update validates the merged settings, nulls that clear included.
    const changes: Record<string, unknown> = {
      name: payload.name,
      cluster_type: payload.cluster_type,
      hostname: payload.hostname,
      username: payload.username,
      key_file: payload.key_file ?? null,
      partition: payload.queue_name ?? null,
      cry23_root: payload.cry23_root ?? null,
      vasp_root: payload.vasp_root ?? null,
      ...given("port", payload.port),
      ...given("remote_workdir", payload.remote_workdir),
      ...given("max_concurrent", payload.max_concurrent),
      ...(payload.setup_commands?.length ? { setup_commands: payload.setup_commands } : {}),
    };
    return legacyCluster(await call(update, { id: params.cluster_id, ...changes } as never));
  },
});

/** `delete_cluster`: forget a cluster. */
export const deleteCluster = defineLegacy({
  name: "delete_cluster",
  summary: "Delete a cluster (refused while its jobs are active)",
  description: "clusters.delete without force; a refusal is ok:false with its message.",
  backing: ["clusters.delete"],
  envelope: "api",
  params: z.strictObject({ cluster_id: CLUSTER_ID }),
  value: z.strictObject({ success: z.boolean() }),
  errors: ["not_found", "invalid_state"],
  examples: [{ name: "delete", params: { cluster_id: 1 }, value: { success: true } }],
  async run(params, call) {
    return { success: (await call(remove, { id: params.cluster_id })).deleted };
  },
});

/** `test_cluster_connection`: connect and report. */
export const testClusterConnection = defineLegacy({
  name: "test_cluster_connection",
  summary: "Check a cluster's connection for the UI",
  description: "clusters.test. An unknown host key cannot be trusted from the UI: error names " +
    "the clusters.trust_host_key call that does it, with the fingerprint.",
  backing: ["clusters.test"],
  envelope: "api",
  params: z.strictObject({ cluster_id: CLUSTER_ID }),
  value: z.strictObject({
    success: z.boolean(),
    hostname: z.string(),
    system_info: z.string().nullable(),
    error: z.string().nullable(),
  }),
  errors: ["not_found"],
  examples: [{
    name: "a working cluster",
    params: { cluster_id: 1 },
    value: {
      success: true,
      hostname: "login.hpc.example.org",
      system_info: "Linux login01 5.14.0 #1 SMP x86_64 GNU/Linux",
      error: null,
    },
  }],
  async run(params, call) {
    const report = await call(test, { id: params.cluster_id });
    const key = report.host_key;
    const trust = key && !key.known
      ? `Host key ${key.fingerprint_sha256} is not trusted yet: check it, then run ` +
        `crystalmath-server call clusters.trust_host_key id=${params.cluster_id} ` +
        `fingerprint_sha256=${key.fingerprint_sha256}`
      : undefined;
    return {
      success: report.success,
      hostname: report.hostname,
      system_info: report.system_info,
      error: trust ?? report.error ?? null,
    };
  },
});
