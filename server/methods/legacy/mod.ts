/**
 * The compatibility layer for the terminal UI built against the old Python backend
 * (../shared/docs/tui-contract.md): every legacy method, declared once with `defineLegacy` on the
 * dotted methods. The daemon dispatches and discovers them beside the registry; removing this
 * folder (and its two uses in daemon.ts) removes them.
 *
 * @module
 */
import {
  createCluster,
  deleteCluster,
  fetchClusters,
  testClusterConnection,
  updateCluster,
} from "./clusters.ts";
import {
  cancelLegacyJob,
  fetchJobDetails,
  fetchJobLog,
  fetchJobs,
  jobStatus,
  submitLegacyJob,
  syncRemoteJobs,
} from "./jobs.ts";
import { generateLegacyD12, previewStructure, searchMaterials } from "./materials.ts";
import {
  listRecipes,
  submitRecipe,
  vaspFromMp,
  vaspValidate,
  viewOutputFile,
} from "./other_codes.ts";
import { adoptSlurmJob, cancelSlurmJob, fetchSlurmQueue } from "./slurm.ts";
import { listLegacyTemplates, renderLegacyTemplate } from "./templates.ts";
import {
  checkWorkflowsAvailable,
  createBandStructureWorkflow,
  createConvergenceStudy,
  createEosWorkflow,
  createPhononWorkflow,
} from "./workflows.ts";
import { launchAiidaGeopt } from "./aiida.ts";

export { UI_DEADLINE_MS } from "./define_legacy.ts";

/** Every legacy method, in the order the contract lists them. */
export const LEGACY_METHODS = [
  fetchJobs,
  syncRemoteJobs,
  fetchJobDetails,
  submitLegacyJob,
  cancelLegacyJob,
  fetchJobLog,
  fetchClusters,
  createCluster,
  updateCluster,
  deleteCluster,
  testClusterConnection,
  fetchSlurmQueue,
  cancelSlurmJob,
  adoptSlurmJob,
  searchMaterials,
  generateLegacyD12,
  previewStructure,
  listLegacyTemplates,
  renderLegacyTemplate,
  checkWorkflowsAvailable,
  createConvergenceStudy,
  createBandStructureWorkflow,
  createPhononWorkflow,
  createEosWorkflow,
  launchAiidaGeopt,
  jobStatus,
  viewOutputFile,
  submitRecipe,
  listRecipes,
  vaspFromMp,
  vaspValidate,
] as const;
