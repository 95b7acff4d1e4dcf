import assert from "node:assert/strict";
import type { Clock } from "../../../server/clock.ts";
import { insertCluster } from "../../../server/db/clusters.ts";
import { Database } from "../../../server/db/open.ts";
import { createJobFeed, type JobFeedFilter } from "../../../server/jobs/job_feed.ts";
import { type EventRetention, type JobChange, JobStore } from "../../../server/jobs/store.ts";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const DAY = 86_400_000;

/** A clock that stays where the test puts it. */
function fixedClock(start = T0): Clock & { set(t: number): void } {
  let t = start;
  return { now: () => new Date(t), set: (value) => t = value };
}

function newStore(db: Database, options: { clock?: Clock; retention?: EventRetention } = {}) {
  return new JobStore({
    db,
    clock: options.clock ?? fixedClock(),
    ...(options.retention ? { retention: options.retention } : {}),
  });
}

async function newJob(store: JobStore, name: string, clusterId: number | null = null) {
  return (await store.insert({
    uuid: crypto.randomUUID(),
    name,
    dft_code: "crystal",
    runner_type: clusterId === null ? "local" : "ssh",
    cluster_id: clusterId,
    input: "deck",
    properties_input: null,
    restart_from: null,
    tags: [],
    resources: {},
    output_name: name,
  })).pk;
}

