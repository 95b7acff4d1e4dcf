/**
 * The one-time import of the old Python backend's database (tui-contract §9) into the daemon's
 * store: its clusters, then its jobs, in one transaction with the record that the file was
 * imported, so that a restart imports nothing again. The file is only read, read-only.
 *
 * Rules:
 * - Ids are kept where free (a job pk no job has or had, a cluster id no cluster has), else the
 *   next one is given and links (cluster_id, dependencies) follow.
 * - A cluster name the daemon refuses is renamed: each run of characters other than letters,
 *   digits, '.', '_' and '-' becomes '-', leading characters that are not a letter or digit go, it
 *   is cut to 64; an empty or taken result gets `-<old id>` (or is `cluster-<old id>`). A null
 *   `remote_workdir` becomes `/home/<user>`, as create_cluster does. A cluster still refused is
 *   skipped with the reason, and its jobs lose the link.
 * - COMPLETED, FAILED and CANCELLED keep their state. PENDING, QUEUED and RUNNING had no run this
 *   daemon started: they are imported as failed (a terminal state no runner reconciles, resubmits
 *   or adopts), with a state_reason that says so.
 *
 * @module
 */
import { z } from "zod";
import { CLUSTER_FIELDS, clusterFields } from "../clusters/cluster.ts";
import { HARTREE_TO_EV } from "../crystal/output_parser.ts";
import { clusterTaken, insertClusterWithId, nextClusterId } from "../db/clusters.ts";
import {
  findLegacyImport,
  insertLegacyImport,
  type LegacyClusterRow,
  type LegacyContents,
  type LegacyJobRow,
  readLegacyDatabase,
  type TuiImportReport,
} from "../db/legacy_tui.ts";
import type { Database } from "../db/open.ts";
import type { JobStore } from "../jobs/store.ts";
import type { ImportedJob, RunnerType } from "../model/job.ts";
import type { JobState } from "../model/job_state.ts";

/** The reason on a job imported in its own, terminal, state. */
const IMPORTED = "imported from the old backend";

const STATES: Record<string, JobState> = {
  COMPLETED: "completed",
  FAILED: "failed",
  CANCELLED: "cancelled",
};

/** Legacy states of jobs that were still to run or running when the old backend stopped. */
const ACTIVE = new Set(["PENDING", "QUEUED", "RUNNING"]);

const CLUSTER_INPUT = z.object(CLUSTER_FIELDS);

async function sha256Of(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** SQLite's `YYYY-MM-DD HH:MM:SS` (UTC, no zone) as ISO-8601; null when absent or unreadable. */
export function isoOfLegacyTime(value: string | null): string | null {
  if (value === null || value === "") return null;
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})?$/
    .exec(value.trim());
  const date = match ? new Date(`${match[1]}T${match[2]}${match[3] ?? "Z"}`) : new Date(Number.NaN);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function jsonObject(text: string | null): Record<string, unknown> {
  if (text === null) return {};
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

/** The rename rule of the module comment; `taken` says whether a name is in use. */
export function legacyClusterName(name: string, id: number, taken: (n: string) => boolean): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 64);
  if (cleaned !== "" && !taken(cleaned)) return cleaned;
  return `${(cleaned || "cluster").slice(0, 63 - String(id).length)}-${id}`;
}

function clusterInput(row: LegacyClusterRow, name: string) {
  const config = jsonObject(row.connection_config);
  let setup: unknown = [];
  try {
    setup = row.setup_commands === null ? [] : JSON.parse(row.setup_commands);
  } catch {
    setup = []; // Bad JSON read as empty, as the old backend did.
  }
  const given = (key: string, value: unknown) =>
    value === null || value === undefined ? {} : { [key]: value };
  return CLUSTER_INPUT.safeParse({
    name,
    cluster_type: row.type,
    hostname: row.hostname,
    port: row.port,
    username: row.username,
    remote_workdir: config.remote_workdir ?? `/home/${row.username}`,
    ...given("key_file", config.key_file),
    ...given("partition", config.queue_name),
    ...given("max_concurrent", config.max_concurrent),
    ...given("cry23_root", row.cry23_root),
    ...given("vasp_root", row.vasp_root),
    setup_commands: Array.isArray(setup) ? setup : [],
  });
}

