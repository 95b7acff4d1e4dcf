import assert from "node:assert/strict";
import { getJob, insertJob, jobEvents, listJobs, transitionJob } from "../../../server/db/jobs.ts";
import { Database } from "../../../server/db/open.ts";
import { InvalidStateError } from "../../../server/errors.ts";

function newJob(db: Database, name: string) {
  return insertJob(db, {
    uuid: crypto.randomUUID(),
    name,
    state: "created",
    dft_code: "crystal",
    runner_type: "local",
    cluster_id: null,
    input: "deck",
    properties_input: null,
    restart_from: null,
    tags: [],
    resources: {},
    output_name: name,
    at: "2026-01-01T00:00:00.000Z",
  });
}

Deno.test("transitionJob() stamps times, logs each transition and refuses illegal ones", () => {
  using db = Database.open(":memory:");
  const { pk } = newJob(db, "a");
  transitionJob(db, pk, "queued", { at: "2026-01-01T00:00:01.000Z", reason: "waiting" });
  const running = transitionJob(db, pk, "running", {
    at: "2026-01-01T00:00:02.000Z",
    fields: { pid: 42 },
  });
  assert.deepEqual([running.state, running.started_at, running.pid], [
    "running",
    "2026-01-01T00:00:02.000Z",
    42,
  ]);
  const done = transitionJob(db, pk, "completed", {
    at: "2026-01-01T00:00:09.000Z",
    fields: { final_energy: -1.5 },
  });
  assert.deepEqual([done.finished_at, done.final_energy], ["2026-01-01T00:00:09.000Z", -1.5]);
  assert.throws(
    () => transitionJob(db, pk, "running", { at: "2026-01-01T00:00:10.000Z" }),
    (e) => e instanceof InvalidStateError && /from completed to running/.test(e.message),
  );
  assert.equal(getJob(db, pk).state, "completed", "a refused transition changes nothing");
  assert.deepEqual(jobEvents(db, pk).map((e) => [e.from_state, e.to_state]), [
    [null, "created"],
    ["created", "queued"],
    ["queued", "running"],
    ["running", "completed"],
  ]);
});

Deno.test("listJobs() pages newest first and keeps per-state totals in step", () => {
  using db = Database.open(":memory:");
  for (let i = 1; i <= 25; i++) {
    const { pk } = newJob(db, `job_${i}%`);
    if (i % 5 === 0) transitionJob(db, pk, "failed", { at: "2026-01-01T00:00:01.000Z" });
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
