import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Database } from "../../../server/db/open.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "../../../server/db/migrations.ts";
import { DatabaseError } from "../../../server/errors.ts";
import { SYSTEM_CLOCK } from "../../../server/clock.ts";
import { jobHistory } from "../../../server/db/jobs.ts";
import { JobStore } from "../../../server/jobs/store.ts";

async function withDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function tables(path: string): string[] {
  const db = new DatabaseSync(path);
  try {
    return (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
      .all() as { name: string }[])
      .map((r) => r.name);
  } finally {
    db.close();
  }
}

Deno.test("Database.open() creates the schema, WAL mode and foreign keys", () =>
  withDir((dir) => {
    const path = join(dir, "sub", "c.db");
    using db = Database.open(path);
    assert.equal(db.schemaVersion, SCHEMA_VERSION);
    const pragma = (name: string) =>
      Object.values(db.connection.prepare(`PRAGMA ${name}`).get()!)[0];
    assert.equal(pragma("journal_mode"), "wal");
    assert.equal(pragma("foreign_keys"), 1);
    assert.equal(pragma("busy_timeout"), 100, "short: a wait blocks the event loop");
    db.close();
    assert.deepEqual(tables(path), [
      "aiida_processes",
      "cache",
      "clusters",
      "job_counts",
      "job_events",
      "job_pk_high",
      "jobs",
      "legacy_imports",
      "sqlite_sequence",
      "workflow_members",
      "workflows",
    ]);
  }));

Deno.test("Database.open() applies only the migrations a file lacks, and is idempotent", () =>
  withDir((dir) => {
    const path = join(dir, "c.db");
    const v2 = [...MIGRATIONS, {
      version: SCHEMA_VERSION + 1,
      description: "extra",
      sql: "CREATE TABLE extra (x INTEGER) STRICT",
    }];
    Database.open(path).close();
    using db = Database.open(path, v2);
    assert.equal(db.schemaVersion, SCHEMA_VERSION + 1);
    db.close();
    Database.open(path, v2).close();
    assert.ok(tables(path).includes("extra"));
  }));

Deno.test("Database.open() rolls back a failing migration and keeps the old version", () =>
  withDir((dir) => {
    const path = join(dir, "c.db");
    Database.open(path).close();
    const broken = [...MIGRATIONS, {
      version: SCHEMA_VERSION + 1,
      description: "half",
      sql: "CREATE TABLE half (x INTEGER); CREATE TABLE half (y INTEGER);",
    }];
    assert.throws(
      () => Database.open(path, broken),
      (e) => e instanceof DatabaseError && /already exists/.test(e.message),
    );
    using db = Database.open(path);
    assert.equal(db.schemaVersion, SCHEMA_VERSION);
    assert.ok(!tables(path).includes("half"));
  }));

Deno.test("Database.open() refuses a database from a newer version", () =>
  withDir((dir) => {
    const path = join(dir, "c.db");
    const raw = new DatabaseSync(path);
    raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 5}`);
    raw.close();
    assert.throws(
      () => Database.open(path),
      (e) =>
        e instanceof DatabaseError &&
        e.message.includes(`schema version ${SCHEMA_VERSION + 5} is newer`),
    );
  }));

Deno.test("Database.open() reports a file that is not a database and leaves it untouched", () =>
  withDir(async (dir) => {
    const path = join(dir, "c.db");
    const garbage = "this is not sqlite\n".repeat(300);
    await Deno.writeTextFile(path, garbage);
    assert.throws(
      () => Database.open(path),
      (e) =>
        e instanceof DatabaseError && e.message.startsWith(`Cannot open database "${path}"`) &&
        /not a database/.test(e.message),
    );
    assert.equal(await Deno.readTextFile(path), garbage);
  }));

Deno.test("migration 4 keeps a version 3 database's job history and numbers new events after it", () =>
  withDir(async (dir) => {
    const path = join(dir, "v3.db");
    {
      using old = Database.open(path, MIGRATIONS.slice(0, 3));
      old.connection.exec(`
        INSERT INTO jobs (pk, uuid, name, state, input, created_at, updated_at)
          VALUES (7, 'u7', 'old', 'completed', 'deck', 't0', 't2');
        INSERT INTO job_events (id, job_pk, from_state, to_state, at, reason) VALUES
          (1, 7, NULL, 'created', 't0', 'submitted'), (2, 7, 'created', 'completed', 't2', 'done');
      `);
    }
    using db = Database.open(path);
    assert.deepEqual(
      jobHistory(db, 7).map((e) => [e.from_state, e.to_state, e.reason]),
      [[null, "created", "submitted"], ["created", "completed", "done"]],
    );
    const store = new JobStore({ db, clock: SYSTEM_CLOCK });
    const row = await store.insert({
      uuid: "u8",
      name: "new",
      dft_code: "crystal",
      runner_type: "local",
      cluster_id: null,
      input: "deck",
      properties_input: null,
      restart_from: null,
      tags: [],
      resources: {},
      output_name: "new",
    });
    assert.equal(row.pk, 8);
    assert.deepEqual(store.changesAfter(2, 10).map((c) => [c.seq, c.pk]), [[3, 8]]);
  }));