/** Inserts the clusters; returns old id → new id for those imported. */
function importClusters(
  c: Database,
  rows: readonly LegacyClusterRow[],
  report: TuiImportReport,
  at: string,
): Map<number, number> {
  const ids = new Map<number, number>();
  for (const row of rows) {
    const name = legacyClusterName(row.name, row.id, (n) => clusterTaken(c, { name: n }));
    const parsed = clusterInput(row, name);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      report.skipped.push({
        table: "clusters",
        id: row.id,
        reason: `${issue?.path.join(".") || "cluster"}: ${issue?.message ?? "refused"}`,
      });
      continue;
    }
    const id = clusterTaken(c, { id: row.id }) ? nextClusterId(c) : row.id;
    const created = isoOfLegacyTime(row.created_at) ?? at;
    insertClusterWithId(c, id, clusterFields(parsed.data), {
      created_at: created,
      updated_at: isoOfLegacyTime(row.updated_at) ?? created,
    });
    if (name !== row.name) {
      report.changed.push({ table: "clusters", id: row.id, change: `renamed to "${name}"` });
    }
    if (id !== row.id) report.changed.push({ table: "clusters", id: row.id, change: `id ${id}` });
    ids.set(row.id, id);
    report.clusters++;
  }
  return ids;
}

function resultsOf(row: LegacyJobRow): string | null {
  const key = { ...jsonObject(row.key_results), ...jsonObject(row.result_key_results) };
  const gap = [key.band_gap_ev, key.bandgap_ev, key.band_gap].find((v) => typeof v === "number");
  const results = {
    final_energy_ev: row.final_energy === null ? null : row.final_energy * HARTREE_TO_EV,
    convergence_met: row.convergence_status === null
      ? null
      : row.convergence_status === "converged",
    scf_cycles: row.scf_cycles,
    cpu_time_seconds: row.cpu_time_seconds,
    wall_time_seconds: row.wall_time_seconds,
    band_gap_ev: gap ?? null,
    status_reason: IMPORTED,
  };
  return JSON.stringify(results);
}

function jobOf(row: LegacyJobRow, clusters: Map<number, number>, at: string): ImportedJob {
  const runner: RunnerType = row.runner_type === "slurm" || row.runner_type === "ssh"
    ? row.runner_type
    : "local";
  const active = ACTIVE.has(row.status);
  const state: JobState = STATES[row.status] ?? "failed";
  const reason = active
    ? `${IMPORTED} while ${row.status}; not run, resubmitted or tracked by this daemon`
    : STATES[row.status]
    ? `${IMPORTED} (job ${row.id})`
    : `${IMPORTED} with an unknown status "${row.status}"`;
  const ranks = jsonObject(row.parallelism_config).mpi_ranks;
  const created = isoOfLegacyTime(row.created_at) ?? at;
  return {
    pk: row.id,
    uuid: crypto.randomUUID(),
    name: row.name,
    dft_code: row.dft_code ?? "crystal",
    runner_type: runner,
    cluster_id: row.cluster_id === null ? null : clusters.get(row.cluster_id) ?? null,
    input: row.input_file ?? "",
    properties_input: null,
    restart_from: null,
    tags: ["imported"],
    resources: {
      ...(typeof ranks === "number" && Number.isInteger(ranks) && ranks >= 1
        ? { mpi_ranks: ranks }
        : {}),
      ...(row.queue_name ? { partition: row.queue_name } : {}),
    },
    output_name: "output",
    workflow_id: row.workflow_id,
    state,
    state_reason: reason,
    work_dir: row.work_dir,
    created_at: created,
    started_at: isoOfLegacyTime(row.started_at) ?? isoOfLegacyTime(row.start_time),
    // A job that was still active ends, for this daemon, when it is imported.
    finished_at: active ? at : isoOfLegacyTime(row.completed_at) ?? isoOfLegacyTime(row.end_time),
    results_json: resultsOf(row),
    final_energy: row.final_energy,
    slurm_job_id: runner === "slurm" ? row.remote_handle : null,
    remote_dir: runner === "local" ? null : row.remote_dir,
  };
}

