/**
 * depends_on through the real daemon: the engine holds a job until its dependencies have
 * completed, cancels it when one fails, and keeps holding it across a daemon restart.
 */
import assert from "node:assert/strict";
import { ServerError } from "../../client/errors.ts";
import { SocketClient } from "../../client/socket_client.ts";
import { makeSandbox, type Sandbox, startDaemon } from "../_harness.ts";
import { deck, ENDED, FAKE_CRYSTAL_ENV, FAKE_ENERGY, type JobView, waitForJob } from "../_jobs.ts";

function submit(client: SocketClient, name: string, title: string, dependsOn?: number[]) {
  return client.request("jobs.submit", {
    name,
    input: deck(title),
    ...(dependsOn ? { depends_on: dependsOn } : {}),
  }) as Promise<JobView>;
}

function daemonFor(box: Sandbox) {
  return startDaemon(box, [], {
    env: { ...FAKE_CRYSTAL_ENV, CRYSTALMATH_LOCAL_MAX_CONCURRENT: "4" },
  });
}

Deno.test("a local job with depends_on waits in created until its dependency completes", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const first = await submit(client, "first", "First [slow]");
  const second = await submit(client, "second", "Second", [first.pk]);
  assert.equal(second.state, "created");
  const held = await client.request("jobs.get", { pk: second.pk }) as JobView;
  assert.equal(held.state_reason, `waiting for job ${first.pk} (running)`);
  const a = await waitForJob(client, first.pk, ENDED);
  const b = await waitForJob(client, second.pk, ENDED);
  assert.deepEqual([a.state, b.state], ["completed", "completed"]);
  assert.ok(b.started_at! >= a.finished_at!, `${b.started_at} starts after ${a.finished_at}`);
  assert.equal(b.final_energy, FAKE_ENERGY);
});

Deno.test("a job whose dependency fails ends cancelled, naming the dependency and its state", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const first = await submit(client, "first", "First [fail-scf]");
  const second = await submit(client, "second", "Second", [first.pk]);
  const third = await submit(client, "third", "Third", [second.pk]);
  const b = await waitForJob(client, second.pk, ENDED);
  assert.equal(b.state, "cancelled");
  assert.match(b.state_reason!, new RegExp(`dependency job ${first.pk} ended failed`));
  assert.equal(b.started_at, null, "it never ran");
  const c = await waitForJob(client, third.pk, ENDED);
  assert.match(c.state_reason!, new RegExp(`dependency job ${second.pk} ended cancelled`));
});

Deno.test("jobs.submit refuses an unknown dependency as invalid params naming the pk", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  await assert.rejects(
    submit(client, "orphan", "Orphan", [4242]),
    (e) =>
      e instanceof ServerError && e.code === -32602 && /job 4242 does not exist/.test(e.message),
  );
  const { total } = await client.request("jobs.list", {}) as { total: number };
  assert.equal(total, 0, "nothing was recorded");
});

Deno.test("a held job is still held after a daemon SIGKILL, and runs once its dependency ends", async () => {
  await using box = await makeSandbox();
  let first: JobView;
  let second: JobView;
  {
    await using _daemon = await daemonFor(box);
    await using client = new SocketClient(box.socket);
    first = await submit(client, "first", "First [slow]");
    second = await submit(client, "second", "Second", [first.pk]);
  } // SIGKILL while first runs and second is held.
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const a = await waitForJob(client, first.pk, ENDED);
  const b = await waitForJob(client, second.pk, ENDED);
  assert.deepEqual([a.state, b.state], ["completed", "completed"], String(b.state_reason));
});

Deno.test("restart_from a dependency that has not run yet copies its files when the job is released", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const first = await submit(client, "first", "First [slow]");
  // Refused before: the first job's directory had no restart file yet.
  const second = await client.request("jobs.submit", {
    name: "second",
    input: deck("Second"),
    depends_on: [first.pk],
    restart_from: first.pk,
  }) as JobView;
  assert.equal(second.state, "created");
  const b = await waitForJob(client, second.pk, ENDED);
  assert.equal(b.state, "completed", String(b.state_reason));
  const guess = await client.request("jobs.get_output_file", {
    pk: second.pk,
    name: "fort.20",
  }) as {
    content: string;
  };
  assert.equal(guess.content, "fake wave function\n", "the first job's fort.9, as fort.20");
});
