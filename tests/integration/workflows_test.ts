/**
 * workflows.* through the real daemon and the stand-in CRYSTAL's [model] marker, whose energies
 * follow a known Birch-Murnaghan curve and a k-point error 0.02 exp(-IS) Ha (see
 * tests/fixtures/fake_crystal/crystal), so the analysis is checked against known answers.
 */
import assert from "node:assert/strict";
import { connect } from "../../client/mod.ts";
import { SocketClient } from "../../client/socket_client.ts";
import { join } from "node:path";
import { makeSandbox, runCli, type Sandbox, startDaemon } from "../_harness.ts";
import { FAKE_CRYSTAL_ENV, waitFor } from "../_jobs.ts";

const HARTREE_IN_MEV = 27211.386245988;
/** The model's curve. */
const MODEL = { v0: 18.75, b0_gpa: 160, b0_prime: 4.1, e0: -275.4485911 };

function base(shrink = 8): string {
  return "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\n" +
    `BASISSET\nPOB-TZVP\nSHRINK\n${shrink} ${shrink}\nTOLDEE\n8\nEND\n`;
}

interface Workflow {
  id: string;
  state: string;
  jobs: { pk: number; state: string | null }[];
  result: Record<string, unknown> | null;
  warnings: string[];
  error: string | null;
}

function daemonFor(box: Sandbox) {
  return startDaemon(box, [], {
    env: { ...FAKE_CRYSTAL_ENV, CRYSTALMATH_LOCAL_MAX_CONCURRENT: "4" },
  });
}

function waitForWorkflow(client: SocketClient, id: string): Promise<Workflow> {
  return waitFor(
    `workflow ${id} to end`,
    () => client.request("workflows.get", { id }) as Promise<Workflow>,
    (w) => ["completed", "failed", "cancelled"].includes(w.state),
    90_000,
  );
}

function close(actual: unknown, expected: number, relative: number, what: string): void {
  assert.ok(
    typeof actual === "number" && Math.abs(actual - expected) <= relative * Math.abs(expected),
    `${what}: ${actual} is not within ${relative} of ${expected}`,
  );
}

function checkEos(result: Record<string, unknown>): void {
  close(result["v0"], MODEL.v0, 1e-5, "V0");
  close(result["b0_gpa"], MODEL.b0_gpa, 1e-4, "B0");
  close(result["b0_prime"], MODEL.b0_prime, 1e-3, "B0'");
  // SHRINK 8 for every point adds the same k-point error to E0.
  close(result["e0"], MODEL.e0 + 0.02 * Math.exp(-8), 1e-10, "E0");
  const points = result["points"] as { scale: number; volume: number }[];
  assert.equal(points.length, 7);
  // V = (4.21 s^(1/3))³/4 = s·4.21³/4: the lattice lengths were scaled by s^(1/3).
  for (const p of points) close(p.volume, p.scale * 4.21 ** 3 / 4, 1e-6, `V at ${p.scale}`);
  assert.deepEqual(points.map((p) => p.scale.toFixed(2)), [
    "0.94",
    "0.96",
    "0.98",
    "1.00",
    "1.02",
    "1.04",
    "1.06",
  ]);
  assert.deepEqual(result["warnings"], []);
}

Deno.test("workflows.create_eos runs 7 volumes and fits the model's Birch-Murnaghan curve", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const created = await client.request("workflows.create_eos", {
    name: "mgo [model]",
    base_input: base(),
  }) as { workflow_id: string; jobs: number[] };
  assert.equal(created.workflow_id, "wf-1");
  assert.equal(created.jobs.length, 7);
  const done = await waitForWorkflow(client, created.workflow_id);
  assert.equal(done.state, "completed", String(done.error));
  checkEos(done.result!);
  const vinet = (done.result!["fits"] as { vinet: Record<string, number> }).vinet;
  close(vinet["v0"], MODEL.v0, 1e-3, "Vinet V0");
  const members = await client.request("jobs.list", { workflow_id: "wf-1" }) as {
    jobs: { pk: number; workflow_id: string }[];
    total: number;
  };
  assert.equal(members.total, 7);
  const { svg } = await client.request("workflows.plot", { id: "wf-1" }) as { svg: string };
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 640 400"/);
  const again = await client.request("workflows.plot", { id: "wf-1" }) as { svg: string };
  assert.equal(again.svg, svg, "the same plot twice");
  const listed = await client.request("workflows.list", { type: "eos" }) as { total: number };
  assert.equal(listed.total, 1);
  const file = join(box.dir, "eos.svg");
  const cli = await runCli(["plot", "wf-1", "-o", file, "--socket", box.socket, "--no-start"], {
    env: box.env,
  });
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(await Deno.readTextFile(file), svg, "the CLI writes the same SVG");
});

