import assert from "node:assert/strict";
import { parseDeck } from "../../../server/crystal/deck.ts";
import { parseCrystalOutput } from "../../../server/crystal/output_parser.ts";
import { parseStoredResults } from "../../../server/jobs/outcome.ts";
import type { JobRow } from "../../../server/model/job.ts";
import { renderPlot } from "../../../server/plots/svg_plot.ts";
import { PHONON } from "../../../server/workflows/phonon.ts";
import { analysePhonons, EV_PER_CM1 } from "../../../server/workflows/phonon_analysis.ts";
import { planWorkflow } from "../../../server/workflows/types.ts";
import { WorkflowFailure } from "../../../server/workflows/workflow_type.ts";
import { fixtureTest, readCrystalFixture } from "../../_fixtures.ts";

const DECK = "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\n" +
  "BASISSET\nPOB-TZVP\nSHRINK\n8 8\nTOLDEE\n8\nEND\n";
const GOLDEN = new URL("../../fixtures/plots/", import.meta.url);

/** A table row as the parser gives it. */
function row(mode: number, degeneracy: number, frequency: number, eigv = Math.sign(frequency)) {
  return {
    mode,
    degeneracy,
    eigv_hartree2: eigv,
    frequency_cm1: frequency,
    ir_intensity_km_mol: null,
  };
}

Deno.test("EV_PER_CM1 is h·c/e per cm from the exact SI constants", () => {
  const [h, c, e] = [6.62607015e-34, 299_792_458, 1.602176634e-19];
  assert.ok(Math.abs(EV_PER_CM1 - h * c * 100 / e) < 1e-17);
});

Deno.test("analysePhonons() flags the 3 acoustic modes, the imaginary ones, and sums the ZPE by hand", () => {
  const table = [
    row(1, 1, -3.2), // acoustic, slightly negative: neither imaginary nor in the ZPE
    row(2, 2, 1.1),
    row(4, 1, -55), // imaginary: EIGV < 0 and 55 > 10
    row(5, 1, -6, -1e-9), // below the threshold: not imaginary, not in the ZPE
    row(6, 2, 100),
    row(8, 1, 300.5),
  ];
  const { modes, imaginary, zero_point_energy_ev, warnings } = analysePhonons(table, {
    threshold_cm1: 10,
    rigid_modes: 3,
  });
  assert.deepEqual(modes.map((m) => m.acoustic), [true, true, false, false, false, false]);
  assert.deepEqual(imaginary.map((m) => m.mode), [4]);
  // ½ (2·100 + 300.5) cm⁻¹ = 250.25 cm⁻¹ = 250.25 × 1.239841984332e-4 eV = 0.0310270456582 eV.
  assert.ok(Math.abs(zero_point_energy_ev - 0.0310270456582) < 1e-12, String(zero_point_energy_ev));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^1 imaginary modes \(down to -55\.0 cm⁻¹\)/);
  // A lower threshold makes the small negative mode imaginary; the ZPE is unchanged.
  const strict = analysePhonons(table, { threshold_cm1: 5, rigid_modes: 3 });
  assert.deepEqual(strict.imaginary.map((m) => m.mode), [4, 5]);
  assert.equal(strict.zero_point_energy_ev, zero_point_energy_ev);
});

Deno.test("analysePhonons() uses EIGV's sign for imaginary modes, and warns of poor acoustic modes", () => {
  // A printed -20 whose EIGV is positive is not imaginary (EIGV decides); a large acoustic
  // frequency is reported.
  const { imaginary, warnings, modes } = analysePhonons(
    [row(1, 3, 25), row(4, 3, -20, 1e-8), row(7, 1, 50)],
    { threshold_cm1: 10, rigid_modes: 3 },
  );
  assert.deepEqual(imaginary, []);
  assert.deepEqual(modes.map((m) => m.acoustic), [false, true, false], "the lowest |ν| row");
  assert.match(warnings[0]!, /acoustic modes reach 20\.0 cm⁻¹/);
  const polymer = analysePhonons([row(1, 3, 0), row(4, 1, 0.5), row(5, 1, 90)], {
    threshold_cm1: 10,
    rigid_modes: 4,
  });
  assert.deepEqual(polymer.modes.map((m) => m.acoustic), [true, true, false]);
  assert.ok(Math.abs(polymer.zero_point_energy_ev - 45 * EV_PER_CM1) < 1e-15);
});

