/**
 * The old Python backend's database (tui-contract §9, schema version 9), built with node:sqlite
 * from the schema the contract gives, with a completed, a failed, a running and a pending job,
 * two clusters (one named as the daemon's schema refuses), a dependency and a workflow_id.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";

/** The old backend's schema (version 9), the tables the contract lists, with a few rows. */
export function makeLegacyDb(path: string): void {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec(`
    CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP);
    CREATE TABLE clusters (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,
      type TEXT NOT NULL, hostname TEXT NOT NULL, port INTEGER NOT NULL DEFAULT 22,
      username TEXT NOT NULL, connection_config TEXT NOT NULL, status TEXT NOT NULL DEFAULT
      'active', created_at TIMESTAMP, updated_at TIMESTAMP, cry23_root TEXT, vasp_root TEXT,
      setup_commands TEXT);
    CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,
      work_dir TEXT NOT NULL UNIQUE, status TEXT NOT NULL, created_at TIMESTAMP DEFAULT
      CURRENT_TIMESTAMP, started_at TIMESTAMP, completed_at TIMESTAMP, pid INTEGER,
      input_file TEXT, final_energy REAL, key_results TEXT, cluster_id INTEGER REFERENCES
      clusters(id) ON DELETE SET NULL, runner_type TEXT DEFAULT 'local', parallelism_config TEXT,
      queue_time TIMESTAMP, start_time TIMESTAMP, end_time TIMESTAMP, dft_code TEXT DEFAULT
      'crystal', workflow_id TEXT);
    CREATE TABLE remote_jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL
      REFERENCES jobs(id) ON DELETE CASCADE, cluster_id INTEGER NOT NULL REFERENCES clusters(id),
      remote_handle TEXT NOT NULL, submission_time TIMESTAMP, queue_name TEXT, node_list TEXT,
      working_directory TEXT NOT NULL, stdout_path TEXT, stderr_path TEXT, metadata TEXT);
    CREATE TABLE job_dependencies (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL
      REFERENCES jobs(id), depends_on_job_id INTEGER NOT NULL REFERENCES jobs(id),
      dependency_type TEXT DEFAULT 'after_ok', UNIQUE (job_id, depends_on_job_id));
    CREATE TABLE job_results (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL
      UNIQUE REFERENCES jobs(id), key_results TEXT, convergence_status TEXT, scf_cycles INTEGER,
      cpu_time_seconds REAL, wall_time_seconds REAL, created_at TIMESTAMP);
  `);
  for (let v = 1; v <= 9; v++) {
    db.prepare("INSERT INTO schema_version VALUES (?, '2026-01-01 12:00:00')").run(v);
  }
  db.exec(`INSERT INTO clusters (id, name, type, hostname, username, connection_config)
    VALUES (1, 'hpc', 'slurm', 'hpc.example.org', 'jdoe',
              '{"remote_workdir": "/scratch/jdoe", "queue_name": "standard", "max_concurrent": 4}'),
           (2, 'my cluster', 'ssh', 'box.example.org', 'jdoe', '{"remote_workdir": null}')`);
  db.exec(`INSERT INTO jobs (id, name, work_dir, status, created_at, started_at, completed_at,
      pid, input_file, final_energy, key_results, cluster_id, runner_type, parallelism_config,
      workflow_id)
    VALUES
      (7, 'mgo', '/tmp/calculations/0007_mgo', 'COMPLETED', '2026-01-02 10:00:00',
        '2026-01-02 10:01:00', '2026-01-02 11:01:00', NULL, '${DECK}', -275.4,
        '{"band_gap_ev": 7.8}', 1, 'slurm', '{"mpi_ranks": 4}', 'wf_1'),
      (8, 'mgo-bad', '/tmp/calculations/0008_mgo-bad', 'FAILED', '2026-01-02 10:00:00', NULL,
        NULL, NULL, '${DECK}', NULL, NULL, NULL, 'local', NULL, NULL),
      (9, 'mgo-run', '/tmp/calculations/0009_mgo-run', 'RUNNING', '2026-01-03 09:00:00',
        '2026-01-03 09:00:05', NULL, ${Deno.pid}, '${DECK}', NULL, NULL, NULL, 'local', NULL,
        NULL),
      (10, 'mgo-next', '/tmp/calculations/0010_mgo-next', 'PENDING', '2026-01-03 09:00:00',
        NULL, NULL, NULL, '${DECK}', NULL, NULL, 2, 'ssh', NULL, 'wf_1')`);
  db.exec(`INSERT INTO job_results (job_id, convergence_status, scf_cycles, cpu_time_seconds,
      wall_time_seconds) VALUES (7, 'converged', 12, 3500.5, 3600)`);
  db.exec(`INSERT INTO remote_jobs (job_id, cluster_id, remote_handle, queue_name,
      working_directory) VALUES (7, 1, '123456', 'standard', '/scratch/jdoe/0007_mgo')`);
  db.exec("INSERT INTO job_dependencies (job_id, depends_on_job_id) VALUES (10, 7)");
  db.close();
}

/** The deck every legacy job carries as its input_file. */
export const DECK = "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0.0 0.0 0.0\n8 0.5 0.5 0.5\nEND\n";
