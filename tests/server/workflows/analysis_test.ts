import assert from "node:assert/strict";
import { renderPlot } from "../../../server/plots/svg_plot.ts";
import { parseDeck } from "../../../server/crystal/deck.ts";
import { analyseConvergence } from "../../../server/workflows/convergence_analysis.ts";
import { volumeRelaxation, withShrink } from "../../../server/workflows/deck_edits.ts";
import { EOS } from "../../../server/workflows/eos.ts";
import { CONVERGENCE } from "../../../server/workflows/convergence.ts";
import { planWorkflow, prepareWorkflowInputs } from "../../../server/workflows/types.ts";
import { birchMurnaghanEnergy, HARTREE_IN_MEV } from "../../../server/workflows/eos_fit.ts";
import { WorkflowFailure } from "../../../server/workflows/workflow_type.ts";
import { prepare } from "../../../server/methods/workflows/prepare.ts";
import { parseStoredResults } from "../../../server/jobs/outcome.ts";
import type { JobRow } from "../../../server/model/job.ts";

const DECK = "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\n" +
  "BASISSET\nPOB-TZVP\nSHRINK\n8 16\nTOLDEE\n8\nEND\n";
const GOLDEN = new URL("../../fixtures/plots/", import.meta.url);

/** Energies per cell of 2 atoms whose per-atom differences to the last are `mev` meV. */
function scan(mev: number[]) {
  return mev.map((d, i) => ({
    value: i + 1,
    pk: i + 1,
    energy_ha: 2 * (-100 + d / HARTREE_IN_MEV),
    atoms: 2,
    cpu_seconds: null,
  }));
}

Deno.test("analyseConvergence() takes the smallest value every denser one agrees with", () => {
  const options = { threshold_mev_per_atom: 1, parameter: "shrink" };
  // 0.9 is within 1 of 0 but not of 2.5 at value 2: value 3 (0.9, then 0.3 and 0) is the answer.
  const result = analyseConvergence(scan([5, 2.5, 0.9, 0.3, 0]), options);
  assert.equal(result.converged_value, 3);
  assert.deepEqual(result.points.map((p) => Number(p.delta_mev_per_atom.toFixed(9))), [
    5,
    2.5,
    0.9,
    0.3,
    0,
  ]);
  assert.equal(result.points[0]!.energy_per_atom_ha, -100 + 5 / HARTREE_IN_MEV);
  // A later swing counts: value 1 is within 1 of the last but not of value 2.
  assert.equal(analyseConvergence(scan([0.5, -0.8, 0.2, 0]), options).converged_value, 2);
  const open = analyseConvergence(scan([9, 4, 0]), options);
  assert.equal(open.converged_value, null, "only the densest qualifies");
  assert.match(open.recommendation, /differ by 4\.000 meV\/atom; extend the scan beyond 3/);
});

Deno.test("withShrink() keeps the deck's ISP/IS ratio", () => {
  const deck = withShrink(parseDeck(DECK), 6);
  assert.deepEqual(deck.hamiltonian.find((k) => k.keyword === "SHRINK")!.args, ["6 12"]);
});

Deno.test("volumeRelaxation() relaxes what the space group leaves free", () => {
  assert.equal(volumeRelaxation(parseDeck(DECK)), "none", "rock salt: nothing is free");
  const pyrite = DECK.replace(
    "225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5",
    "205\n5.42\n2\n26 0. 0. 0.\n16 0.385 0.385 0.385",
  );
  assert.equal(volumeRelaxation(parseDeck(pyrite)), "atoms");
  const rutile = DECK.replace(
    "225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5",
    "136\n4.59 2.96\n2\n22 0. 0. 0.\n8 0.305 0.305 0.",
  );
  assert.equal(volumeRelaxation(parseDeck(rutile)), "shape_and_atoms");
  const plan = planWorkflow("eos", { params: { num_points: 4 }, base_input: rutile, name: "tio2" });
  assert.match(plan.members[0]!.input, /OPTGEOM\nFULLOPTG\nCVOLOPT\nENDOPT/);
  assert.match(plan.members[0]!.input, /^4\.4\d+ 2\.8\d+$/m, "a and c scaled by 0.94^(1/3)");
});

Deno.test("prepareWorkflowInputs() builds EOS decks with lengths scaled by s^(1/3)", () => {
  const { inputs } = prepareWorkflowInputs("eos", {
    params: { num_points: 5, volume_range: [0.9, 1.1] },
    base_input: DECK,
    name: "mgo",
  });
  assert.deepEqual(inputs.map((i) => i.name), [
    "mgo V x 0.9000",
    "mgo V x 0.9500",
    "mgo V x 1.0000",
    "mgo V x 1.0500",
    "mgo V x 1.1000",
  ]);
  const a = inputs.map((i) =>
    Number(parseDeck(i.content).geometry.kind === "CRYSTAL" && i.content.split("\n")[4])
  );
  a.forEach((value, k) => assert.ok(Math.abs(value ** 3 / 4.21 ** 3 - (0.9 + 0.05 * k)) < 1e-12));
  assert.ok(inputs.every((i) => i.content.includes("SHRINK\n8 16\n")), "SHRINK is the same");
});

