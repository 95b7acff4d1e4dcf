/**
 * All SQL for the old Python backend's database (tui-contract §9), read-only, and for the
 * `legacy_imports` table that records which such files were imported into the store.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import type { Database } from "./open.ts";

/** A `jobs` row of the old backend, with its `job_results` and `remote_jobs` rows joined. */
export interface LegacyJobRow {
  id: number;
  name: string;
  work_dir: string;
  status: string;
  created_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  input_file: string | null;
  final_energy: number | null;
  key_results: string | null;
  cluster_id: number | null;
  runner_type: string | null;
  parallelism_config: string | null;
  start_time: string | null;
  end_time: string | null;
  dft_code: string | null;
  workflow_id: string | null;
  result_key_results: string | null;
  convergence_status: string | null;
  scf_cycles: number | null;
  cpu_time_seconds: number | null;
  wall_time_seconds: number | null;
  remote_handle: string | null;
  remote_dir: string | null;
  queue_name: string | null;
}

/** A `clusters` row of the old backend. */
export interface LegacyClusterRow {
  id: number;
  name: string;
  type: string;
  hostname: string;
  port: number;
  username: string;
  connection_config: string;
  created_at: string | null;
  updated_at: string | null;
  cry23_root: string | null;
  vasp_root: string | null;
  setup_commands: string | null;
}

/** Everything the import needs from an old-backend database. */
export interface LegacyContents {
  jobs: LegacyJobRow[];
  clusters: LegacyClusterRow[];
  dependencies: { job_id: number; depends_on_job_id: number }[];
}

function tablesOf(db: DatabaseSync): Set<string> {
  return new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[]).map((t) => t.name),
  );
}

/**
 * Reads the jobs, clusters and dependencies of the old database at `path`, opened read-only (no
 * pragma that writes). Tables the old schema added late (`job_results`, `remote_jobs`,
 * `job_dependencies`) may be absent.
 * @throws {Error} from SQLite when the file cannot be read as that schema
 */
export function readLegacyDatabase(path: string): LegacyContents {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const tables = tablesOf(db);
    const results = tables.has("job_results");
    const remote = tables.has("remote_jobs");
    const jobs = db.prepare(
      `SELECT j.id, j.name, j.work_dir, j.status, j.created_at, j.started_at, j.completed_at,
         j.input_file, j.final_energy, j.key_results, j.cluster_id, j.runner_type,
         j.parallelism_config, j.start_time, j.end_time, j.dft_code, j.workflow_id,
         ${
        results
          ? "r.key_results AS result_key_results, r.convergence_status, r.scf_cycles, " +
            "r.cpu_time_seconds, r.wall_time_seconds"
          : "NULL AS result_key_results, NULL AS convergence_status, NULL AS scf_cycles, " +
            "NULL AS cpu_time_seconds, NULL AS wall_time_seconds"
      },
         ${
        remote
          ? "rj.remote_handle, rj.working_directory AS remote_dir, rj.queue_name"
          : "NULL AS remote_handle, NULL AS remote_dir, NULL AS queue_name"
      }
       FROM jobs j
       ${results ? "LEFT JOIN job_results r ON r.job_id = j.id" : ""}
       ${
        remote
          ? "LEFT JOIN remote_jobs rj ON rj.id = (SELECT MAX(id) FROM remote_jobs WHERE job_id = j.id)"
          : ""
      }
       ORDER BY j.id`,
    ).all() as unknown as LegacyJobRow[];
    const clusters = tables.has("clusters")
      ? db.prepare(
        `SELECT id, name, type, hostname, port, username, connection_config, created_at,
           updated_at, cry23_root, vasp_root, setup_commands FROM clusters ORDER BY id`,
      ).all() as unknown as LegacyClusterRow[]
      : [];
    const dependencies = tables.has("job_dependencies")
      ? db.prepare("SELECT job_id, depends_on_job_id FROM job_dependencies ORDER BY id")
        .all() as unknown as LegacyContents["dependencies"]
      : [];
    return { jobs, clusters, dependencies };
  } finally {
    db.close();
  }
}

/** A `legacy_imports` row: one imported file. */
export interface LegacyImportRow {
  path: string;
  sha256: string;
  imported_at: string;
  jobs: number;
  clusters: number;
  report_json: string;
}

/**
 * The record of the import of `path`, or of a file with the same sha256 elsewhere (the same
 * database moved or copied), if one was imported.
 */
export function findLegacyImport(
  db: Database,
  path: string,
  sha256: string,
): LegacyImportRow | undefined {
  return db.prepare(
    `SELECT * FROM legacy_imports WHERE path = ? OR sha256 = ?
     ORDER BY path = ? DESC, imported_at LIMIT 1`,
  ).get(path, sha256, path) as LegacyImportRow | undefined;
}

/** Records that `path` was imported; inside the import's transaction. */
export function insertLegacyImport(c: Database, row: LegacyImportRow): void {
  c.prepare(
    `INSERT INTO legacy_imports (path, sha256, imported_at, jobs, clusters, report_json)
     VALUES (?, ?, ?, ?, ?, ?)`,
  ).run(row.path, row.sha256, row.imported_at, row.jobs, row.clusters, row.report_json);
}

/** What became of an old-backend database: kept in `report_json` and shown in system.status. */
export interface TuiImportReport {
  /**
   * imported: now; already_imported: at an earlier start, the file unchanged since;
   * changed_since_import: imported earlier, the file changed since and its changes are not
   * imported; failed: it could not be read, nothing was imported.
   */
  status: "imported" | "already_imported" | "changed_since_import" | "failed";
  /** When it was imported; null when it failed. */
  imported_at: string | null;
  /** The file's sha256 at the import (or now, when it failed). */
  sha256: string;
  jobs: number;
  clusters: number;
  /** Rows not imported, and why. */
  skipped: { table: "jobs" | "clusters"; id: number; reason: string }[];
  /** Rows imported with a change: a renamed cluster, a new pk, a link dropped. */
  changed: { table: "jobs" | "clusters"; id: number; change: string }[];
  /** One sentence for the log and the UI. */
  message: string;
}
