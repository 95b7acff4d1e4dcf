/**
 * workflows.create_phonon through the real daemon and the stand-in CRYSTAL's [model]: its TO
 * triplet is at 400 (V0/V)² cm⁻¹ (V0 = 18.75 Å³, V = a³/4), its OPT relaxes to V0 and writes
 * fort.34, and EXTERNAL reads a from fort.34 (tests/fixtures/fake_crystal/crystal), so the modes
 * and the zero-point energy are checked against numbers known by hand, and a FREQCALC on the
 * OPT's geometry shows it got that job's fort.34.
 */
import assert from "node:assert/strict";
import { SocketClient } from "../../client/socket_client.ts";
import { makeSandbox, type Sandbox, startDaemon } from "../_harness.ts";
import { FAKE_CRYSTAL_ENV, type JobView, waitFor } from "../_jobs.ts";

/** h·c in eV·cm, from the exact SI h, c and e. */
const EV_PER_CM1 = 6.62607015e-34 * 29_979_245_800 / 1.602176634e-19;
/** The model's TO frequency at the deck's a = 4.21 Å: 400 (V0/V)² with V = 4.21³/4. */
const NU_AT_421 = 400 * (18.75 / (4.21 ** 3 / 4)) ** 2;

const BASE = "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\n" +
  "BASISSET\nPOB-TZVP\nSHRINK\n8 8\nTOLDEE\n8\nEND\n";

interface Mode {
  mode: number;
  degeneracy: number;
  frequency_cm1: number;
  irrep: string | null;
  ir_intensity: number | null;
  acoustic: boolean;
  imaginary: boolean;
}
interface Phonons {
  modes: Mode[];
  imaginary: Mode[];
  zero_point_energy_ev: number;
  pk: number;
  optimised_by: number | null;
  warnings: string[];
}
interface Workflow {
  state: string;
  error: string | null;
  jobs: { pk: number; state: string | null }[];
  result: Phonons | null;
  warnings: string[];
}

function daemonFor(box: Sandbox) {
  return startDaemon(box, [], { env: FAKE_CRYSTAL_ENV });
}

