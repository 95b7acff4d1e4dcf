/**
 * workflows.create_bands through the real daemon and the stand-in CRYSTAL's [model] marker,
 * whose properties run writes bands with a known gap (tests/fixtures/fake_crystal/crystal):
 * 0.25 Ha, indirect from G to X, with 10 occupied bands of 26.
 */
import assert from "node:assert/strict";
import { SocketClient } from "../../client/socket_client.ts";
import { makeSandbox, type Sandbox, startDaemon } from "../_harness.ts";
import { deck, FAKE_CRYSTAL_ENV, waitFor, waitForJob } from "../_jobs.ts";

const HARTREE_TO_EV = 27.211386245988;

interface Workflow {
  id: string;
  state: string;
  jobs: { pk: number; key: string; state: string | null }[];
  result: Record<string, unknown> | null;
  warnings: string[];
  error: string | null;
}

function daemonFor(box: Sandbox) {
  return startDaemon(box, [], { env: FAKE_CRYSTAL_ENV });
}

function waitForWorkflow(client: SocketClient, id: string): Promise<Workflow> {
  return waitFor(
    `workflow ${id} to end`,
    () => client.request("workflows.get", { id }) as Promise<Workflow>,
    (w) => ["completed", "failed", "cancelled"].includes(w.state),
    60_000,
  );
}

function checkModelGap(result: Record<string, unknown>): void {
  const near = (actual: unknown, expected: number, what: string) =>
    assert.ok(
      typeof actual === "number" && Math.abs(actual - expected) < 1e-9,
      `${what}: ${actual}, expected ${expected}`,
    );
  near(result["gap_ev"], 0.25 * HARTREE_TO_EV, "gap");
  near(result["direct_gap_ev"], 0.27 * HARTREE_TO_EV, "direct gap");
  assert.equal(result["direct"], false);
  assert.equal(result["is_metal"], false);
  const vbm = result["vbm"] as Record<string, unknown>;
  const cbm = result["cbm"] as Record<string, unknown>;
  assert.deepEqual([vbm["label"], vbm["band"], cbm["label"], cbm["band"]], ["G", 10, "X", 11]);
  near(vbm["energy_ev"], -0.15 * HARTREE_TO_EV, "VBM");
  near(result["fermi_energy_ev"], -0.15 * HARTREE_TO_EV, "E_F");
  assert.deepEqual(result["path"], ["G", "X", "W", "L", "G"], "rock salt: the cF path");
  assert.deepEqual(result["occupied_bands"], [10]);
  assert.deepEqual(result["bands_written"], [1, 26], "the 26 AOs the SCF printed");
}

Deno.test("workflows.create_bands runs an SCF, then properties on its fort.9, and finds the model's gap", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const created = await client.request("workflows.create_bands", {
    name: "mgo [model]",
    base_input: deck("MgO"),
    points_per_segment: 20,
  }) as { workflow_id: string; jobs: number[] };
  assert.equal(created.jobs.length, 2, "the SCF, and properties held behind it from the start");
  const done = await waitForWorkflow(client, created.workflow_id);
  assert.equal(done.state, "completed", String(done.error));
  checkModelGap(done.result!);
  assert.deepEqual(done.jobs.map((j) => j.key), ["scf", "bands"]);
  const [scf, props] = done.jobs.map((j) => j.pk);
  assert.equal(done.result!["scf_pk"], scf);
  assert.equal(done.result!["k_points"], 80);
  assert.deepEqual(done.result!["bands_file"], { pk: props, name: "BAND.DAT" });
  assert.deepEqual(done.result!["dos_file"], { pk: props, name: "DOSS.DAT" });
  const job = await client.request("jobs.get", { pk: props }) as Record<string, unknown>;
  assert.equal(job["workflow_id"], created.workflow_id);
  assert.match(String(job["properties_input"]), /^NEWK\n8 8\n1 0\nBAND\n/);
  assert.match(
    String(job["properties_input"]),
    /\n4 0 80 @VB-49@ @VB\+50@ 1 0\nG X\nX W\nW L\nL G\nDOSS\n0 1000 @VB-9@ @VB\+10@ /,
  );
  const ran = await client.request("jobs.get_output_file", { pk: props, name: "INPUT.d3" }) as {
    content: string;
  };
  assert.match(ran.content, /\n4 0 80 1 26 1 0\n[\s\S]*\nDOSS\n0 1000 1 20 1 14 0\n/, "placed");
  const files = await client.request("jobs.get_output_file", { pk: props, name: "fort.25" }) as {
    content: string;
  };
  assert.ok(files.content.startsWith("-%-0BAND   26   20"), "26 bands, 20 k-points a segment");
  // It ran properties alone: no CRYSTAL output of its own.
  await assert.rejects(
    client.request("jobs.get_output_file", { pk: props, name: "mgo-model-bands.out" }),
  );
  const { svg } = await client.request("workflows.plot", { id: created.workflow_id }) as {
    svg: string;
  };
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 640 400"/);
  assert.match(svg, />Γ<\/text>[\s\S]*>X<\/text>/);
  assert.match(svg, /DOS \(states\/eV\)/);
  const again = await client.request("workflows.plot", { id: created.workflow_id }) as {
    svg: string;
  };
  assert.equal(again.svg, svg, "the same plot twice");
});

