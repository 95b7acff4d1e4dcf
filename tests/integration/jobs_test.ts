/**
 * jobs.* through the real daemon, running the project's stand-in CRYSTAL
 * (tests/fixtures/fake_crystal/crystal), whose behaviour a marker in the deck's title selects.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ServerError } from "../../client/errors.ts";
import { SocketClient } from "../../client/socket_client.ts";
import { makeSandbox, type Sandbox, startDaemon, waitForPing } from "../_harness.ts";

const FAKE = new URL("../fixtures/fake_crystal/", import.meta.url).pathname;

/** A deck whose title carries the stand-in's behaviour marker. */
function deck(title: string, extra = ""): string {
  return `${title}\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\n${extra}END\n` +
    "BASISSET\nPOB-TZVP\nSHRINK\n8 8\nEND\n";
}

function env(maxConcurrent = 2): Record<string, string> {
  return {
    CRYSTALMATH_CRYSTAL_EXECUTABLE: join(FAKE, "crystal"),
    CRYSTALMATH_PROPERTIES_EXECUTABLE: join(FAKE, "properties"),
    CRYSTALMATH_LOCAL_MAX_CONCURRENT: String(maxConcurrent),
  };
}

interface Job {
  pk: number;
  uuid: string;
  state: string;
  started_at: string | null;
  final_energy: number | null;
  progress_percent: number;
  [key: string]: unknown;
}

