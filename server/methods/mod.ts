/**
 * The registry: every JSON-RPC method, declared once. Dispatch, validation, `rpc.discover`, the
 * client's types, CLI help and the README table all come from this array.
 *
 * @module
 */
import type { z } from "zod";
import { VERSION } from "../../common/version.ts";
import type { MethodDef } from "../rpc/define_method.ts";
import { buildOpenRpcDocument, type OpenRpcDocument } from "../rpc/openrpc.ts";
import { create as createCluster } from "./clusters/create.ts";
import { remove as removeCluster } from "./clusters/delete.ts";
import { get as getCluster } from "./clusters/get.ts";
import { list as listClusters } from "./clusters/list.ts";
import { test as testCluster } from "./clusters/test.ts";
import { trustHostKey } from "./clusters/trust_host_key.ts";
import { update as updateCluster } from "./clusters/update.ts";
import { adopt } from "./slurm/adopt.ts";
import { cancel as slurmCancel } from "./slurm/cancel.ts";
import { queue } from "./slurm/queue.ts";
import { sync } from "./slurm/sync.ts";
import { analyzeErrors } from "./jobs/analyze_errors.ts";
import { cancel } from "./jobs/cancel.ts";
import { remove } from "./jobs/delete.ts";
import { get } from "./jobs/get.ts";
import { getOutputFile } from "./jobs/get_output_file.ts";
import { list } from "./jobs/list.ts";
import { log } from "./jobs/log.ts";
import { submit } from "./jobs/submit.ts";
import { subscribe } from "./jobs/subscribe.ts";
import { unsubscribe } from "./jobs/unsubscribe.ts";
import { jobsChanged, jobsResyncRequired } from "./jobs/_notifications.ts";
import { discover } from "./rpc/discover.ts";
import { generateD12 } from "./materials/generate_d12.ts";
import { get as materialsGet } from "./materials/get.ts";
import { providers as materialsProviders } from "./materials/providers.ts";
import { search as materialsSearch } from "./materials/search.ts";
import { list as listTemplates } from "./templates/list.ts";
import { render as renderTemplate } from "./templates/render.ts";
import { SYSTEM_METHODS } from "./system/mod.ts";
import { available as workflowsAvailable } from "./workflows/available.ts";
import { cancel as workflowsCancel } from "./workflows/cancel.ts";
import { createBands, createConvergence, createEos, createPhonon } from "./workflows/create.ts";
import { get as workflowsGet } from "./workflows/get.ts";
import { launchAiida } from "./workflows/launch_aiida.ts";
import { list as workflowsList } from "./workflows/list.ts";
import { plot as workflowsPlot } from "./workflows/plot.ts";
import { prepare as workflowsPrepare } from "./workflows/prepare.ts";
import { workflowsChanged } from "./workflows/_notifications.ts";

/** Every method, in the order discovery lists them. */
export const METHODS = [
  ...SYSTEM_METHODS,
  discover,
  submit,
  list,
  get,
  log,
  cancel,
  remove,
  analyzeErrors,
  getOutputFile,
  subscribe,
  unsubscribe,
  createCluster,
  listClusters,
  getCluster,
  updateCluster,
  removeCluster,
  testCluster,
  trustHostKey,
  queue,
  slurmCancel,
  adopt,
  sync,
  materialsSearch,
  materialsGet,
  materialsProviders,
  generateD12,
  listTemplates,
  renderTemplate,
  workflowsAvailable,
  createConvergence,
  createEos,
  createPhonon,
  createBands,
  workflowsPrepare,
  launchAiida,
  workflowsList,
  workflowsGet,
  workflowsCancel,
  workflowsPlot,
] as const;

/** Every notification the daemon pushes, in the order discovery lists them. */
export const NOTIFICATIONS = [jobsChanged, jobsResyncRequired, workflowsChanged] as const;

/** The registry's type, for inference. */
export type Registry = typeof METHODS;
/** The name of any method. */
export type MethodName = Registry[number]["name"];
type DefOf<M extends MethodName> = Extract<Registry[number], { name: M }>;
/** The params a client sends for method `M`. */
export type ParamsOf<M extends MethodName> = z.input<DefOf<M>["params"]>;
/** The result a client receives from method `M`. */
export type ResultOf<M extends MethodName> = z.output<DefOf<M>["result"]>;

/** The name of any notification. */
export type NotificationName = typeof NOTIFICATIONS[number]["name"];
/** The params of notification `N`, as a client receives them. */
export type NotificationParamsOf<N extends NotificationName> = z.output<
  Extract<typeof NOTIFICATIONS[number], { name: N }>["params"]
>;

/**
 * The OpenRPC document `rpc.discover` returns, built from the registry and the methods kept for
 * older clients (`legacy`), which follow it.
 */
export function discoveryDocument(
  legacy: readonly MethodDef<string, z.ZodObject, z.ZodType>[] = [],
): OpenRpcDocument {
  return buildOpenRpcDocument([...METHODS, ...legacy], NOTIFICATIONS, {
    title: "crystalmath-server",
    version: VERSION,
    description: "JSON-RPC 2.0 backend of CrystalMath: CRYSTAL calculations, locally and on SLURM",
  });
}
