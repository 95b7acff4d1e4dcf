import assert from "node:assert/strict";
import { jobHistory, listJobs } from "../../../server/db/jobs.ts";
import { Database } from "../../../server/db/open.ts";
import { InvalidStateError } from "../../../server/errors.ts";
import { JOB_CHANGED, type JobChange, JobStore } from "../../../server/jobs/store.ts";
import type { Clock } from "../../../server/clock.ts";
import type { Logger } from "../../../server/log.ts";
import type { ImportedJob } from "../../../server/model/job.ts";

/** A clock that moves one second per reading. */
function tickingClock(
  start = Date.parse("2026-01-01T00:00:00.000Z"),
): Clock & { set(t: number): void } {
  let t = start;
  return {
    now: () => new Date((t += 1000) - 1000),
    set: (value) => t = value,
  };
}

function newStore(db: Database, clock: Clock = tickingClock()) {
  const store = new JobStore({ db, clock });
  const seen: JobChange[] = [];
  store.addEventListener(JOB_CHANGED, (e) => seen.push((e as CustomEvent<JobChange>).detail));
  return { store, seen };
}

async function newJob(store: JobStore, name: string, workflowId?: string) {
  return await store.insert({
    uuid: crypto.randomUUID(),
    name,
    dft_code: "crystal",
    runner_type: "local",
    cluster_id: null,
    input: "deck",
    properties_input: null,
    restart_from: null,
    tags: [],
    resources: {},
    output_name: name,
    ...(workflowId === undefined ? {} : { workflow_id: workflowId }),
  });
}

Deno.test("JobStore.transition() stamps times, logs each transition and refuses illegal ones", async () => {
  using db = Database.open(":memory:");
  const { store } = newStore(db);
  // The store read the clock once at construction (00:00:00), to prune.
  const { pk } = await newJob(store, "a"); // 00:00:01
  await store.transition(pk, "queued", { reason: "waiting" }); // 00:00:02
  const running = await store.transition(pk, "running", { fields: { pid: 42 } }); // 00:00:03
  assert.deepEqual([running.state, running.started_at, running.pid], [
    "running",
    "2026-01-01T00:00:03.000Z",
    42,
  ]);
  const done = await store.transition(pk, "completed", { fields: { final_energy: -1.5 } });
  assert.deepEqual([done.finished_at, done.final_energy], ["2026-01-01T00:00:04.000Z", -1.5]);
  await assert.rejects(
    store.transition(pk, "running"),
    (e) => e instanceof InvalidStateError && /from completed to running/.test(e.message),
  );
  assert.equal(store.get(pk).state, "completed", "a refused transition changes nothing");
  assert.deepEqual(jobHistory(db, pk).map((e) => [e.from_state, e.to_state]), [
    [null, "created"],
    ["created", "queued"],
    ["queued", "running"],
    ["running", "completed"],
  ]);
});

Deno.test("JobStore.transition() with from is a compare-and-set that changes nothing on a mismatch", async () => {
  using db = Database.open(":memory:");
  const { store, seen } = newStore(db);
  const { pk } = await newJob(store, "a");
  await store.transition(pk, "queued");
  const before = seen.length;
  await assert.rejects(
    store.transition(pk, "running", { from: ["created"] }),
    (e) => e instanceof InvalidStateError && /it is queued, not created/.test(e.message),
  );
  assert.equal(store.get(pk).state, "queued");
  assert.equal(seen.length, before, "no event for a refused change");
  assert.equal((await store.transition(pk, "running", { from: ["queued"] })).state, "running");
});