Deno.test("workflows.create_bands on a completed job reuses its fort.9: properties only", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const { pk } = await client.request("jobs.submit", {
    name: "mgo-scf",
    input: deck("MgO [model]"),
  }) as {
    pk: number;
  };
  await waitForJob(client, pk, ["completed"]);
  const created = await client.request("workflows.create_bands", {
    name: "mgo [model] again",
    source_job_pk: pk,
    with_dos: false,
    path: ["G", "X", "W"],
  }) as { workflow_id: string; jobs: number[] };
  assert.equal(created.jobs[0], pk, "the source job is the SCF member");
  assert.equal(created.jobs.length, 2, "its output is there: properties is made at once");
  const done = await waitForWorkflow(client, created.workflow_id);
  assert.equal(done.state, "completed", String(done.error));
  assert.equal(done.jobs.length, 2);
  assert.equal(done.result!["scf_pk"], pk);
  assert.deepEqual(done.result!["path"], ["G", "X", "W"]);
  assert.equal(done.result!["dos_file"], null);
  const list = await client.request("jobs.list", {}) as { total: number };
  assert.equal(list.total, 2, "one new job: properties");
  const props = await client.request("jobs.get", { pk: done.jobs[1]!.pk }) as Record<
    string,
    unknown
  >;
  assert.deepEqual([props["properties_only"], props["restart_from"]], [true, pk]);
  assert.equal(props["input"], deck("MgO [model]"), "the deck of the wave function it reads");
});

Deno.test("jobs.submit {properties_only} runs properties alone on restart_from's fort.9", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const { pk } = await client.request("jobs.submit", { name: "scf", input: deck("MgO") }) as {
    pk: number;
  };
  await waitForJob(client, pk, ["completed"]);
  const d3 = "BAND\nMgO\n1 0 10 1 4 1 0\nG X\nEND\n";
  const { pk: props } = await client.request("jobs.submit", {
    name: "bands",
    properties_only: true,
    properties_input: d3,
    restart_from: pk,
  }) as { pk: number };
  const job = await waitForJob(client, props, ["completed", "failed"]);
  assert.equal(job.state, "completed", String(job.state_reason));
  assert.equal(job.state_reason, "properties completed");
  assert.equal(job["input"], deck("MgO"), "input defaults to the restart job's deck");
  await assert.rejects(
    client.request("jobs.submit", { name: "x", properties_only: true, properties_input: d3 }),
    /needs restart_from/,
  );
  // Band tokens, placed by the SCF's 20 electrons (c = 10) and 26 AOs.
  const tokens = "BAND\nMgO\n1 0 10 @VB-2@ @VB+30@ 1 0\nG X\nEND\n";
  const withTokens = (restart_from: number) =>
    client.request("jobs.submit", {
      name: "placed",
      properties_only: true,
      properties_input: tokens,
      restart_from,
    }) as Promise<{ pk: number }>;
  await assert.rejects(
    withTokens(pk),
    new RegExp(
      `Cannot choose the bands of the properties deck from job ${pk}: its output prints no ` +
        "NUMBER OF AO or N. OF ELECTRONS PER CELL",
    ),
  );
  const { pk: model } = await client.request("jobs.submit", {
    name: "model",
    input: deck("MgO [model]"),
  }) as { pk: number };
  await waitForJob(client, model, ["completed"]);
  const { pk: placed } = await withTokens(model);
  assert.equal((await waitForJob(client, placed, ["completed", "failed"])).state, "completed");
  const ran = await client.request("jobs.get_output_file", { pk: placed, name: "INPUT.d3" }) as {
    content: string;
  };
  assert.equal(ran.content, "BAND\nMgO\n1 0 10 8 26 1 0\nG X\nEND\n");
  await assert.rejects(
    client.request("jobs.submit", {
      name: "x",
      input: deck("MgO"),
      properties_input: tokens,
    }),
    /Band tokens \(@VB-49@, @VB\+50@\) need properties_only and restart_from/,
  );
});

