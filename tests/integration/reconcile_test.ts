/**
 * Reconciliation at start-up, through the real daemon: a run whose pid was never recorded (the
 * daemon died right after marking it running) is found by its tag and watched to its end, not
 * declared failed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SocketClient } from "../../client/socket_client.ts";
import { makeSandbox, startDaemon } from "../_harness.ts";

const FAKE = new URL("../fixtures/fake_crystal/", import.meta.url).pathname;
const ENV = { CRYSTALMATH_CRYSTAL_EXECUTABLE: join(FAKE, "crystal") };
const DECK = "MgO [slow]\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\n" +
  "BASISSET\nPOB-TZVP\nEND\n";

interface Job {
  state: string;
  pid: number | null;
  final_energy: number | null;
  state_reason: string | null;
}

/** Submits a slow job and waits until its run has started and its pid is recorded. */
async function startedRun(client: SocketClient): Promise<{ pk: number; pid: number }> {
  const { pk } = await client.request("jobs.submit", { name: "mgo", input: DECK }) as {
    pk: number;
  };
  for (;;) {
    const job = await client.request("jobs.get", { pk }) as Job;
    if (job.state === "running" && job.pid !== null) return { pk, pid: job.pid };
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("a run whose pid was never recorded is found by its tag after a restart", async () => {
  await using box = await makeSandbox();
  let pk: number;
  let pid: number | null;
  {
    await using _daemon = await startDaemon(box, [], { env: ENV });
    await using client = new SocketClient(box.socket);
    ({ pk, pid } = await startedRun(client));
  } // SIGKILL: the run goes on.
  {
    // As if the daemon had died between marking the job running and recording its pid.
    const db = new DatabaseSync(box.db);
    db.prepare("UPDATE jobs SET pid = NULL WHERE pk = ?").run(pk);
    db.close();
  }
  await using _daemon = await startDaemon(box, [], { env: ENV });
  await using client = new SocketClient(box.socket);
  const adopted = await client.request("jobs.get", { pk }) as Job;
  assert.equal(adopted.state, "running");
  assert.equal(adopted.pid, pid, "the same run, found by its tag");
  for (;;) {
    const job = await client.request("jobs.get", { pk }) as Job;
    if (job.state !== "running") {
      assert.equal(job.state, "completed", String(job.state_reason));
      assert.equal(job.final_energy, -275.44859113743);
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
});

Deno.test("a recycled pid is never adopted or signalled as a job's run", async () => {
  await using box = await makeSandbox();
  let pk: number;
  let pid: number;
  {
    await using _daemon = await startDaemon(box, [], { env: ENV });
    await using client = new SocketClient(box.socket);
    ({ pk, pid } = await startedRun(client));
  } // SIGKILL the daemon, then the run: as after a reboot.
  Deno.kill(-pid!, "SIGKILL");
  // An unrelated process now holds a process group the store names.
  const stranger = new Deno.Command("setsid", {
    args: ["sleep", "60"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await new Promise((r) => setTimeout(r, 200));
    const db = new DatabaseSync(box.db);
    db.prepare("UPDATE jobs SET pid = ? WHERE pk = ?").run(stranger.pid, pk);
    db.close();
    await using _daemon = await startDaemon(box, [], { env: ENV });
    await using client = new SocketClient(box.socket);
    const job = await client.request("jobs.get", { pk }) as Job;
    assert.equal(job.state, "failed", "classified from what the run left, not adopted");
    assert.match(String(job.state_reason), /without a termination line/);
    // The stranger is alive: nothing signalled it.
    const alive = await new Deno.Command("kill", { args: ["-0", String(stranger.pid)] }).output();
    assert.ok(alive.success, "the unrelated process was not killed");
  } finally {
    stranger.kill("SIGKILL");
    await stranger.status;
  }
});
