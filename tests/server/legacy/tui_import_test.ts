import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SYSTEM_CLOCK } from "../../../server/clock.ts";
import { insertCluster } from "../../../server/db/clusters.ts";
import { Database } from "../../../server/db/open.ts";
import { JobStore } from "../../../server/jobs/store.ts";
import { DECK, makeLegacyDb } from "../../_legacy_db.ts";
import {
  importTuiDb,
  isoOfLegacyTime,
  legacyClusterName,
} from "../../../server/legacy/tui_import.ts";

Deno.test("legacyClusterName() keeps good names and renames refused ones by the rule", () => {
  const none = () => false;
  assert.equal(legacyClusterName("hpc-1.a_b", 3, none), "hpc-1.a_b");
  assert.equal(legacyClusterName("my cluster", 3, none), "my-cluster");
  assert.equal(legacyClusterName("  _my  big/cluster!", 3, none), "my-big-cluster-");
  assert.equal(legacyClusterName("élan", 3, none), "lan");
  assert.equal(legacyClusterName("???", 12, none), "cluster-12");
  assert.equal(legacyClusterName("a".repeat(80), 3, none), "a".repeat(64));
  // Taken (by a cluster of the store): the old id is added, within 64 characters.
  assert.equal(legacyClusterName("hpc", 4, (n) => n === "hpc"), "hpc-4");
  assert.equal(legacyClusterName("b".repeat(80), 42, () => true), `${"b".repeat(61)}-42`);
});

Deno.test("isoOfLegacyTime() reads SQLite's UTC timestamps as ISO-8601", () => {
  assert.equal(isoOfLegacyTime("2026-01-02 10:01:00"), "2026-01-02T10:01:00.000Z");
  assert.equal(isoOfLegacyTime("2026-01-02T10:01:00.250"), "2026-01-02T10:01:00.250Z");
  assert.equal(isoOfLegacyTime("2026-01-02 10:01:00+02:00"), "2026-01-02T08:01:00.000Z");
  assert.equal(isoOfLegacyTime(null), null);
  assert.equal(isoOfLegacyTime(""), null);
  assert.equal(isoOfLegacyTime("yesterday"), null);
  assert.equal(isoOfLegacyTime("2026-13-45 99:00:00"), null);
});

async function withLegacy(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "jobs.db");
    makeLegacyDb(path);
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("importTuiDb() renumbers taken pks and ids, skips refused clusters, and links follow", async () => {
  await withLegacy(async (path) => {
    const legacy = new DatabaseSync(path);
    legacy.exec("UPDATE clusters SET hostname = 'bad host!' WHERE id = 2");
    legacy.close();
    using db = Database.open(":memory:");
    const store = new JobStore({ db, clock: SYSTEM_CLOCK });
    // The store has a cluster with id 1 and a job with pk 7 already.
    insertCluster(db, {
      name: "hpc",
      cluster_type: "ssh",
      hostname: "mine.example.org",
      port: 22,
      username: "me",
      settings_json: JSON.stringify({ remote_workdir: "/home/me" }),
    }, "2026-01-01T00:00:00.000Z");
    for (let i = 0; i < 7; i++) {
      await store.insert({
        uuid: crypto.randomUUID(),
        name: `mine-${i}`,
        dft_code: "crystal",
        runner_type: "local",
        cluster_id: null,
        input: DECK,
        properties_input: null,
        restart_from: null,
        tags: [],
        resources: {},
        output_name: "mine",
      });
    }
    const report = await importTuiDb(path, store);
    assert.equal(report.status, "imported");
    assert.deepEqual([report.jobs, report.clusters], [4, 1]);
    assert.deepEqual(report.skipped.map((s) => [s.table, s.id]), [["clusters", 2]]);
    assert.match(report.skipped[0]!.reason, /^hostname: expected a host name/);
    assert.deepEqual(report.changed, [
      { table: "clusters", id: 1, change: 'renamed to "hpc-1"' },
      { table: "clusters", id: 1, change: "id 2" },
      { table: "jobs", id: 10, change: "cluster 2 was not imported: no cluster link" },
      { table: "jobs", id: 7, change: "pk 11" },
    ]);
    // Job 7 of the old file is pk 11 now; 8, 9 and 10 kept theirs, and 10 still waits for it.
    assert.equal(store.get(11).name, "mgo");
    assert.equal(store.get(11).cluster_id, 2);
    assert.equal(store.get(7).name, "mine-6");
    assert.deepEqual(JSON.parse(store.get(10).depends_on_json), [11]);
    assert.equal(store.get(10).cluster_id, null);
    // Once: the second call finds the record and imports nothing.
    const again = await importTuiDb(path, store);
    assert.equal(again.status, "already_imported");
    assert.equal(db.prepare("SELECT COUNT(*) AS n FROM jobs").get()!.n, 11);
  });
});

Deno.test("importTuiDb() reports a file it cannot read and imports nothing", async () => {
  await withLegacy(async (path) => {
    const legacy = new DatabaseSync(path);
    legacy.exec("ALTER TABLE jobs RENAME COLUMN input_file TO deck");
    legacy.close();
    using db = Database.open(":memory:");
    const store = new JobStore({ db, clock: SYSTEM_CLOCK });
    const report = await importTuiDb(path, store);
    assert.equal(report.status, "failed");
    assert.match(
      report.message,
      /cannot read it as the old backend's schema: no such column: j.input_file/,
    );
    assert.equal(db.prepare("SELECT COUNT(*) AS n FROM clusters").get()!.n, 0);
    assert.equal(db.prepare("SELECT COUNT(*) AS n FROM legacy_imports").get()!.n, 0);
  });
});

Deno.test("importTuiDb() does not import the same file again from another path", async () => {
  await withLegacy(async (path) => {
    using db = Database.open(":memory:");
    const store = new JobStore({ db, clock: SYSTEM_CLOCK });
    assert.equal((await importTuiDb(path, store)).status, "imported");
    const moved = `${path}.moved`;
    await Deno.rename(path, moved);
    const again = await importTuiDb(moved, store);
    assert.equal(again.status, "already_imported");
    assert.match(again.message, /the same file/);
    assert.equal(db.prepare("SELECT COUNT(*) AS n FROM jobs").get()!.n, 4);
  });
});