fixtureTest("the ZPE of spec_dryIceIR.out is ½ Σ d·ν over its 33 optical modes, by hand", () => {
  const { frequencies } = parseCrystalOutput(readCrystalFixture("spec_dryIceIR.out"));
  const { modes, imaginary, zero_point_energy_ev, warnings } = analysePhonons(frequencies, {
    threshold_cm1: 10,
    rigid_modes: 3,
  });
  // Σ d·ν written out from the table: 3·74.6367 + 2·76.4586 + 3·101.8206 + 2·116.5074 +
  // 119.6399 + 3·140.1895 + 3·153.1467 + 2·657.3993 + 3·659.4536 + 3·666.1370 + 3·1359.9539 +
  // 1361.0986 + 2372.7600 + 3·2392.5167 = 22197.7932 cm⁻¹.
  assert.ok(Math.abs(zero_point_energy_ev - 0.5 * 22197.7932 * EV_PER_CM1) < 1e-9);
  assert.ok(Math.abs(zero_point_energy_ev - 1.37608780) < 1e-8, String(zero_point_energy_ev));
  assert.deepEqual(modes.filter((m) => m.acoustic).map((m) => [m.mode, m.degeneracy]), [[1, 3]]);
  assert.deepEqual(imaginary, []);
  assert.deepEqual(warnings, []);
  assert.equal(modes.at(-1)!.ir_intensity, 3840.7);
});

Deno.test("the phonon plan: one FREQCALC deck at Γ with TOLDEE 10 and INTENS", () => {
  const { members } = planWorkflow("phonon", { params: {}, base_input: DECK, name: "mgo" });
  assert.equal(members.length, 1);
  const deck = parseDeck(members[0]!.input);
  assert.equal(deck.freqcalc, true);
  assert.deepEqual(deck.geometry_keywords.map((k) => k.keyword), ["FREQCALC"]);
  assert.deepEqual(deck.geometry_keywords[0]!.block, {
    keywords: [{ keyword: "INTENS", args: [] }],
    end: "ENDFREQ",
  });
  assert.deepEqual(deck.hamiltonian.find((k) => k.keyword === "TOLDEE")!.args, ["10"]);
  assert.deepEqual(members[0]!.depends_on, []);
  const tight = planWorkflow("phonon", {
    params: { ir_intensities: false },
    base_input: DECK.replace("TOLDEE\n8", "TOLDEE\n11"),
    name: "mgo",
  }).members[0]!;
  assert.match(tight.input, /TOLDEE\n11\n/, "a tighter TOLDEE is kept");
  assert.match(tight.input, /FREQCALC\nENDFREQ\n/, "no INTENS");
});

Deno.test("the phonon plan with optimize_first and a dispersion: OPT, then FREQCALC on fort.34", () => {
  const { members } = planWorkflow("phonon", {
    params: { optimize_first: true, dispersion: { supercell: [[2, 0, 0], [0, 2, 0], [0, 0, 2]] } },
    base_input: DECK.replace("END\nBASISSET", "SUPERCEL\n1 0 0\n0 1 0\n0 0 1\nEND\nBASISSET"),
    name: "mgo",
  });
  assert.deepEqual(members.map((m) => [m.key, m.depends_on, m.restart_from]), [
    ["opt", [], undefined],
    ["freq", ["opt"], "opt"],
  ]);
  const opt = parseDeck(members[0]!.input);
  assert.match(members[0]!.input, /SUPERCEL\n1 0 0\n0 1 0\n0 0 1\nOPTGEOM\nFULLOPTG\nENDOPT\n/);
  assert.equal(opt.freqcalc, false);
  const freq = parseDeck(members[1]!.input);
  assert.equal(freq.geometry.kind, "EXTERNAL");
  // The optimised geometry already has the SUPERCEL applied: only SCELPHONO and FREQCALC stay.
  assert.deepEqual(freq.geometry_keywords.map((k) => k.keyword), ["SCELPHONO", "FREQCALC"]);
  assert.deepEqual(freq.geometry_keywords[0]!.args, ["2 0 0", "0 2 0", "0 0 2"]);
  assert.deepEqual(freq.geometry_keywords[1]!.block!.keywords.map((k) => k.keyword), [
    "INTENS",
    "DISPERSI",
  ]);
});

