/**
 * The terminal UI's database path (CRYSTAL_TUI_DB, tui-contract §9): a file the old Python
 * backend made, or one that is no database at all, is left byte for byte as it was, and the
 * daemon still starts, with its store in its data directory, and says what it found. The old
 * backend's jobs and clusters are imported into that store once, and never run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { ServerError } from "../../client/errors.ts";
import { SocketClient } from "../../client/socket_client.ts";
import { cliCommand, makeSandbox, type Sandbox, waitForPing } from "../_harness.ts";
import { DECK, makeLegacyDb } from "../_legacy_db.ts";

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
  tui_db: {
    path: string;
    kind: string;
    detail: string;
    action: string;
    import: {
      status: string;
      imported_at: string | null;
      sha256: string;
      jobs: number;
      clusters: number;
      skipped: { table: string; id: number; reason: string }[];
      changed: { table: string; id: number; change: string }[];
      message: string;
    } | null;
  } | null;
}

for (
  const { what, make, kind, detail } of [
    {
      what: "a file that is not SQLite",
      make: (path: string) => Deno.writeTextFileSync(path, "not a database\n".repeat(100)),
      kind: "foreign",
      detail: /not an SQLite database/,
    },
    {
      what: "an SQLite file with an unknown schema",
      make: (path: string) => {
        const db = new DatabaseSync(path);
        db.exec("CREATE TABLE jobs (id INTEGER PRIMARY KEY, what TEXT)");
        db.close();
      },
      kind: "foreign",
      detail: /unknown schema \(tables jobs\)/,
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

Deno.test("no store is made at a CRYSTAL_TUI_DB path where no file is", async () => {
  await using box = await makeSandbox();
  const path = join(box.dir, "crystal-tui", "jobs.db");
  await Deno.mkdir(join(box.dir, "crystal-tui"));
  {
    await using _daemon = await serveWithTuiDb(box, path);
    await using client = new SocketClient(box.socket, { timeoutMs: 10_000 });
    const status = await client.request("system.status", {}) as Status;
    assert.equal(status.db_path, join(box.env.XDG_DATA_HOME, "crystalmath", "crystalmath.db"));
    assert.equal(status.tui_db?.kind, "absent");
    assert.match(status.tui_db?.action ?? "", /nothing made there/);
    // Nothing to say: the UI's first fetch_jobs lists straight away.
    assert.deepEqual(await client.request("fetch_jobs", null), []);
  }
  assert.deepEqual([...Deno.readDirSync(join(box.dir, "crystal-tui"))], []);
});

interface Job {
  pk: number;
  state: string;
  state_reason: string | null;
  cluster_id: number | null;
  runner_type: string;
  workflow_id: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  final_energy: number | null;
  final_energy_ev: number | null;
  convergence_met: boolean | null;
  scf_cycles: number | null;
  band_gap_ev: number | null;
  input: string;
  work_dir: string | null;
  pid: number | null;
  slurm_job_id: string | null;
  remote_dir: string | null;
  resources: Record<string, unknown>;
  depends_on: number[];
  updated_at?: string;
  history: { from_state: string | null; to_state: string; reason: string | null }[];
}

async function jobsOf(client: SocketClient): Promise<Map<number, Job>> {
  const { jobs } = await client.request("jobs.list", { limit: 100 }) as { jobs: { pk: number }[] };
  const out = new Map<number, Job>();
  for (const { pk } of jobs) out.set(pk, await client.request("jobs.get", { pk }) as Job);
  return out;
}

Deno.test("the old backend's jobs and clusters are imported once, the file left unchanged", async () => {
  await using box = await makeSandbox();
  const path = join(box.dir, "jobs.db");
  makeLegacyDb(path);
  const before = await sha256(path);
  let first: Map<number, Job>;
  {
    await using _daemon = await serveWithTuiDb(box, path);
    await using client = new SocketClient(box.socket, { timeoutMs: 10_000 });
    const status = await client.request("system.status", {}) as Status;
    assert.equal(status.db_path, join(box.env.XDG_DATA_HOME, "crystalmath", "crystalmath.db"));
    assert.equal(status.tui_db?.kind, "legacy_tui");
    assert.match(status.tui_db?.detail ?? "", /old CrystalMath backend's database \(schema 9\)/);
    assert.match(status.tui_db?.action ?? "", /left untouched/);
    const done = status.tui_db?.import;
    assert.equal(done?.status, "imported");
    assert.equal(done?.sha256, before);
    assert.equal(done?.jobs, 4);
    assert.equal(done?.clusters, 2);
    assert.deepEqual(done?.skipped, []);
    assert.deepEqual(done?.changed, [
      { table: "clusters", id: 2, change: 'renamed to "my-cluster"' },
    ]);
    assert.match(done?.message ?? "", /4 jobs and 2 clusters imported; 2 that were pending/);

    const jobs = await jobsOf(client);
    first = jobs;
    assert.deepEqual([...jobs.keys()].sort((a, b) => a - b), [7, 8, 9, 10]);
    const done7 = jobs.get(7)!;
    assert.equal(done7.state, "completed");
    assert.equal(done7.final_energy, -275.4);
    // -275.4 Ha × 27.211386245988 eV/Ha.
    assert.ok(Math.abs(done7.final_energy_ev! - -7494.0157721451) < 1e-6);
    assert.equal(done7.convergence_met, true);
    assert.equal(done7.scf_cycles, 12);
    assert.equal(done7.band_gap_ev, 7.8);
    assert.equal(done7.input, DECK);
    assert.equal(done7.work_dir, "/tmp/calculations/0007_mgo");
    assert.equal(done7.cluster_id, 1);
    assert.equal(done7.runner_type, "slurm");
    assert.equal(done7.slurm_job_id, "123456");
    assert.equal(done7.remote_dir, "/scratch/jdoe/0007_mgo");
    assert.deepEqual(done7.resources, { mpi_ranks: 4, partition: "standard" });
    assert.equal(done7.workflow_id, "wf_1");
    assert.equal(done7.created_at, "2026-01-02T10:00:00.000Z");
    assert.equal(done7.started_at, "2026-01-02T10:01:00.000Z");
    assert.equal(done7.finished_at, "2026-01-02T11:01:00.000Z");
    assert.equal(jobs.get(8)!.state, "failed");
    assert.match(jobs.get(8)!.state_reason ?? "", /imported from the old backend \(job 8\)/);
    for (const [pk, was] of [[9, "RUNNING"], [10, "PENDING"]] as const) {
      const job = jobs.get(pk)!;
      assert.equal(job.state, "failed");
      assert.match(job.state_reason ?? "", new RegExp(`while ${was}; not run`));
      assert.equal(job.pid, null);
    }
    assert.equal(jobs.get(10)!.cluster_id, 2);
    assert.equal(jobs.get(10)!.workflow_id, "wf_1");
    assert.deepEqual(jobs.get(10)!.depends_on, [7]);

    const { clusters } = await client.request("clusters.list", {}) as {
      clusters: { id: number; name: string; partition: string | null; remote_workdir: string }[];
    };
    assert.deepEqual(
      clusters.map((c) => [c.id, c.name, c.partition, c.remote_workdir]),
      [[1, "hpc", "standard", "/scratch/jdoe"], [2, "my-cluster", null, "/home/jdoe"]],
    );
    // The UI's own list: imported, so its first fetch_jobs lists at once.
    const legacy = await client.request("fetch_jobs", null) as { pk: number; state: string }[];
    assert.deepEqual(
      legacy.map((j) => [j.pk, j.state]).sort((a, b) => Number(a[0]) - Number(b[0])),
      [[7, "COMPLETED"], [8, "FAILED"], [9, "FAILED"], [10, "FAILED"]],
    );
    assert.match(await Deno.readTextFile(box.log), /4 jobs and 2 clusters imported/);
  }
  {
    // A restart imports nothing again and leaves the jobs that were running alone.
    await using _daemon = await serveWithTuiDb(box, path);
    await using client = new SocketClient(box.socket, { timeoutMs: 10_000 });
    const status = await client.request("system.status", {}) as Status;
    assert.equal(status.tui_db?.import?.status, "already_imported");
    assert.equal(status.tui_db?.import?.jobs, 4);
    const jobs = await jobsOf(client);
    assert.deepEqual([...jobs.keys()].sort((a, b) => a - b), [7, 8, 9, 10]);
    for (const pk of [9, 10]) {
      assert.deepEqual(jobs.get(pk), first.get(pk));
      assert.equal(jobs.get(pk)!.history.length, 1);
    }
    const { clusters } = await client.request("clusters.list", {}) as { clusters: unknown[] };
    assert.equal(clusters.length, 2);
  }
  assert.equal(await sha256(path), before);
  {
    // A file changed since its import is not imported again, and the UI is told.
    const db = new DatabaseSync(path);
    db.exec(`INSERT INTO jobs (id, name, work_dir, status) VALUES (11, 'new', '/tmp/x', 'FAILED')`);
    db.close();
    await using _daemon = await serveWithTuiDb(box, path);
    await using client = new SocketClient(box.socket, { timeoutMs: 10_000 });
    const status = await client.request("system.status", {}) as Status;
    assert.equal(status.tui_db?.import?.status, "changed_since_import");
    assert.match(status.tui_db?.import?.message ?? "", /changes are not imported/);
    await assert.rejects(
      client.request("fetch_jobs", null),
      (error: unknown) =>
        error instanceof ServerError && /changes are not imported/.test(error.message),
    );
    assert.equal((await client.request("fetch_jobs", null) as unknown[]).length, 4);
  }
});
