import assert from "node:assert/strict";
import { bandCountOf, resolveBandTokens } from "../../../server/crystal/band_window.ts";
import { Fort25Error, parseFort25 } from "../../../server/crystal/fort25.ts";
import { electronicLevels } from "../../../server/crystal/electronic_levels.ts";
import { HARTREE_TO_EV } from "../../../server/crystal/output_parser.ts";
import {
  BandStructureError,
  bandStructureOf,
  gapOf,
  pathLabels,
  totalDosOf,
} from "../../../server/workflows/band_structure.ts";
import { fixtureTest, readCrystalFixture } from "../../_fixtures.ts";
import {
  parseDeck,
  parsePropertiesDeck,
  validateDeck,
  writeDeck,
} from "../../../server/crystal/deck.ts";
import {
  optimizedGeometry,
  withOptimizedGeometry,
} from "../../../server/crystal/optimized_geometry.ts";
import { parseStoredResults } from "../../../server/jobs/outcome.ts";
import type { JobRow } from "../../../server/model/job.ts";
import { renderPlot } from "../../../server/plots/svg_plot.ts";
import { BANDS } from "../../../server/workflows/bands.ts";
import { kPathFor } from "../../../server/workflows/bands_deck.ts";
import type { MemberOutcome } from "../../../server/workflows/workflow_type.ts";

/** E12.5 as Fortran writes it: no separator before a minus sign. */
function e12(value: number): string {
  const [mantissa, exponent] = value.toExponential(5).split("e");
  const exp = Number(exponent);
  return `${mantissa}E${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`
    .padStart(12);
}

/** A fort.25 BAND record in CRYSTAL's layout, six values a line. */
function bandRecord(energies: number[][], options: { dk: number; fermi: number; ihferm?: number }) {
  const values = energies.flat().map(e12);
  const rows: string[] = [];
  for (let i = 0; i < values.length; i += 6) rows.push(values.slice(i, i + 6).join(""));
  return [
    `-%-${options.ihferm ?? 0}BAND${String(energies[0]!.length).padStart(5)}` +
    `${String(energies.length).padStart(5)}${e12(0)}${e12(options.dk)}${e12(options.fermi)}`,
    `${e12(-1)}${e12(1)}`,
    "    0    0    0    4    0    4",
    ...rows,
  ].join("\n");
}

const SEGMENTS = [{ from: "G", to: "X" }, { from: "X", to: "W" }];

Deno.test("parseFort25() reads touching E12.5 values and the record headers", () => {
  const text = bandRecord([[-1.5, -0.15, 0.1], [-1.5, -0.2, 0.05]], { dk: 0.125, fermi: -0.15 }) +
    "\n-%-0DOSS    1    3 0.00000E+00 1.00000E-01-1.50000E-01\n 0.00000E+00-3.00000E-01\n" +
    "    1    2    0    0    0    0\n 0.00000E+00 2.00000E+00 4.00000E+00\n";
  const f25 = parseFort25(text);
  assert.equal(f25.bands.length, 1);
  assert.deepEqual(f25.bands[0]!.energies, [[-1.5, -0.15, 0.1], [-1.5, -0.2, 0.05]]);
  assert.equal(f25.bands[0]!.dk, 0.125);
  assert.equal(f25.bands[0]!.fermi_ha, -0.15);
  assert.deepEqual(f25.dos[0]!.values, [0, 2, 4]);
  assert.equal(f25.dos[0]!.e0, -0.3);
  assert.throws(() => parseFort25("-%-0BAND   14    7 0.00000E+00\n"), Fort25Error);
  assert.throws(
    () => parseFort25(bandRecord([[1, 2]], { dk: 1, fermi: 0 }).replace(/\n[^\n]*$/, "\n")),
    /BAND record of 1 k-points × 2 bands has 0 values/,
  );
});