Deno.test("JobStore announces each committed change once, with increasing seq, after the commit", async () => {
  using db = Database.open(":memory:");
  const { store, seen } = newStore(db);
  const states: string[] = [];
  store.addEventListener(JOB_CHANGED, (e) => {
    // After the commit: the row already says what the event says.
    const change = (e as CustomEvent<JobChange>).detail;
    if (change.kind !== "deleted") states.push(store.get(change.pk).state);
  });
  const { pk } = await newJob(store, "a");
  await store.update(pk, { work_dir: "/tmp/x" }); // bookkeeping: no event
  await store.transition(pk, "queued");
  await store.transition(pk, "running");
  await store.update(pk, { progress_percent: 40 });
  await store.update(pk, { progress_percent: 40 }); // unchanged: no event
  await store.transition(pk, "completed");
  assert.deepEqual(seen.map((c) => [c.kind, c.previous_state, c.state, c.progress_percent]), [
    ["state", null, "created", 0],
    ["state", "created", "queued", 0],
    ["state", "queued", "running", 0],
    ["progress", "running", "running", 40],
    ["state", "running", "completed", 40],
  ]);
  assert.deepEqual(states, ["created", "queued", "running", "running", "completed"]);
  const seqs = seen.map((c) => c.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  assert.equal(new Set(seqs).size, seqs.length);
  assert.deepEqual(store.changesAfter(seqs[1]!, 100), seen.slice(2), "the log replays them");
});

Deno.test("JobStore.delete() logs the deletion and never reuses a sequence number or a pk", async () => {
  using db = Database.open(":memory:");
  const { store, seen } = newStore(db);
  const a = await newJob(store, "a");
  const b = await newJob(store, "b");
  await store.delete(b.pk);
  const deleted = seen.at(-1)!;
  assert.deepEqual([deleted.kind, deleted.pk, deleted.state], ["deleted", b.pk, "created"]);
  assert.equal(jobHistory(db, b.pk).length, 0, "its history goes with it");
  const c = await newJob(store, "c");
  assert.ok(c.pk > b.pk, "a deleted job's pk is never given again");
  assert.ok(seen.at(-1)!.seq > deleted.seq);
  assert.deepEqual(jobHistory(db, c.pk).map((e) => e.to_state), ["created"]);
  assert.equal(jobHistory(db, a.pk).length, 1);
});

Deno.test("JobStore.prune() keeps events for 30 days or the last N, whichever is more", async () => {
  using db = Database.open(":memory:");
  const clock = tickingClock();
  const store = new JobStore({ db, clock, retention: { days: 30, keep: 5 } });
  const { pk } = await newJob(store, "a");
  for (let i = 0; i < 9; i++) await store.update(pk, { progress_percent: i + 1 });
  // Ten events, all recent: none goes.
  assert.equal(store.prune(), 0);
  clock.set(Date.parse("2026-03-01T00:00:00.000Z"));
  // Now all are older than 30 days: all but the newest five go.
  assert.equal(store.prune(), 5);
  const { oldest, newest } = store.bounds();
  assert.deepEqual([newest - oldest + 1, newest], [5, 10]);
  assert.deepEqual(store.changesAfter(0, 100).map((c) => c.progress_percent), [5, 6, 7, 8, 9]);
});

Deno.test("listJobs() pages newest first and keeps per-state totals in step", async () => {
  using db = Database.open(":memory:");
  const { store } = newStore(db);
  for (let i = 1; i <= 25; i++) {
    const { pk } = await newJob(store, `job_${i}%`);
    if (i % 5 === 0) await store.transition(pk, "failed");
  }
  const page = listJobs(db, { limit: 10, offset: 10 });
  assert.equal(page.total, 25);
  assert.deepEqual(page.rows.map((r) => r.pk), [15, 14, 13, 12, 11, 10, 9, 8, 7, 6]);
  assert.equal(listJobs(db, { state: "failed", limit: 100, offset: 0 }).total, 5);
  assert.equal(listJobs(db, { state: "created", limit: 100, offset: 0 }).total, 20);
  assert.equal(listJobs(db, { state: "running", limit: 100, offset: 0 }).total, 0);
  // LIKE wildcards in the search text are literal.
  assert.deepEqual(
    listJobs(db, { search: "job_2%", limit: 100, offset: 0 }).rows.map((r) => r.name),
    ["job_2%"],
  );
  assert.equal(listJobs(db, { search: "_", state: "failed", limit: 100, offset: 0 }).total, 5);
});

Deno.test("listJobs() filters on the workflow tag a job was submitted with", async () => {
  using db = Database.open(":memory:");
  const { store } = newStore(db);
  await newJob(store, "alone");
  const a = await newJob(store, "a1", "wf_1");
  await newJob(store, "b1", "wf-2");
  const a2 = await newJob(store, "a2", "wf_1");
  assert.equal(a.workflow_id, "wf_1");
  const page = listJobs(db, { workflow_id: "wf_1", limit: 100, offset: 0 });
  assert.deepEqual([page.rows.map((r) => r.pk), page.total], [[a2.pk, a.pk], 2]);
  assert.equal(listJobs(db, { workflow_id: "wf", limit: 100, offset: 0 }).total, 0);
});

Deno.test("JobStore.onChange() keeps a listener that throws from reaching the writer", async () => {
  using db = Database.open(":memory:");
  const { store, seen } = newStore(db);
  const lines: string[] = [];
  const logged = new JobStore({
    db,
    clock: tickingClock(),
    log: {
      debug() {},
      info() {},
      warn() {},
      error: (message: string) => lines.push(message),
    } satisfies Logger,
  });
  const stop = logged.onChange(() => {
    throw new Error("a broken subscriber");
  });
  const { pk } = await newJob(logged, "a");
  assert.equal(logged.get(pk).state, "created", "the change is committed");
  assert.deepEqual(lines, ["A job change listener failed"]);
  stop();
  await logged.transition(pk, "queued");
  assert.equal(lines.length, 1, "a removed listener is not called");
  assert.equal(seen.length, 0, "listeners of another store are not called");
  assert.equal(store.find(pk)?.state, "queued", "both stores share the database");
});

function imported(pk: number, depends_on: number[] = []): ImportedJob {
  return {
    pk,
    uuid: crypto.randomUUID(),
    name: `old-${pk}`,
    dft_code: "crystal",
    runner_type: "local",
    cluster_id: null,
    input: "deck",
    properties_input: null,
    restart_from: null,
    tags: ["imported"],
    resources: {},
    output_name: "output",
    depends_on,
    state: "completed",
    state_reason: "imported",
    work_dir: `/old/${pk}`,
    created_at: "2025-06-01T00:00:00.000Z",
    started_at: null,
    finished_at: "2025-06-01T01:00:00.000Z",
    results_json: null,
    final_energy: -1,
    slurm_job_id: null,
    remote_dir: null,
  };
}

Deno.test("JobStore.importJobs() keeps free pks, renumbers taken ones and links follow", async () => {
  using db = Database.open(":memory:");
  const { store, seen } = newStore(db);
  const a = await newJob(store, "a"); // pk 1
  const b = await newJob(store, "b"); // pk 2
  await store.delete(b.pk); // pk 2 was given: never again
  seen.length = 0;
  const rows = await store.importJobs(
    () => [imported(1), imported(2, [1]), imported(5, [1, 2, 99])],
    { reason: "from elsewhere" },
  );
  // 5 is free; 1 is taken and 2 was given, so they come after every pk kept or given.
  assert.deepEqual(rows.map((r) => r.pk), [6, 7, 5]);
  assert.deepEqual(rows.map((r) => JSON.parse(r.depends_on_json)), [[], [6], [6, 7]]);
  assert.deepEqual(rows.map((r) => [r.state, r.created_at]), [
    ["completed", "2025-06-01T00:00:00.000Z"],
    ["completed", "2025-06-01T00:00:00.000Z"],
    ["completed", "2025-06-01T00:00:00.000Z"],
  ]);
  assert.equal(store.get(a.pk).name, "a");
  assert.deepEqual(
    seen.map((c) => [c.pk, c.previous_state, c.state, c.reason]),
    [[6, null, "completed", "from elsewhere"], [7, null, "completed", "from elsewhere"], [
      5,
      null,
      "completed",
      "from elsewhere",
    ]],
  );
  assert.deepEqual(jobHistory(db, 5).map((h) => h.reason), ["from elsewhere"]);
  // A new job comes after them all.
  assert.equal((await newJob(store, "c")).pk, 8);
});

Deno.test("JobStore.importJobs() writes nothing when its finish step throws", async () => {
  using db = Database.open(":memory:");
  const { store, seen } = newStore(db);
  await assert.rejects(
    store.importJobs(() => [imported(3)], {
      reason: "x",
      finish() {
        throw new Error("no record");
      },
    }),
    /no record/,
  );
  assert.equal(store.find(3), undefined);
  assert.deepEqual(seen, []);
});