Deno.test("the phonon plan refuses a molecule, a singular supercell and a bad matrix", () => {
  const plan = (params: unknown, deck = DECK) =>
    planWorkflow("phonon", { params, base_input: deck, name: "x" });
  assert.throws(
    () => plan({}, "CO\nMOLECULE\n1\n2\n6 0. 0. 0.\n8 0. 0. 1.128\nEND\nBASISSET\nSTO-3G\nEND\n"),
    /phonon study of a MOLECULE: phonons need a periodic geometry/,
  );
  assert.throws(
    () => plan({ dispersion: { supercell: [[1, 0, 0], [0, 1, 0], [1, 0, 0]] } }),
    /determinant is 0; it must be at least 2/,
  );
  assert.throws(
    () => plan({ dispersion: { supercell: [[2, 0], [0, 2, 0], [0, 0, 2]] } }),
    /Invalid phonon params: dispersion\.supercell\.0/,
  );
  assert.throws(() => plan({ imaginary_threshold_cm1: -1 }), /imaginary_threshold_cm1/);
});

/** The members of a phonon study whose FREQCALC job printed `table`. */
function members(table: ReturnType<typeof row>[] | null, state = "completed") {
  return [{
    key: "freq",
    name: "mgo FREQCALC",
    meta: { role: "freq", rigid_modes: 3 },
    job: { pk: 7, state, state_reason: "SCF not converged", error_snippet: null } as JobRow,
    results: { ...parseStoredResults(null), frequencies: table },
  }];
}

Deno.test("the phonon analysis fails naming a failed member or a missing table", () => {
  const params = PHONON.params.parse({});
  assert.throws(
    () => PHONON.analyse(params, members(null, "failed")),
    (e) =>
      e instanceof WorkflowFailure &&
      /mgo FREQCALC \(job 7 failed: SCF not converged\)/.test(e.message),
  );
  assert.throws(
    () => PHONON.analyse(params, members(null)),
    /job 7 printed no frequency table/,
  );
  const { result } = PHONON.analyse(params, members([row(1, 3, 0), row(4, 3, 400)]));
  assert.equal(result.pk, 7);
  assert.equal(result.optimised_by, null);
  assert.ok(Math.abs(result.zero_point_energy_ev - 600 * EV_PER_CM1) < 1e-15);
});

Deno.test("the phonon plot matches its golden file byte for byte", async () => {
  const result = {
    ...PHONON.example.result,
    modes: [
      ...PHONON.example.result.modes,
      { ...PHONON.example.result.modes[1]!, mode: 7, frequency_cm1: -120, imaginary: true },
    ],
  };
  result.imaginary = [result.modes[2]!];
  const svg = renderPlot(PHONON.plot(result, PHONON.params.parse({})));
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 640 400"/);
  assert.doesNotMatch(svg, /="[^"]*\d\.\d{3,}/, "attributes have fixed decimals");
  assert.match(svg, /stroke="#d62728" fill="none"/, "the imaginary modes are drawn");
  const url = new URL("phonon.svg", GOLDEN);
  if (Deno.env.get("UPDATE_GOLDEN")) await Deno.writeTextFile(url, svg);
  assert.equal(
    svg,
    await Deno.readTextFile(url),
    "phonon.svg changed: UPDATE_GOLDEN=1 rewrites it",
  );
});