Deno.test("planWorkflow() refuses values of the wrong kind, duplicates and a deck without SHRINK", () => {
  const plan = (params: unknown, deck = DECK) =>
    planWorkflow("convergence", { params, base_input: deck, name: "x" });
  assert.throws(
    () => plan({ parameter: "shrink", values: [4, "POB-TZVP"] }),
    /"POB-TZVP" is not an integer IS/,
  );
  assert.throws(() => plan({ parameter: "shrink", values: [4, 4] }), /4 is listed twice/);
  assert.throws(
    () => plan({ parameter: "shrink", values: [4, 6] }, DECK.replace("SHRINK\n8 16\n", "")),
    /base deck has no SHRINK/,
  );
  assert.throws(
    () => plan({ parameter: "tolinteg", values: [[7, 7, 7, 7]] }),
    /Invalid convergence params: values/,
  );
  const basis = plan({ parameter: "basis", values: ["STO-3G", "POB-TZVP"] });
  assert.match(basis.members[0]!.input, /BASISSET\nSTO-3G\n/);
});

Deno.test("the EOS and convergence plots match their golden files byte for byte", async () => {
  const eos = renderPlot(EOS.plot(EOS.example.result, EOS.params.parse({})));
  const conv = renderPlot(CONVERGENCE.plot(
    CONVERGENCE.example.result,
    CONVERGENCE.params.parse(CONVERGENCE.example.params),
  ));
  for (const [name, svg] of [["eos.svg", eos], ["convergence.svg", conv]] as const) {
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 640 400"/);
    assert.doesNotMatch(svg, /="[^"]*\d\.\d{3,}/, "attributes have fixed decimals");
    const url = new URL(name, GOLDEN);
    if (Deno.env.get("UPDATE_GOLDEN")) await Deno.writeTextFile(url, svg);
    assert.equal(svg, await Deno.readTextFile(url), `${name} changed: UPDATE_GOLDEN=1 rewrites it`);
  }
});

/** EOS members at the scales, with BM3 energies, the ones in `failed` failed. */
function eosMembers(failed: number[]) {
  const scales = [0.94, 0.96, 0.98, 1, 1.02, 1.04, 1.06];
  const truth = { v0: 18.75, e0: -275.4485911, b0_gpa: 160, b0_prime: 4.1 };
  return scales.map((scale, i) => {
    const volume = 18.75 * scale;
    const isFailed = failed.includes(i);
    return {
      key: `v-${scale}`,
      name: `p${i}`,
      meta: { scale },
      job: {
        pk: i + 1,
        state: isFailed ? "failed" : "completed",
        state_reason: isFailed ? "SCF not converged" : "Normal termination",
        error_snippet: null,
        final_energy: isFailed ? null : birchMurnaghanEnergy(truth, volume),
      } as unknown as JobRow,
      results: {
        ...parseStoredResults(null),
        primitive_volume_a3: isFailed ? null : volume,
        atoms_in_cell: isFailed ? null : 2,
      },
    };
  });
}

Deno.test("the EOS analysis fits 4 good points of 7 and says which are missing", () => {
  const { result, warnings } = EOS.analyse(EOS.params.parse({}), eosMembers([0, 3, 6]));
  assert.ok(Math.abs(result.v0 - 18.75) < 1e-6 * 18.75);
  assert.equal(result.points.length, 4);
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0]!,
    /^3 of 7 points are missing from the fit: scale 0\.9400 \(job 1 failed: SCF not converged\); scale 1\.0000 \(job 4 failed/,
  );
});

Deno.test("the EOS analysis fails below 4 good points, naming the missing ones", () => {
  assert.throws(
    () => EOS.analyse(EOS.params.parse({}), eosMembers([0, 1, 2, 3])),
    (e) =>
      e instanceof WorkflowFailure &&
      /3 of 7 points completed, at least 4 are needed; missing: scale 0\.9400 \(job 1 failed/.test(
        e.message,
      ),
  );
});

Deno.test("the EOS analysis warns when V0 is outside the sampled volumes", () => {
  const members = eosMembers([]).map((m) => ({ ...m }));
  // Only the compressed half: V0 (18.75) lies above every sampled volume.
  const { warnings } = EOS.analyse(
    EOS.params.parse({}),
    members.slice(0, 3).concat(members.slice(0, 0)).concat([
      {
        ...members[0]!,
        meta: { scale: 0.92 },
        results: { ...members[0]!.results, primitive_volume_a3: 18.75 * 0.92 },
        job: {
          ...members[0]!.job,
          pk: 9,
          final_energy: birchMurnaghanEnergy({
            v0: 18.75,
            e0: -275.4485911,
            b0_gpa: 160,
            b0_prime: 4.1,
          }, 18.75 * 0.92),
        } as unknown as JobRow,
      },
    ]),
  );
  assert.ok(
    warnings.some((w) =>
      /V0 = 18\.7500 Å³ is outside the sampled volumes \[17\.2500, 18\.3750\]/.test(w)
    ),
    warnings.join("\n"),
  );
});

Deno.test("workflows.prepare's example is what prepareWorkflowInputs() builds", () => {
  const example = prepare.examples[0]!;
  const params = example.params;
  assert.deepEqual(
    prepareWorkflowInputs(params.type, {
      params: params.params,
      base_input: params.base_input!,
      name: params.name,
    }),
    example.result,
  );
});
