/**
 * The terminal UI's database path (CRYSTAL_TUI_DB, tui-contract §9): a file the old Python
 * backend made, or one that is no database at all, is left byte for byte as it was, and the
 * daemon still starts, with its store in its data directory, and says what it found.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { ServerError } from "../../client/errors.ts";
import { SocketClient } from "../../client/socket_client.ts";
import { cliCommand, makeSandbox, type Sandbox, waitForPing } from "../_harness.ts";

/** The old backend's schema (version 9) in the parts the contract lists, with a few rows. */
function makeLegacyDb(path: string): void {
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
    CREATE TABLE job_results (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL
      UNIQUE REFERENCES jobs(id), key_results TEXT, convergence_status TEXT, scf_cycles INTEGER,
      cpu_time_seconds REAL, wall_time_seconds REAL, created_at TIMESTAMP);
  `);
  for (let v = 1; v <= 9; v++) {
    db.prepare("INSERT INTO schema_version VALUES (?, '2026-01-01 12:00:00')").run(v);
  }
  db.exec(`INSERT INTO clusters (name, type, hostname, username, connection_config)
    VALUES ('my cluster', 'slurm', 'hpc.example.org', 'jdoe', '{"remote_workdir": null}')`);
  db.exec(`INSERT INTO jobs (id, name, work_dir, status, input_file, final_energy)
    VALUES (7, 'mgo', '/tmp/calculations/0007_mgo', 'COMPLETED', 'MgO', -275.4),
           (8, 'mgo2', '/tmp/calculations/0008_mgo2', 'RUNNING', 'MgO', NULL)`);
  db.close();
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Runs the daemon as the UI does: `--socket` only, with CRYSTAL_TUI_DB set. */
async function serveWithTuiDb(box: Sandbox, tuiDb: string): Promise<AsyncDisposable> {
  const { command, args } = cliCommand(["serve", "--socket", box.socket, "--log-file", box.log]);
  const child = new Deno.Command(command, {
    args,
    env: { ...box.env, CRYSTAL_TUI_DB: tuiDb },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitForPing(box.socket);
  return {
    async [Symbol.asyncDispose]() {
      child.kill("SIGKILL");
      await child.status;
    },
  };
}

interface Status {
  db_path: string;
  tui_db: { path: string; kind: string; detail: string; action: string } | null;
}

for (
  const { what, make, kind, detail } of [
    {
      what: "the old backend's database",
      make: makeLegacyDb,
      kind: "legacy_tui",
      detail: /old CrystalMath backend's database \(schema 9\)/,
    },
    {
      what: "a file that is not SQLite",
      make: (path: string) => Deno.writeTextFileSync(path, "not a database\n".repeat(100)),
      kind: "foreign",
      detail: /not an SQLite database/,
    },
  ]
) {
  Deno.test(`the daemon starts on ${what} at CRYSTAL_TUI_DB and leaves it unchanged`, async () => {
    await using box = await makeSandbox();
    const path = join(box.dir, "jobs.db");
    make(path);
    const before = await sha256(path);
    {
      await using _daemon = await serveWithTuiDb(box, path);
      await using client = new SocketClient(box.socket, { timeoutMs: 10_000 });
      const status = await client.request("system.status", {}) as Status;
      assert.equal(status.db_path, join(box.env.XDG_DATA_HOME, "crystalmath", "crystalmath.db"));
      assert.equal(status.tui_db?.path, path);
      assert.equal(status.tui_db?.kind, kind);
      assert.match(status.tui_db?.detail ?? "", detail);
      assert.match(status.tui_db?.action ?? "", /left untouched/);
      // The UI shows no stderr: its first fetch_jobs says what was found, the next one lists.
      await assert.rejects(
        client.request("fetch_jobs", null),
        (error: unknown) =>
          error instanceof ServerError && error.code === -32000 &&
          error.message.includes(path) && /left untouched/.test(error.message),
      );
      assert.deepEqual(await client.request("fetch_jobs", null), []);
      const log = await Deno.readTextFile(box.log);
      assert.match(log, /CRYSTAL_TUI_DB/);
    }
    assert.equal(await sha256(path), before);
  });
}