Deno.test("gapOf() finds an indirect gap from hand-made bands", () => {
  // Band 2 (the top valence band) peaks at Γ (-0.15 Ha); band 3 dips at X (0.10 Ha): the gap
  // is 0.25 Ha, indirect; the smallest gap at one k-point is at X, 0.10 - (-0.25) = 0.35 Ha.
  const gx = bandRecord([[-2, -0.15, 0.3], [-2, -0.2, 0.2], [-2, -0.25, 0.1]], {
    dk: 0.5,
    fermi: -0.16,
  });
  const xw = bandRecord([[-2, -0.25, 0.1], [-2, -0.3, 0.4]], { dk: 0.25, fermi: -0.16 });
  const bands = bandStructureOf(parseFort25(`${gx}\n${xw}\n`).bands, {
    segments: SEGMENTS,
    last_band: 3,
  });
  assert.deepEqual(bands.distances, [0, 0.5, 1, 1, 1.25]);
  assert.deepEqual(bands.ticks, [{ x: 0, label: "G" }, { x: 1, label: "X" }, {
    x: 1.25,
    label: "W",
  }]);
  const gap = gapOf(bands, { segments: SEGMENTS, valence: [2], state: "insulating" });
  assert.ok(Math.abs(gap.gap_ev - 0.25 * HARTREE_TO_EV) < 1e-9);
  assert.equal(gap.direct, false);
  assert.ok(Math.abs(gap.direct_gap_ev! - 0.35 * HARTREE_TO_EV) < 1e-9);
  assert.deepEqual(
    { ...gap.vbm!, energy_ev: Number((gap.vbm!.energy_ev / HARTREE_TO_EV).toFixed(9)) },
    { energy_ev: -0.15, band: 2, spin: null, label: "G", segment: "G-X", fraction: 0 },
  );
  assert.equal(gap.cbm!.label, "X");
  assert.equal(gap.cbm!.band, 3);
  // The same bands with band 2 also at -0.15 at X: VBM and CBM meet at X, a direct gap.
  const direct = bandStructureOf(
    parseFort25(`${gx.replace("-2.50000E-01", "-1.50000E-01")}\n${xw}\n`).bands,
    { segments: SEGMENTS, last_band: 3 },
  );
  const g2 = gapOf(direct, { segments: SEGMENTS, valence: [2], state: "insulating" });
  assert.equal(g2.direct, true);
  assert.equal(g2.vbm!.label, "G", "the first of equal maxima");
  // The occupied count comes from the output; not from the Fermi energy (-0.16 Ha is below the
  // top of band 2 here, as it can be on a real path).
  assert.throws(
    () => gapOf(bands, { segments: SEGMENTS, valence: [3], state: "insulating" }),
    /bands 3 and 4 .* not all among the bands 1-3 written/,
  );
  assert.throws(
    () => gapOf(bands, { segments: SEGMENTS, valence: [], state: null }),
    BandStructureError,
  );
  assert.equal(
    gapOf(bands, { segments: SEGMENTS, valence: [], state: "conducting" }).is_metal,
    true,
  );
  // Overlapping bands are a metal whatever the output says.
  const dipped = bandRecord([[-2, -0.15, 0.3], [-2, -0.2, -0.18], [-2, -0.25, 0.1]], {
    dk: 0.5,
    fermi: -0.16,
  });
  const overlap = bandStructureOf(
    parseFort25(`${dipped}\n${xw}\n`).bands,
    { segments: SEGMENTS, last_band: 3 },
  );
  const none = gapOf(overlap, { segments: SEGMENTS, valence: [2], state: "insulating" });
  assert.deepEqual([none.is_metal, none.gap_ev, none.vbm], [true, 0, null]);
});

Deno.test("gapOf() takes the smaller of the alpha and beta gaps of an open shell", () => {
  const alpha = bandRecord([[-0.2, 0.2], [-0.3, 0.3]], { dk: 1, fermi: -0.2, ihferm: 1 });
  const beta = bandRecord([[-0.25, 0.1], [-0.1, 0.4]], { dk: 1, fermi: -0.2, ihferm: 1 });
  const segments = [{ from: "G", to: "X" }];
  const bands = bandStructureOf(parseFort25(`${alpha}\n${beta}\n`).bands, {
    segments,
    last_band: 6,
  });
  assert.equal(bands.spins, 2);
  const gap = gapOf(bands, { segments, valence: [5], state: "insulating" });
  // VBM: beta at X (-0.1); CBM: beta at G (0.1): 0.2 Ha, indirect.
  assert.ok(Math.abs(gap.gap_ev - 0.2 * HARTREE_TO_EV) < 1e-9);
  assert.equal(gap.vbm!.spin, "beta");
  assert.equal(gap.direct, false);
});