/** A sink that records what it gets. */
function recorder() {
  const changes: JobChange[] = [];
  const resyncs: number[] = [];
  return {
    changes,
    resyncs,
    sink: { change: (c: JobChange) => changes.push(c), resync: (seq: number) => resyncs.push(seq) },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("createJobFeed() passes on only the changes its filter matches", async (t) => {
  using db = Database.open(":memory:");
  const store = newStore(db);
  const cluster = insertCluster(db, {
    name: "hpc1",
    cluster_type: "ssh",
    hostname: "localhost",
    port: 22,
    username: "me",
    settings_json: "{}",
  }, new Date(T0).toISOString()).id;
  const cases: { name: string; filter: JobFeedFilter; expected: string[] }[] = [
    {
      name: "no filter",
      filter: {},
      expected: [
        "1 created",
        "2 created",
        "3 created",
        "1 queued",
        "2 queued",
        "3 queued",
        "1 running",
        "2 running",
      ],
    },
    {
      name: "pks",
      filter: { pks: [1, 3] },
      expected: ["1 created", "3 created", "1 queued", "3 queued", "1 running"],
    },
    {
      name: "states",
      filter: { states: ["queued"] },
      expected: ["1 queued", "2 queued", "3 queued"],
    },
    {
      name: "cluster_id",
      filter: { cluster_id: cluster },
      expected: ["2 created", "2 queued", "2 running"],
    },
    {
      name: "every given field at once",
      filter: { pks: [1, 2], states: ["running"], cluster_id: cluster },
      expected: ["2 running"],
    },
    { name: "a job that does not exist", filter: { pks: [99] }, expected: [] },
  ];
  const feeds = cases.map((c) => {
    const seen = recorder();
    const feed = createJobFeed(store, { filter: c.filter, sink: seen.sink });
    feed.start();
    return { ...c, seen, feed };
  });
  const a = await newJob(store, "a");
  const b = await newJob(store, "b", cluster);
  const c = await newJob(store, "c");
  assert.deepEqual([a, b, c], [1, 2, 3]);
  for (const pk of [a, b, c]) await store.transition(pk, "queued");
  await store.transition(a, "running");
  await store.transition(b, "running");
  for (const f of feeds) {
    await t.step(f.name, () => {
      f.feed.stop();
      assert.deepEqual(f.seen.changes.map((ch) => `${ch.pk} ${ch.state}`), f.expected);
      assert.deepEqual(f.seen.resyncs, []);
    });
  }
});

Deno.test("createJobFeed() replays after sinceSeq, then goes live with no gap and no duplicate", async () => {
  using db = Database.open(":memory:");
  const store = newStore(db);
  const a = await newJob(store, "a"); // seq 1
  await store.transition(a, "queued"); // seq 2
  const since = store.bounds().newest;
  await store.transition(a, "running"); // seq 3: missed, replayed
  const b = await newJob(store, "b"); // seq 4: missed, replayed
  const seen = recorder();
  const feed = createJobFeed(store, { filter: {}, sinceSeq: since, sink: seen.sink });
  assert.equal(feed.seq, 4, "the newest seq when the feed was made");
  // Between making the feed and starting it: buffered, delivered once.
  await store.transition(b, "queued"); // seq 5
  await store.update(a, { progress_percent: 40 }); // seq 6
  assert.equal(seen.changes.length, 0, "nothing is delivered before start()");
  feed.start();
  await store.transition(a, "completed"); // seq 7: live
  await store.delete(b); // seq 8: live
  feed.stop();
  assert.deepEqual(seen.changes.map((c) => c.seq), [3, 4, 5, 6, 7, 8]);
  assert.deepEqual(seen.changes.map((c) => `${c.pk} ${c.kind} ${c.state}`), [
    "1 state running",
    "2 state created",
    "2 state queued",
    "1 progress running",
    "1 state completed",
    "2 deleted queued",
  ]);
  assert.deepEqual(seen.resyncs, []);
});

Deno.test("createJobFeed() without sinceSeq delivers only changes after it was made", async () => {
  using db = Database.open(":memory:");
  const store = newStore(db);
  const a = await newJob(store, "a");
  const seen = recorder();
  const feed = createJobFeed(store, { filter: {}, sink: seen.sink });
  await store.transition(a, "queued");
  feed.start();
  await store.transition(a, "running");
  feed.stop();
  assert.deepEqual(seen.changes.map((c) => c.state), ["queued", "running"]);
});

Deno.test("createJobFeed() asks for a resync when sinceSeq is older than the retained events", async (t) => {
  using db = Database.open(":memory:");
  const clock = fixedClock();
  const store = newStore(db, { clock, retention: { days: 30, keep: 3 } });
  const a = await newJob(store, "a"); // seq 1
  for (let i = 1; i <= 9; i++) await store.update(a, { progress_percent: i * 10 }); // seq 2..10
  clock.set(T0 + 365 * DAY);
  assert.equal(store.prune(), 7);
  assert.deepEqual(store.bounds(), { oldest: 8, newest: 10 });
  const cases = [
    { name: "older than the oldest kept", sinceSeq: 6, resyncs: [10], replayed: [] },
    { name: "just before the oldest kept", sinceSeq: 7, resyncs: [], replayed: [8, 9, 10] },
    { name: "from nothing", sinceSeq: 0, resyncs: [10], replayed: [] },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const seen = recorder();
      const feed = createJobFeed(store, { filter: {}, sinceSeq: c.sinceSeq, sink: seen.sink });
      feed.start();
      assert.deepEqual(seen.resyncs, c.resyncs);
      assert.deepEqual(seen.changes.map((ch) => ch.seq), c.replayed);
      feed.stop();
    });
  }
});

Deno.test("createJobFeed() after a resync still delivers live changes", async () => {
  using db = Database.open(":memory:");
  const clock = fixedClock();
  const store = newStore(db, { clock, retention: { days: 30, keep: 1 } });
  const a = await newJob(store, "a");
  await store.transition(a, "queued");
  await store.transition(a, "running");
  clock.set(T0 + 365 * DAY);
  store.prune();
  const seen = recorder();
  const feed = createJobFeed(store, { filter: {}, sinceSeq: 0, sink: seen.sink });
  feed.start();
  await store.transition(a, "completed");
  feed.stop();
  assert.deepEqual(seen.resyncs, [3]);
  assert.deepEqual(seen.changes.map((c) => [c.seq, c.state]), [[4, "completed"]]);
});