function emptyReport(sha256: string): TuiImportReport {
  return {
    status: "imported",
    imported_at: null,
    sha256,
    jobs: 0,
    clusters: 0,
    skipped: [],
    changed: [],
    message: "",
  };
}

/**
 * Imports the old database at `path` once. A file imported before (at this path, or with this
 * sha256 at another) is not imported again: the stored report comes back, as
 * changed_since_import when the file at this path has another sha256 now.
 */
export async function importTuiDb(path: string, store: JobStore): Promise<TuiImportReport> {
  let sha256: string;
  try {
    sha256 = await sha256Of(path);
  } catch (error) {
    return { ...emptyReport(""), status: "failed", message: `cannot read it: ${messageOf(error)}` };
  }
  const before = findLegacyImport(store.db, path, sha256);
  if (before !== undefined) {
    const stored = JSON.parse(before.report_json) as TuiImportReport;
    if (before.sha256 === sha256) {
      const from = before.path === path ? "" : ` from "${before.path}", the same file`;
      return {
        ...stored,
        status: "already_imported",
        message: `imported on ${before.imported_at}${from}: ${stored.message}`,
      };
    }
    return {
      ...stored,
      status: "changed_since_import",
      message: `imported on ${before.imported_at} (${stored.message}); the file changed since ` +
        `(sha256 ${before.sha256.slice(0, 12)}… then, ${sha256.slice(0, 12)}… now) and its ` +
        "changes are not imported",
    };
  }
  let contents: LegacyContents;
  try {
    contents = readLegacyDatabase(path);
  } catch (error) {
    return {
      ...emptyReport(sha256),
      status: "failed",
      message: `cannot read it as the old backend's schema: ${messageOf(error)}`,
    };
  }
  try {
    return await importAll(path, sha256, contents, store);
  } catch (error) {
    return {
      ...emptyReport(sha256),
      status: "failed",
      message: `not imported: ${messageOf(error)}`,
    };
  }
}

async function importAll(
  path: string,
  sha256: string,
  contents: LegacyContents,
  store: JobStore,
): Promise<TuiImportReport> {
  let report = emptyReport(sha256);
  await store.importJobs((c, at) => {
    report = emptyReport(sha256); // A retried transaction starts again.
    report.imported_at = at;
    const clusters = importClusters(c, contents.clusters, report, at);
    const ids = new Set(contents.jobs.map((j) => j.id));
    const depends = new Map<number, number[]>();
    for (const d of contents.dependencies) {
      if (!ids.has(d.depends_on_job_id)) continue;
      depends.set(d.job_id, [...(depends.get(d.job_id) ?? []), d.depends_on_job_id]);
    }
    return contents.jobs.map((row) => {
      if (row.cluster_id !== null && !clusters.has(row.cluster_id)) {
        report.changed.push({
          table: "jobs",
          id: row.id,
          change: `cluster ${row.cluster_id} was not imported: no cluster link`,
        });
      }
      return { ...jobOf(row, clusters, at), depends_on: depends.get(row.id) ?? [] };
    });
  }, {
    reason: IMPORTED,
    finish(c, rows) {
      rows.forEach((row, i) => {
        const old = contents.jobs[i]!.id;
        if (row.pk !== old) report.changed.push({ table: "jobs", id: old, change: `pk ${row.pk}` });
      });
      report.jobs = rows.length;
      const active = contents.jobs.filter((j) => ACTIVE.has(j.status)).length;
      report.message = `${report.jobs} jobs and ${report.clusters} clusters imported` +
        (active
          ? `; ${active} that were pending or running were imported as failed, not run`
          : "") +
        (report.skipped.length ? `; ${report.skipped.length} rows skipped` : "");
      insertLegacyImport(c, {
        path,
        sha256,
        imported_at: report.imported_at!,
        jobs: report.jobs,
        clusters: report.clusters,
        report_json: JSON.stringify(report),
      });
    },
  });
  return report;
}