function ended(client: SocketClient, id: string): Promise<Workflow> {
  return waitFor(
    `workflow ${id} to end`,
    () => client.request("workflows.get", { id }) as Promise<Workflow>,
    (w) => ["completed", "failed", "cancelled"].includes(w.state),
    60_000,
  );
}

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not ${expected}`);
}

Deno.test("workflows.create_phonon at Γ: the model's modes, no imaginary one, and its ZPE", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const created = await client.request("workflows.create_phonon", {
    name: "mgo [model]",
    base_input: BASE,
  }) as { workflow_id: string; jobs: number[] };
  assert.equal(created.jobs.length, 1);
  const done = await ended(client, created.workflow_id);
  assert.equal(done.state, "completed", String(done.error));
  const result = done.result!;
  assert.deepEqual(
    result.modes.map((m) => [m.mode, m.degeneracy, m.irrep, m.acoustic, m.imaginary]),
    [[1, 3, "F1u", true, false], [4, 3, "F1u", false, false]],
  );
  // The stand-in prints 4 decimals: ν and ZPE = ½·3·h·c·ν agree to that.
  close(result.modes[1]!.frequency_cm1, NU_AT_421, 5e-5, "ν(TO)");
  assert.equal(result.modes[1]!.ir_intensity, 550);
  close(result.zero_point_energy_ev, 1.5 * NU_AT_421 * EV_PER_CM1, 1e-8, "ZPE");
  assert.deepEqual([result.imaginary, result.warnings, result.optimised_by], [[], [], null]);
  // The member ran with TOLDEE 10: the stand-in, like CRYSTAL, warns below it.
  const job = await client.request("jobs.get", { pk: result.pk }) as JobView & {
    input: string;
    warnings: string[];
  };
  assert.match(job.input, /\nFREQCALC\nINTENS\nENDFREQ\n/);
  assert.match(job.input, /\nTOLDEE\n10\n/);
  assert.deepEqual(job.warnings, []);
  const { svg } = await client.request("workflows.plot", { id: created.workflow_id }) as {
    svg: string;
  };
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 640 400"/);
  assert.match(svg, /zero-point energy 0\.0752 eV/);
});

Deno.test("workflows.create_phonon with optimize_first runs FREQCALC on the OPT's fort.34", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const created = await client.request("workflows.create_phonon", {
    name: "mgo [model]",
    base_input: BASE,
    optimize_first: true,
  }) as { workflow_id: string; jobs: number[] };
  assert.equal(created.jobs.length, 2);
  const [optPk, freqPk] = created.jobs as [number, number];
  const held = await client.request("jobs.get", { pk: freqPk }) as JobView;
  assert.ok(
    held.state === "created" || held.history.some((h) => h.to_state === "created"),
    "the FREQCALC job waits for the OPT",
  );
  const done = await ended(client, created.workflow_id);
  assert.equal(done.state, "completed", String(done.error));
  const result = done.result!;
  assert.equal(result.optimised_by, optPk);
  assert.equal(result.pk, freqPk);
  // The model relaxes to V0, where its TO mode is 400 cm⁻¹ exactly; the deck's own a = 4.21
  // would give 404.10. Only the OPT's fort.34 carries V0 (the FREQCALC deck says EXTERNAL).
  assert.equal(result.modes[1]!.frequency_cm1, 400);
  close(result.zero_point_energy_ev, 600 * EV_PER_CM1, 1e-12, "ZPE");
  const [opt, freq] = await Promise.all(
    [optPk, freqPk].map((pk) => client.request("jobs.get", { pk }) as Promise<JobView>),
  ) as [JobView, JobView];
  assert.ok(freq.started_at! >= opt.finished_at!, "FREQCALC started after the OPT ended");
  const read = (pk: number) =>
    client.request("jobs.get_output_file", { pk, name: "fort.34" }) as Promise<
      { content: string }
    >;
  const [written, copied] = await Promise.all([read(optPk), read(freqPk)]);
  assert.match(written.content, /^ {3}3 {3}5 {3}6\n/);
  assert.equal(copied.content, written.content, "the FREQCALC job has the OPT's fort.34");
  assert.match(
    (freq as JobView & { input: string }).input,
    /^mgo \[model\]: FREQCALC on the OPT geometry\nEXTERNAL\nFREQCALC\n/,
  );
});

Deno.test("workflows.create_phonon reports an imaginary mode, out of the ZPE, with a warning", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const created = await client.request("workflows.create_phonon", {
    name: "mgo [model] [imaginary]",
    base_input: BASE,
    ir_intensities: false,
  }) as { workflow_id: string };
  const done = await ended(client, created.workflow_id);
  assert.equal(done.state, "completed", String(done.error));
  const { imaginary, zero_point_energy_ev, warnings, modes } = done.result!;
  assert.deepEqual(imaginary.map((m) => [m.mode, m.degeneracy, m.ir_intensity]), [[4, 3, null]]);
  close(imaginary[0]!.frequency_cm1, -NU_AT_421, 5e-5, "ν(TO)");
  assert.equal(modes.filter((m) => m.acoustic).length, 1, "the acoustic triplet is not imaginary");
  assert.equal(zero_point_energy_ev, 0);
  assert.equal(done.warnings.length, 1);
  assert.match(warnings[0]!, /^3 imaginary modes \(down to -404\.1 cm⁻¹\)/);
});

Deno.test("a failed OPT fails the phonon study, naming it; its FREQCALC never runs", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const created = await client.request("workflows.create_phonon", {
    name: "mgo [fail-opt]",
    base_input: BASE,
    optimize_first: true,
  }) as { workflow_id: string; jobs: number[] };
  const done = await ended(client, created.workflow_id);
  assert.equal(done.state, "failed");
  assert.match(
    done.error!,
    new RegExp(
      `^Cannot analyse the phonons: mgo \\[fail-opt\\] OPT \\(job ${created.jobs[0]} failed`,
    ),
  );
  const freq = await client.request("jobs.get", { pk: created.jobs[1]! }) as JobView;
  assert.equal(freq.state, "cancelled");
  assert.equal(freq.started_at, null);
});

Deno.test("a phonon study with optimize_first survives a daemon SIGKILL: same answer, 2 jobs", async () => {
  await using box = await makeSandbox();
  let id: string;
  {
    await using _daemon = await daemonFor(box);
    await using client = new SocketClient(box.socket);
    const created = await client.request("workflows.create_phonon", {
      name: "mgo [model] [slow]",
      base_input: BASE,
      optimize_first: true,
    }) as { workflow_id: string };
    id = created.workflow_id;
  } // SIGKILL while the OPT runs and the FREQCALC waits for it.
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  const done = await ended(client, id);
  assert.equal(done.state, "completed", String(done.error));
  assert.equal(done.result!.modes[1]!.frequency_cm1, 400, "on the OPT's geometry");
  const all = await client.request("jobs.list", {}) as { total: number };
  assert.equal(all.total, 2, "no member was made twice");
});

Deno.test("workflows.create_phonon refuses a molecule and a singular supercell, recording nothing", async () => {
  await using box = await makeSandbox();
  await using _daemon = await daemonFor(box);
  await using client = new SocketClient(box.socket);
  await assert.rejects(
    client.request("workflows.create_phonon", {
      name: "co",
      base_input: "CO\nMOLECULE\n1\n2\n6 0. 0. 0.\n8 0. 0. 1.128\nEND\nBASISSET\nSTO-3G\nEND\n",
    }),
    /phonons need a periodic geometry/,
  );
  await assert.rejects(
    client.request("workflows.create_phonon", {
      name: "mgo",
      base_input: BASE,
      dispersion: { supercell: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] },
    }),
    /determinant is 1; it must be at least 2/,
  );
  const listed = await client.request("workflows.list", {}) as { total: number };
  assert.equal(listed.total, 0);
});