Deno.test("workflows.create_bands refuses what it cannot compute, naming why", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const bad = (params: Record<string, unknown>, pattern: RegExp) =>
    assert.rejects(
      client.request("workflows.create_bands", { name: "x", base_input: deck("MgO"), ...params }),
      (error: Error & { code?: number }) => {
        assert.equal(error.code, -32602);
        assert.match(error.message, pattern);
        return true;
      },
    );
  await bad({ path: ["G", "x"] }, /"x" is not a point label/);
  await bad({ path: ["G"] }, /path/);
  await bad({ bands: [20, 10] }, /must go from the first band to the last/);
  await bad({ points_per_segment: 1 }, /points_per_segment/);
  const list = await client.request("workflows.list", {}) as { total: number };
  assert.equal(list.total, 0, "nothing recorded");
});

Deno.test("source_job_pk of an optimisation takes its optimised geometry, once it has converged", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const submit = async (title: string) => {
    const { pk } = await client.request("jobs.submit", {
      name: title,
      input: deck(title).replace("0.5 0.5 0.5\nEND\n", "0.5 0.5 0.5\nOPTGEOM\nENDOPT\nEND\n"),
    }) as { pk: number };
    return pk;
  };
  const opt = await submit("MgO [opt]");
  await waitForJob(client, opt, ["completed"]);
  const prepared = await client.request("workflows.prepare", {
    type: "convergence",
    name: "mgo",
    source_job_pk: opt,
    params: { parameter: "shrink", values: [4, 8] },
  }) as { inputs: { content: string }[] };
  for (const input of prepared.inputs) {
    assert.match(input.content, /\n225\n4\.20123456\n2\n12 0\.0 0\.0 0\.0\n8 -0\.5 -0\.5 -0\.5\n/);
    assert.doesNotMatch(input.content, /OPTGEOM/, "a single point at the optimised geometry");
  }
  const failed = await submit("MgO [fail-opt]");
  await waitForJob(client, failed, ["failed"]);
  await assert.rejects(
    client.request("workflows.create_eos", { name: "eos", source_job_pk: failed }),
    (error: Error & { code?: number }) => {
      assert.equal(error.code, -32006);
      assert.match(error.message, /optimised geometry: it is an optimisation that is failed/);
      return true;
    },
  );
});

Deno.test("the UI's create_band_structure_workflow prepares the SCF deck and creates no job", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const { pk } = await client.request("jobs.submit", {
    name: "mgo-scf",
    input: deck("MgO [model]"),
  }) as { pk: number };
  await waitForJob(client, pk, ["completed"]);
  const ask = (config: Record<string, unknown>) =>
    client.request("create_band_structure_workflow", {
      config_json: JSON.stringify({ source_job_pk: pk, dft_code: "crystal", ...config }),
    }) as Promise<
      {
        ok: boolean;
        data?: { workflow_json: string; inputs: { name: string; content: string }[] };
        error?: { code: string; message: string };
      }
    >;
  const auto = await ask({ path_type: "auto" });
  assert.equal(auto.ok, true, JSON.stringify(auto.error));
  assert.equal(auto.data!.inputs.length, 1);
  assert.equal(auto.data!.inputs[0]!.name, "bands SCF");
  assert.match(auto.data!.inputs[0]!.content, /^bands: SCF for bands\nCRYSTAL\n/);
  assert.equal(JSON.parse(auto.data!.workflow_json).type, "bands");
  const system = await ask({ path_type: "crystal_system", crystal_system: "bcc" });
  assert.deepEqual(JSON.parse(system.data!.workflow_json).config.path, [
    "G",
    "H",
    "N",
    "G",
    "P",
    "H",
  ]);
  const explicit = await ask({ path_type: "explicit", explicit_path: "G-X-W" });
  assert.deepEqual(JSON.parse(explicit.data!.workflow_json).config.path, ["G", "X", "W"]);
  const bad = await ask({ path_type: "explicit", explicit_path: "G-x" });
  assert.equal(bad.ok, false);
  assert.match(bad.error!.message, /"x" is not a point label/);
  const list = await client.request("jobs.list", {}) as { total: number };
  assert.equal(list.total, 1, "preparing made no job");
});

Deno.test("a band-structure study survives a daemon SIGKILL during its SCF: properties once", async () => {
  await using box = await makeSandbox();
  let id: string;
  {
    await using _daemon = await daemonFor(box);
    await using client = new SocketClient(box.socket);
    const created = await client.request("workflows.create_bands", {
      name: "mgo [model] [slow]",
      base_input: deck("MgO"),
    }) as { workflow_id: string };
    id = created.workflow_id;
  } // SIGKILL while the SCF runs: it ends with no daemon to see it.
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const done = await waitForWorkflow(client, id);
  assert.equal(done.state, "completed", String(done.error));
  checkModelGap(done.result!);
  const all = await client.request("jobs.list", {}) as { total: number };
  assert.equal(all.total, 2, "one SCF, one properties run");
});