Deno.test("pathLabels() marks breaks, totalDosOf() sums spins per eV", () => {
  assert.deepEqual(pathLabels([{ from: "G", to: "X" }, { from: "K", to: "G" }]), ["G", "X|K", "G"]);
  const dos = totalDosOf([
    { ihferm: 0, npts: 2, de: 0.5, fermi_ha: 0, e0: -0.5, projection: 1, values: [1, 1] },
    { ihferm: 0, npts: 2, de: 0.5, fermi_ha: 0, e0: -0.5, projection: 2, values: [2, 4] },
  ])!;
  assert.deepEqual(dos.energies_ev, [-0.5 * HARTREE_TO_EV, 0]);
  assert.deepEqual(dos.states_per_ev, [2 / HARTREE_TO_EV, 4 / HARTREE_TO_EV]);
});

fixtureTest("electronicLevels() reads the band count and Fermi energy CRYSTAL prints", () => {
  const levels = electronicLevels(readCrystalFixture("out_mgo.outp"));
  assert.equal(levels.ao_count, 26);
  assert.equal(levels.electrons_per_cell, 20);
  assert.equal(levels.state, "insulating");
  assert.deepEqual(levels.valence_bands, [10]);
  assert.equal(levels.fermi_ha, -0.15202);
  const na2o = electronicLevels(readCrystalFixture("Na2O.out"));
  assert.deepEqual(na2o.valence_bands, [15], "two TOP lines of one closed shell are one count");
  assert.equal(na2o.ao_count, 59);
  const open = electronicLevels(
    " ALPHA      ELECTRONS\n INSULATING STATE\n TOP OF VALENCE BANDS -    BAND     14; K    1; EIG -2.0E-01 AU\n" +
      " BOTTOM OF VIRTUAL BANDS - BAND     15; K    1; EIG  1.0E-01 AU\n BETA       ELECTRONS\n" +
      " INSULATING STATE\n TOP OF VALENCE BANDS -    BAND     12; K    3; EIG -2.5E-01 AU\n" +
      " BOTTOM OF VIRTUAL BANDS - BAND     13; K    1; EIG  1.0E-01 AU\n",
  );
  assert.deepEqual(open.valence_bands, [14, 12]);
  const metal = electronicLevels(" POSSIBLY CONDUCTING STATE - EFERMI(AU) -1.4369862E-01\n");
  assert.equal(metal.state, "conducting");
  assert.equal(metal.fermi_ha, -0.14369862);
  assert.deepEqual(metal.valence_bands, []);
});

const MGO = "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\n" +
  "BASISSET\nPOB-TZVP\nSHRINK\n8 16\nEND\n";
const GOLDEN = new URL("../../fixtures/plots/", import.meta.url);

/** A member whose job ended `state`, with files. */
function member(
  key: string,
  options: {
    pk: number;
    input: string;
    meta?: Record<string, unknown>;
    files?: Record<string, string>;
  },
  state = "completed",
): MemberOutcome {
  return {
    key,
    name: key === "scf" ? "mgo SCF" : "mgo bands",
    meta: options.meta ?? { study: "mgo" },
    job: {
      pk: options.pk,
      state,
      input: options.input,
      state_reason: state === "completed" ? "Normal termination" : "SCF not converged",
      error_snippet: null,
    } as unknown as JobRow,
    results: parseStoredResults(null),
    files: options.files ?? {},
  };
}

const SCF_OUT = " NUMBER OF AO                26  EXCHANGE OVERLAP TOL\n" +
  " N. OF ELECTRONS PER CELL    20  EXCHANGE PSEUDO OVP (F(G))  (T4) 10**   -7\n" +
  " INSULATING STATE\n TOP OF VALENCE BANDS -    BAND     10; K    1; EIG -1.52E-01 AU\n";

/** The model of the stand-in CRYSTAL, bands 9 to 12 only, along G-X-W. */
function modelFort25(): string {
  const at = (label: string, band: number) =>
    band === 10
      ? label === "G" ? -0.15 : -0.25
      : band === 11
      ? label === "G" ? 0.12 : label === "X" ? 0.10 : 0.20
      : band < 10
      ? -0.6
      : 0.5;
  const segment = (from: string, to: string) =>
    bandRecord(
      Array.from({ length: 5 }, (_, j) =>
        [9, 10, 11, 12].map((b) => (1 - j / 4) * at(from, b) + (j / 4) * at(to, b))),
      { dk: 0.25, fermi: -0.15 },
    );
  const dos = "-%-0DOSS    1    6 0.00000E+00 1.00000E-01-1.50000E-01\n 0.00000E+00-4.00000E-01\n" +
    "    1   26    0    0    0    0\n 0.00000E+00 2.00000E+01 2.00000E+01 0.00000E+00 0.00000E+00 2.00000E+01\n";
  return `${segment("G", "X")}\n${segment("X", "W")}\n${dos}`;
}

