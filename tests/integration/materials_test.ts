/**
 * materials.generate_d12 through the real daemon: its declared example is what it answers, a
 * generated deck runs as a job, and bad structures are refused naming why.
 */
import assert from "node:assert/strict";
import { ServerError } from "../../client/errors.ts";
import { SocketClient } from "../../client/socket_client.ts";
import { generateD12 } from "../../server/methods/materials/generate_d12.ts";
import { fixtureTest, readCrystalFixture } from "../_fixtures.ts";
import { makeSandbox, startDaemon } from "../_harness.ts";
import { ENDED, FAKE_CRYSTAL_ENV, waitForJob } from "../_jobs.ts";

Deno.test("materials.generate_d12 answers its declared example exactly, and the deck runs as a job", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box, [], { env: FAKE_CRYSTAL_ENV });
  await using client = new SocketClient(box.socket);
  const [example] = generateD12.examples;
  const result = await client.request("materials.generate_d12", example!.params) as {
    d12: string;
  };
  assert.deepEqual(result, example!.result);
  const { pk } = await client.request("jobs.submit", { name: "generated", input: result.d12 }) as {
    pk: number;
  };
  const job = await waitForJob(client, pk, ENDED);
  assert.equal(job.state, "completed", String(job.state_reason));
});

fixtureTest("materials.generate_d12 turns pyrite.cif into a Pa-3 deck", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box);
  await using client = new SocketClient(box.socket);
  const result = await client.request("materials.generate_d12", {
    cif: readCrystalFixture("pyrite.cif"),
    optimize: true,
  }) as {
    d12: string;
    space_group: { number: number; symbol: string };
    asymmetric_unit: { element: string; wyckoff: string | null }[];
  };
  assert.deepEqual([result.space_group.number, result.space_group.symbol], [205, "P a -3"]);
  assert.deepEqual(
    result.asymmetric_unit.map((s) => `${s.element} ${s.wyckoff}`).sort(),
    ["Fe a", "S c"],
  );
  assert.match(result.d12, /\nCRYSTAL\n0 0 0\n205\n5\.38\n2\n/);
  assert.match(result.d12, /\nOPTGEOM\nFULLOPTG\nENDOPT\nBASISSET\n/);
});

Deno.test("materials.generate_d12 refuses a disordered CIF and two sources, naming why", async () => {
  await using box = await makeSandbox();
  await using _daemon = await startDaemon(box);
  await using client = new SocketClient(box.socket);
  const disordered = [
    "data_x",
    "_cell_length_a 4.21",
    "_cell_length_b 4.21",
    "_cell_length_c 4.21",
    "_cell_angle_alpha 90",
    "_cell_angle_beta 90",
    "_cell_angle_gamma 90",
    "loop_",
    "_atom_site_label",
    "_atom_site_fract_x",
    "_atom_site_fract_y",
    "_atom_site_fract_z",
    "_atom_site_occupancy",
    "Mg1 0 0 0 0.5",
    "O1 0.5 0.5 0.5 1",
    "",
  ].join("\n");
  await assert.rejects(
    client.request("materials.generate_d12", { cif: disordered }),
    (e) =>
      e instanceof ServerError && e.code === -32007 &&
      /disordered or partially occupied/.test(e.message),
  );
  await assert.rejects(
    client.request("materials.generate_d12", { cif: disordered, poscar: "x" }),
    (e) =>
      e instanceof ServerError && e.code === -32007 &&
      /exactly one of cif, poscar and structure/.test(e.message),
  );
  await assert.rejects(
    client.request("materials.generate_d12", { cif: "data_x\n_cell_length_a\n" }),
    (e) =>
      e instanceof ServerError && e.code === -32007 &&
      /Cannot read the cif: CIF line/.test(e.message),
  );
});