Deno.test("workflows.create_convergence finds the SHRINK the model converges at", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const values = [12, 4, 6, 8, 10];
  const created = await client.request("workflows.create_convergence", {
    name: "mgo [model]",
    base_input: base(),
    parameter: "shrink",
    values,
  }) as { workflow_id: string; jobs: number[] };
  const done = await waitForWorkflow(client, created.workflow_id);
  assert.equal(done.state, "completed", String(done.error));
  const result = done.result as {
    points: { value: number; delta_mev_per_atom: number; cpu_seconds: number }[];
    converged_value: number;
    recommendation: string;
  };
  assert.deepEqual(result.points.map((p) => p.value), [4, 6, 8, 10, 12]);
  // ΔE per atom = 0.02 (e^-IS − e^-12) Ha / 2 atoms: 4.96 meV at 4, 0.67 at 6, 0.09 at 8.
  for (const p of result.points) {
    // The stand-in prints energies to 1e-11 Ha: 1e-5 meV/atom is far above that rounding.
    const expected = 0.02 * (Math.exp(-p.value) - Math.exp(-12)) / 2 * HARTREE_IN_MEV;
    assert.ok(Math.abs(p.delta_mev_per_atom - expected) < 1e-5, `ΔE at ${p.value}`);
    assert.equal(p.cpu_seconds, p.value, "the stand-in reports IS as its CPU time");
  }
  assert.equal(result.converged_value, 6);
  assert.match(result.recommendation, /^Use SHRINK 6/);
  const short = await client.request("workflows.create_convergence", {
    name: "mgo [model] short",
    base_input: base(),
    parameter: "shrink",
    values: [2, 3],
  }) as { workflow_id: string };
  const scan = await waitForWorkflow(client, short.workflow_id);
  assert.equal((scan.result as { converged_value: null }).converged_value, null);
  assert.match(
    (scan.result as { recommendation: string }).recommendation,
    /Not converged: .*extend the scan beyond 3/,
  );
});

Deno.test("an EOS study survives a daemon SIGKILL mid-study: no member twice, same result", async () => {
  await using box = await makeSandbox();
  let id: string;
  {
    await using _daemon = await daemonFor(box);
    await using client = new SocketClient(box.socket);
    const created = await client.request("workflows.create_eos", {
      name: "mgo [model] [slow]",
      base_input: base(),
    }) as { workflow_id: string; jobs: number[] };
    id = created.workflow_id;
    const w = await client.request("workflows.get", { id }) as Workflow;
    assert.equal(w.state, "running");
  } // SIGKILL while the first four points run.
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const done = await waitForWorkflow(client, id);
  assert.equal(done.state, "completed", String(done.error));
  checkEos(done.result!);
  const all = await client.request("jobs.list", {}) as { total: number };
  assert.equal(all.total, 7, "no member was made twice");
});

Deno.test("workflows.create_eos refuses a deck without a 3D geometry and records nothing", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  await assert.rejects(
    client.request("workflows.create_eos", { name: "x", base_input: "X\nCRYSTAL\n" }),
    /Invalid base deck: line/,
  );
  await assert.rejects(
    client.request("workflows.create_eos", { name: "x" }),
    /exactly one of base_input and source_job_pk/,
  );
  const listed = await client.request("workflows.list", {}) as { total: number };
  assert.equal(listed.total, 0);
});

Deno.test("workflows.cancel cancels the members, and jobs.subscribe {workflow_id} pushes workflows.changed", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = await connect({ socket: box.socket });
  const changes: { workflow_id: string; state: string; previous_state: string | null }[] = [];
  const members: { pk: number }[] = [];
  client.on("workflows.changed", (c) => changes.push(c));
  client.on("jobs.changed", (c) => members.push(c));
  await client.call("jobs.subscribe", { workflow_id: "wf-2" });
  // wf-1 is not watched: neither it nor its jobs are pushed.
  await client.call("workflows.create_convergence", {
    name: "other [model]",
    base_input: base(),
    parameter: "shrink",
    values: [4, 6],
  });
  const created = await client.call("workflows.create_eos", {
    name: "mgo [model] [slow]",
    base_input: base(),
  });
  assert.equal(created.workflow_id, "wf-2");
  const cancelled = await client.call("workflows.cancel", { id: "wf-2" });
  assert.equal(cancelled.state, "cancelled");
  const done = await waitFor(
    "the members to end",
    () => client.call("workflows.get", { id: "wf-2" }),
    (w) => w.jobs.every((j) => j.state === "cancelled"),
  );
  assert.equal(done.jobs.length, 7);
  await waitFor("the notification", () => Promise.resolve(changes), (c) => c.length >= 3);
  assert.deepEqual(changes.map((c) => [c.workflow_id, c.previous_state, c.state]), [
    ["wf-2", null, "created"],
    ["wf-2", "created", "running"],
    ["wf-2", "running", "cancelled"],
  ]);
  assert.ok(members.every((m) => created.jobs.includes(m.pk)), "only wf-2's jobs are pushed");
  await assert.rejects(client.call("workflows.cancel", { id: "wf-2" }), /already ended cancelled/);
  await assert.rejects(
    client.call("workflows.get", { id: "wf-9" }),
    /Workflow "wf-9" does not exist/,
  );
});