Deno.test("createJobFeed() throttles progress per job and delivers the latest after the interval", async () => {
  using db = Database.open(":memory:");
  const store = newStore(db);
  const a = await newJob(store, "a");
  const b = await newJob(store, "b");
  await store.transition(a, "queued"), await store.transition(a, "running");
  await store.transition(b, "queued"), await store.transition(b, "running");
  const seen = recorder();
  const feed = createJobFeed(store, { filter: {}, sink: seen.sink, progressIntervalMs: 60 });
  feed.start();
  const progress = () => seen.changes.map((c) => `${c.pk}:${c.progress_percent}`);
  await store.update(a, { progress_percent: 10 });
  await store.update(a, { progress_percent: 20 });
  await store.update(b, { progress_percent: 15 }); // Another job has its own interval.
  await store.update(a, { progress_percent: 30 });
  assert.deepEqual(progress(), ["1:10", "2:15"]);
  await sleep(120);
  assert.deepEqual(progress(), ["1:10", "2:15", "1:30"], "only the latest, once");
  await sleep(120);
  assert.deepEqual(progress(), ["1:10", "2:15", "1:30"], "nothing more without changes");
  await store.update(a, { progress_percent: 40 });
  assert.deepEqual(progress().at(-1), "1:40", "after a quiet interval, progress goes at once");
  feed.stop();
});

Deno.test("createJobFeed() never delivers an older progress after a newer one", async () => {
  using db = Database.open(":memory:");
  const store = newStore(db);
  const a = await newJob(store, "a");
  await store.transition(a, "queued"), await store.transition(a, "running");
  const seen = recorder();
  const feed = createJobFeed(store, { filter: {}, sink: seen.sink, progressIntervalMs: 30 });
  feed.start();
  await store.update(a, { progress_percent: 10 }); // Delivered.
  await store.update(a, { progress_percent: 20 }); // Held for the interval.
  // A busy event loop: the interval passes before the held progress's timer can run.
  const until = Date.now() + 60;
  while (Date.now() < until) { /* busy */ }
  await store.update(a, { progress_percent: 30 });
  await sleep(100);
  feed.stop();
  const values = seen.changes.map((c) => c.progress_percent);
  assert.deepEqual(values, [...values].sort((x, y) => x - y), `delivered ${values.join(", ")}`);
  assert.equal(values.at(-1), 30);
});

Deno.test("createJobFeed() never delays a state change behind held progress", async () => {
  using db = Database.open(":memory:");
  const store = newStore(db);
  const a = await newJob(store, "a");
  await store.transition(a, "queued"), await store.transition(a, "running");
  const seen = recorder();
  const feed = createJobFeed(store, { filter: {}, sink: seen.sink, progressIntervalMs: 50 });
  feed.start();
  await store.update(a, { progress_percent: 10 });
  await store.update(a, { progress_percent: 90 }); // Held.
  await store.transition(a, "completed", { fields: { progress_percent: 100 } });
  const kinds = () => seen.changes.map((c) => `${c.kind} ${c.state} ${c.progress_percent}`);
  assert.deepEqual(kinds(), ["progress running 10", "state completed 100"], "at once");
  await sleep(100);
  assert.deepEqual(
    kinds(),
    ["progress running 10", "state completed 100"],
    "the held progress is superseded, not sent after the state",
  );
  feed.stop();
});

Deno.test("createJobFeed() stop() ends delivery, including held progress", async () => {
  using db = Database.open(":memory:");
  const store = newStore(db);
  const a = await newJob(store, "a");
  await store.transition(a, "queued"), await store.transition(a, "running");
  const seen = recorder();
  const feed = createJobFeed(store, { filter: {}, sink: seen.sink, progressIntervalMs: 30 });
  feed.start();
  await store.update(a, { progress_percent: 10 });
  await store.update(a, { progress_percent: 20 }); // Held.
  feed.stop();
  await store.transition(a, "completed");
  await newJob(store, "b");
  await sleep(80);
  assert.deepEqual(seen.changes.map((c) => c.progress_percent), [10]);
});

Deno.test("createJobFeed() stopped before start() delivers nothing", async () => {
  using db = Database.open(":memory:");
  const store = newStore(db);
  const a = await newJob(store, "a");
  const seen = recorder();
  const feed = createJobFeed(store, { filter: {}, sinceSeq: 0, sink: seen.sink });
  await store.transition(a, "queued");
  feed.stop();
  feed.start();
  await store.transition(a, "running");
  assert.deepEqual([seen.changes, seen.resyncs], [[], []]);
});