Deno.test("BANDS plans an SCF and properties alone on its fort.9, placed by its output", () => {
  const params = BANDS.params.parse({ path: ["G", "X", "W"], points_per_segment: 5 });
  const [scf, bands] = BANDS.plan(params, { deck: parseDeck(MGO), name: "mgo" });
  assert.equal(scf!.key, "scf");
  assert.doesNotMatch(scf!.input, /OPTGEOM/);
  assert.deepEqual(bands!.depends_on, ["scf"], "queued behind the SCF from the start");
  assert.equal(bands!.restart_from, "scf");
  assert.equal(bands!.properties_only, true);
  assert.equal(
    bands!.properties_input,
    "NEWK\n8 16\n1 0\nBAND\nmgo: bands\n2 0 10 @VB-49@ @VB+50@ 1 0\nG X\nX W\nDOSS\n" +
      "0 1000 @VB-9@ @VB+10@ 1 14 0\nEND\n",
    "the 100 bands around the valence band and the DOS's 20, placed by the SCF's output",
  );
  assert.ok(parsePropertiesDeck(bands!.properties_input!), "a deck the daemon accepts");
  assert.equal(
    resolveBandTokens(bands!.properties_input!, bandCountOf(SCF_OUT)),
    "NEWK\n8 16\n1 0\nBAND\nmgo: bands\n2 0 10 1 26 1 0\nG X\nX W\nDOSS\n0 1000 1 20 1 14 0\nEND\n",
    "MgO's 26 AOs hold the 100 bands around band 10; the DOS the 20 around it",
  );
  const given = BANDS.plan(BANDS.params.parse({ path: ["G", "X"], bands: [5, 15] }), {
    deck: parseDeck(MGO),
    name: "mgo",
  })[1]!;
  assert.match(given.properties_input!, /^1 0 50 5 15 1 0$/m, "bands given: no tokens");
  assert.throws(
    () => BANDS.plan(params, { deck: parseDeck(MGO.replace("SHRINK\n8 16\n", "")), name: "m" }),
    /the base deck has no SHRINK/,
  );
  // A completed job with its wave function is the SCF itself.
  const source = {
    job: { pk: 7, state: "completed", name: "mgo-opt", input: MGO } as unknown as JobRow,
    results: parseStoredResults(null),
    has_wave_function: true,
  };
  const reused = BANDS.plan(params, { deck: parseDeck(MGO), name: "mgo", source });
  assert.deepEqual(reused.map((m) => [m.key, m.job_pk]), [["scf", 7], ["bands", undefined]]);
  assert.equal(reused[1]!.input, MGO);
  assert.equal(
    BANDS.plan(params, {
      deck: parseDeck(MGO),
      name: "mgo",
      source: { ...source, has_wave_function: false },
    })[0]!
      .job_pk,
    undefined,
    "no fort.9: a new SCF",
  );
});

Deno.test("the default k-path follows the Bravais lattice of the space group", () => {
  const path = (group: string, lattice = "4.21") =>
    kPathFor(parseDeck(MGO.replace("225\n4.21", `${group}\n${lattice}`)));
  assert.deepEqual(path("225").lines, ["G X", "X W", "W L", "L G"]);
  assert.equal(path("229").lattice, "cI");
  assert.equal(path("221").lattice, "cP");
  assert.equal(path("194", "3.2 5.1").lattice, "hP");
  assert.equal(path("139", "3.2 5.1").lattice, "tI");
  const generic = path("62", "5 6 7");
  assert.equal(generic.iss, 2);
  assert.deepEqual(generic.segments[0], { from: "G", to: "(1/2,0,0)" });
  assert.throws(() => kPathFor(parseDeck(MGO), ["G", "X|"]), /"X\|" is not a point label/);
});