async function waitForState(
  client: SocketClient,
  pk: number,
  states: string[],
  ms = 20_000,
): Promise<Job> {
  const deadline = Date.now() + ms;
  for (;;) {
    const job = await client.request("jobs.get", { pk }) as Job;
    if (states.includes(job.state)) return job;
    if (Date.now() > deadline) {
      throw new Error(`Job ${pk} is ${job.state}, not ${states.join("/")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Live (non-zombie) processes in the job's process group. */
async function processesOf(client: SocketClient, pk: number): Promise<number> {
  const { pid } = await client.request("jobs.get", { pk }) as { pid: number };
  const out = await new Deno.Command("ps", {
    args: ["-A", "-o", "pgid=", "-o", "stat="],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").map((l) => l.trim().split(/\s+/))
    .filter(([group, stat]) => Number(group) === pid && !stat?.startsWith("Z")).length;
}

async function submit(client: SocketClient, params: Record<string, unknown>): Promise<Job> {
  return await client.request("jobs.submit", params) as Job;
}

function daemonFor(box: Sandbox, maxConcurrent = 2) {
  return startDaemon(box, [], { env: env(maxConcurrent) });
}

Deno.test("jobs.submit runs CRYSTAL to completion and jobs.get shows the parsed energy", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const { pk } = await submit(client, { name: "MgO bulk", input: deck("MgO"), tags: ["test"] });
  const job = await waitForState(client, pk, ["completed", "failed"]);
  assert.equal(job.state, "completed", String(job.state_reason));
  assert.equal(job.final_energy, -275.44859113743);
  assert.equal(job.convergence_met, true);
  assert.equal(job.scf_cycles, 8);
  assert.equal(job.band_gap_ev, 7.1237);
  assert.equal(job.progress_percent, 100);
  assert.equal(job.crystal_version, "CRYSTAL23 v1.0.1");
  assert.deepEqual(job.tags, ["test"]);
  assert.match(String(job.work_dir), /\/jobs\/1-mgo-bulk$/);
  const files = (job.files as { name: string }[]).map((f) => f.name);
  for (const name of ["INPUT", "mgo-bulk.out", "mgo-bulk.err", "fort.9"]) {
    assert.ok(files.includes(name), name);
  }
  assert.deepEqual((job.history as { to_state: string }[]).map((h) => h.to_state), [
    "created",
    "queued",
    "running",
    "completed",
  ]);
  const listed = await client.request("jobs.list", { state: "completed" }) as {
    jobs: Job[];
    total: number;
  };
  assert.equal(listed.total, 1);
  assert.equal(listed.jobs[0]!.final_energy, -275.44859113743);
  const log = await client.request("jobs.log", { pk, tail_lines: 1 }) as {
    lines: string[];
    truncated: boolean;
  };
  assert.match(log.lines[0]!, /EEEEEEEEEE TERMINATION/);
  assert.equal(log.truncated, true);
});

Deno.test("a failing SCF ends failed, and jobs.analyze_errors says what to change", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const { pk } = await submit(client, { name: "nio", input: deck("NiO [fail-scf]") });
  const job = await waitForState(client, pk, ["completed", "failed"]);
  assert.equal(job.state, "failed");
  assert.match(String(job.error_snippet), /TOO MANY CYCLES/);
  const analysis = await client.request("jobs.analyze_errors", { pk }) as {
    status: string;
    issues: { pattern: string; suggestion: string }[];
  };
  assert.equal(analysis.status, "failed");
  assert.equal(analysis.issues[0]!.pattern, "scf_not_converged");
  assert.match(analysis.issues[0]!.suggestion, /MAXCYCLE/);
  const crashed = await submit(client, { name: "crash", input: deck("MgO [crash]") });
  const dead = await waitForState(client, crashed.pk, ["completed", "failed"]);
  assert.equal(dead.state, "failed");
  assert.equal(dead.exit_code, 137);
  assert.match(String(dead.state_reason), /without a termination line/);
});

Deno.test("jobs.cancel stops a running job's whole process group", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const slow = await submit(client, { name: "slow", input: deck("MgO [slow]") });
  await waitForState(client, slow.pk, ["running"]);
  assert.ok(await processesOf(client, slow.pk) >= 2, "the wrapper and the program are alive");
  assert.deepEqual(await client.request("jobs.cancel", { pk: slow.pk }), {
    cancelled: true,
    state: "cancelled",
  });
  assert.equal(await processesOf(client, slow.pk), 0, "no process left");
  await assert.rejects(
    client.request("jobs.cancel", { pk: slow.pk }),
    (e) => e instanceof ServerError && e.code === -32006 && /already cancelled/.test(e.message),
  );
  const hung = await submit(client, { name: "hang", input: deck("MgO [hang]") });
  await waitForState(client, hung.pk, ["running"]);
  // Wait for its banner: the stand-in sets its SIGTERM trap before printing it.
  for (let i = 0; i < 100; i++) {
    const log = await client.request("jobs.log", { pk: hung.pk }).catch(() => ({ lines: [] })) as {
      lines: string[];
    };
    if (log.lines.some((l) => l.includes("STARTING"))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const started = Date.now();
  const cancelled = await client.request("jobs.cancel", { pk: hung.pk }, { timeoutMs: 20_000 });
  assert.deepEqual(cancelled, { cancelled: true, state: "cancelled" });
  assert.equal(await processesOf(client, hung.pk), 0, "SIGKILL after the grace period");
  assert.ok(Date.now() - started >= 4500, "it waited for the grace period before SIGKILL");
});

Deno.test("jobs beyond local.max_concurrent wait in the queue, first in first out", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box, 1);
  await using client = new SocketClient(box.socket);
  const first = await submit(client, { name: "a", input: deck("A [slow]") });
  const second = await submit(client, { name: "b", input: deck("B") });
  const third = await submit(client, { name: "c", input: deck("C") });
  assert.equal(first.state, "running");
  assert.equal(second.state, "queued");
  assert.equal(third.state, "queued");
  const done = await Promise.all(
    [first, second, third].map((j) => waitForState(client, j.pk, ["completed"])),
  );
  const starts = done.map((j) => Date.parse(j.started_at!));
  assert.ok(starts[0]! <= starts[1]! && starts[1]! <= starts[2]!, `FIFO: ${starts.join(", ")}`);
  assert.ok(starts[1]! >= Date.parse(done[0]!.finished_at as string), "b waited for a to finish");
});

Deno.test("jobs survive a daemon killed with SIGKILL and are reconciled at the next start", async () => {
  await using box = await makeSandbox();
  let finished: Job;
  let slow: Job;
  {
    await using daemon = await daemonFor(box);
    await using client = new SocketClient(box.socket);
    finished = await submit(client, { name: "done-while-down", input: deck("Q [slow]") });
    slow = await submit(client, { name: "still-running", input: deck("R [slow]", "") });
    await waitForState(client, finished.pk, ["running"]);
    daemon.child.kill("SIGKILL");
    await daemon.status;
  }
  // The runs go on without the daemon and finish while it is down.
  await new Promise((r) => setTimeout(r, 4500));
  await using _again = await daemonFor(box);
  await waitForPing(box.socket);
  await using client = new SocketClient(box.socket);
  for (const job of [finished, slow]) {
    const now = await waitForState(client, job.pk, ["completed", "failed"]);
    assert.equal(now.state, "completed", `${job.pk}: ${now.state_reason}`);
    assert.equal(now.final_energy, -275.44859113743);
  }
});

Deno.test("jobs.get_output_file refuses paths that leave the job directory", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const { pk } = await submit(client, { name: "files", input: deck("MgO") });
  const job = await waitForState(client, pk, ["completed"]);
  await Deno.writeTextFile(join(box.dir, "secret.txt"), "secret");
  await Deno.symlink(join(box.dir, "secret.txt"), join(String(job.work_dir), "link.txt"));
  for (
    const name of ["../../secret.txt", join(box.dir, "secret.txt"), "link.txt", "..", "nope.txt"]
  ) {
    await assert.rejects(
      client.request("jobs.get_output_file", { pk, name }),
      (e) => e instanceof ServerError && e.code === -32004 && !e.message.includes("secret\n"),
      name,
    );
  }
  const input = await client.request("jobs.get_output_file", {
    pk,
    name: "INPUT",
    max_bytes: 4,
  }) as {
    content: string;
    truncated: boolean;
  };
  assert.deepEqual([input.content, input.truncated], ["MgO\n", true]);
  const binary = await client.request("jobs.get_output_file", { pk, name: ".exit_code" }) as {
    content: string;
  };
  assert.equal(binary.content, "0\n");
});

Deno.test("jobs.get_output_file reads a large binary and a multibyte text in bounded pieces that join exactly", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const { pk } = await submit(client, { name: "pieces", input: deck("MgO") });
  const job = await waitForState(client, pk, ["completed"]);
  const binary = new Uint8Array(6 * 1024 * 1024 + 7).map((_, i) => (i * 31 + 7) % 256);
  await Deno.writeFile(join(String(job.work_dir), "fort.98"), binary);
  const text = "é∑😀".repeat(200_000); // 2, 3 and 4 byte characters
  await Deno.writeTextFile(join(String(job.work_dir), "notes.txt"), text);
  interface Piece {
    content: string;
    encoding: string;
    next_offset: number | null;
  }
  async function whole(name: string, maxBytes: number): Promise<{ pieces: Piece[] }> {
    const pieces: Piece[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const piece: Piece = await client.request("jobs.get_output_file", {
        pk,
        name,
        offset,
        max_bytes: maxBytes,
      }) as Piece;
      pieces.push(piece);
      offset = piece.next_offset;
    }
    return { pieces };
  }
  const b = await whole("fort.98", 4 * 1024 * 1024);
  assert.equal(b.pieces.length, 2);
  assert.ok(b.pieces.every((p) => p.encoding === "base64"));
  const joined = b.pieces.map((p) => Uint8Array.from(atob(p.content), (c) => c.charCodeAt(0)));
  assert.deepEqual(new Uint8Array(joined.flatMap((part) => [...part])), binary);
  const t = await whole("notes.txt", 1_000_003); // cuts inside characters
  assert.ok(t.pieces.length >= 2 && t.pieces.every((p) => p.encoding === "utf-8"));
  assert.equal(t.pieces.map((p) => p.content).join(""), text);
  await assert.rejects(
    client.request("jobs.get_output_file", { pk, name: "fort.98", max_bytes: 16 * 1024 * 1024 }),
    (e) => e instanceof ServerError && e.code === -32602,
  );
});

Deno.test("jobs.submit rejects a malformed deck naming the line, and bad requests clearly", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  await assert.rejects(
    submit(client, { name: "bad", input: "Title\nCRYSTAL\n0 0 0\nabc\n" }),
    (e) =>
      e instanceof ServerError && e.code === -32007 && /line 4: /.test(e.message) &&
      (e.data as { line: number }).line === 4,
  );
  await assert.rejects(
    submit(client, { name: "none" }),
    (e) => e instanceof ServerError && /exactly one of input/.test(e.message),
  );
  await assert.rejects(
    submit(client, { name: "rel", input_path: "relative.d12" }),
    (e) => e instanceof ServerError && /absolute path/.test(e.message),
  );
  await assert.rejects(
    submit(client, { name: "r", input: deck("X"), restart_from: 999 }),
    (e) => e instanceof ServerError && e.code === -32004,
  );
  const listed = await client.request("jobs.list", {}) as { total: number };
  assert.equal(listed.total, 0, "nothing was recorded for rejected submissions");
});

Deno.test("a .d3 runs with properties after the SCF, and restart_from seeds fort.20", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const first = await submit(client, {
    name: "with-bands",
    input: deck("MgO"),
    properties_input:
      "NEWK\n8 8\n1 0\nBAND\nMgO bands\n2 8 50 1 10 1 0\n0 0 0 4 4 4\n4 4 4 4 0 4\nEND\n",
  });
  const done = await waitForState(client, first.pk, ["completed", "failed"]);
  assert.equal(done.state, "completed", String(done.state_reason));
  assert.equal((done.properties as { status: string }).status, "completed");
  const files = (done.files as { name: string }[]).map((f) => f.name);
  assert.ok(files.includes("with-bands.properties.out") && files.includes("BAND.DAT"));
  const restarted = await submit(client, {
    name: "again",
    input: deck("MgO"),
    restart_from: first.pk,
  });
  const second = await waitForState(client, restarted.pk, ["completed"]);
  const copied = await Deno.readTextFile(join(String(second.work_dir), "fort.20"));
  assert.equal(copied, "fake wave function\n");
  const broken = await submit(client, { name: "broken", input: deck("MgO [error]") });
  await waitForState(client, broken.pk, ["failed"]);
  await assert.rejects(
    submit(client, { name: "from-broken", input: deck("MgO"), restart_from: broken.pk }),
    (e) => e instanceof ServerError && e.code === -32006 && /has none of fort.9/.test(e.message),
  );
});

Deno.test("jobs.delete refuses a running job and removes a finished one with its files", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const slow = await submit(client, { name: "slow", input: deck("S [slow]") });
  await waitForState(client, slow.pk, ["running"]);
  await assert.rejects(
    client.request("jobs.delete", { pk: slow.pk }),
    (e) => e instanceof ServerError && e.code === -32006 && /cancel it first/.test(e.message),
  );
  await client.request("jobs.cancel", { pk: slow.pk });
  const job = await client.request("jobs.get", { pk: slow.pk }) as Job;
  assert.deepEqual(await client.request("jobs.delete", { pk: slow.pk, remove_files: true }), {
    deleted: true,
    removed_files: true,
  });
  assert.equal(await Deno.stat(String(job.work_dir)).then(() => true, () => false), false);
  await assert.rejects(
    client.request("jobs.get", { pk: slow.pk }),
    (e) => e instanceof ServerError && e.code === -32004,
  );
});