Deno.test("BANDS analyses the model's bands and its plot matches the golden file", async () => {
  const params = BANDS.params.parse({ path: ["G", "X", "W"], points_per_segment: 5 });
  const [scf, planned] = BANDS.plan(params, { deck: parseDeck(MGO), name: "mgo" });
  const scfDone = member("scf", { pk: 1, input: scf!.input, files: { "{output}.out": SCF_OUT } });
  const meta = planned!.meta;
  const props =
    " INSULATING STATE\n TOP OF VALENCE BANDS -    BAND     10; K    1; EIG -1.5E-01 AU\n";
  // fort.25 holds bands 9-12: as if the deck had asked for bands 9 to 12.
  const bands = member("bands", {
    pk: 2,
    input: scf!.input,
    meta: { ...meta, last_band: 12 },
    files: { "fort.25": modelFort25(), "{output}.properties.out": props, "DOSS.DAT": "" },
  });
  const { result, warnings } = BANDS.analyse(params, [scfDone, bands]);
  assert.deepEqual(warnings, []);
  assert.ok(Math.abs(result.gap_ev - 0.25 * HARTREE_TO_EV) < 1e-9);
  assert.equal(result.direct, false);
  assert.deepEqual([result.vbm!.label, result.cbm!.label], ["G", "X"]);
  assert.deepEqual(result.bands_written, [9, 12]);
  assert.deepEqual(result.bands_file, { pk: 2, name: "fort.25" });
  assert.deepEqual(result.dos_file, { pk: 2, name: "DOSS.DAT" });
  assert.throws(
    () => BANDS.analyse(params, [scfDone, { ...bands, files: {} }]),
    /job 2 left no fort.25/,
  );
  const svg = renderPlot(BANDS.plot(result, params, [scfDone, bands]));
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 640 400"/);
  assert.doesNotMatch(svg, /="[^"]*\d\.\d{3,}/, "attributes have fixed decimals");
  const url = new URL("bands.svg", GOLDEN);
  if (Deno.env.get("UPDATE_GOLDEN")) await Deno.writeTextFile(url, svg);
  assert.equal(svg, await Deno.readTextFile(url), "bands.svg changed: UPDATE_GOLDEN=1 rewrites it");
  assert.throws(() => BANDS.plot(result, params, [scfDone]), /fort.25 is no longer there/);
});

fixtureTest("a converged optimisation's deck carries its optimised geometry (real outputs)", () => {
  const mgo = optimizedGeometry(readCrystalFixture("mgo_sto3g_opt.crystal.out"))!;
  assert.equal(mgo.dimensionality, 3);
  assert.deepEqual(mgo.crystallographic!.cell, [3.88436123, 3.88436123, 3.88436123, 90, 90, 90]);
  const deck = withOptimizedGeometry(
    parseDeck(readCrystalFixture("mgo_sto3g_opt.crystal.d12")),
    mgo,
  );
  const text = writeDeck(deck);
  assert.match(
    text,
    /^MgO bulk\nCRYSTAL\n0 0 0\n225\n3\.88436123\n2\n12 0\.0 0\.0 0\.0\n8 -0\.5 -0\.5 -0\.5\n/,
  );
  assert.match(
    text,
    /OPTGEOM/,
    "the deck is the job's own; a study makes its members single points",
  );
  assert.equal(validateDeck(text).ok, true);
  const s2 = withOptimizedGeometry(
    parseDeck(readCrystalFixture("s2_molecule_opt.d12")),
    optimizedGeometry(readCrystalFixture("s2_molecule_opt.out"))!,
  );
  assert.deepEqual(
    s2.geometry.kind === "MOLECULE" &&
      s2.geometry.atoms.map((a) => [a.atomic_number, a.x, a.y, a.z]),
    [[16, -2.182833700662e-2, 0, 0], [16, 1.911828337007, 0, 0]],
  );
  assert.equal(optimizedGeometry(readCrystalFixture("out_mgoSCF.out")), null, "a single point");
  assert.throws(
    () =>
      withOptimizedGeometry(
        parseDeck(
          readCrystalFixture("mgo_sto3g_opt.crystal.d12").replace(
            " 12 0.    0.    0.\n",
            " 12 0. 0. 0.\n 12 0.25 0.25 0.25\n",
          ).replace("\n2\n", "\n3\n"),
        ),
        mgo,
      ),
    /has 2 irreducible atoms, the deck 3/,
  );
});
