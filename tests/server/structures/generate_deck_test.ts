import assert from "node:assert/strict";
import { parseDeck } from "../../../server/crystal/deck.ts";
import { CrystalInputInvalidError } from "../../../server/errors.ts";
import { generateDeck } from "../../../server/structures/generate_deck.ts";
import { expand, roundTripProblem } from "../../../server/structures/round_trip.ts";
import {
  type Lattice,
  periodicDistance,
  type Structure,
} from "../../../server/structures/structure.ts";
import { operationsOf } from "../../../server/structures/symmetry.ts";
import { fixtureTest, readCrystalFixture } from "../../_fixtures.ts";

const A = 4.21;
const CUBIC: Lattice = [[A, 0, 0], [0, A, 0], [0, 0, A]];

function rockSalt(overrides: Partial<Structure> = {}): Structure {
  const fcc = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]] as [
    number,
    number,
    number,
  ][];
  return {
    lattice: CUBIC,
    sites: [
      ...fcc.map((f) => ({ element: "Mg", frac: f, occupancy: 1 })),
      ...fcc.map((f) => ({
        element: "O",
        frac: f.map((x) => (x + 0.5) % 1) as [number, number, number],
        occupancy: 1,
      })),
    ],
    source: "poscar",
    title: "MgO",
    problems: [],
    warnings: [],
    ...overrides,
  };
}

Deno.test("periodicDistance() measures through periodic images", () => {
  assert.ok(Math.abs(periodicDistance(CUBIC, [0.01, 0, 0], [0.99, 0, 0]) - 0.02 * A) < 1e-12);
  assert.ok(
    Math.abs(periodicDistance(CUBIC, [0.5, 0.5, 0.5], [0, 0, 0]) - (A * Math.sqrt(3)) / 2) < 1e-12,
  );
});

Deno.test("expand() with Fm-3m (Hall 523) rebuilds the 8 rock-salt sites from 2, and roundTripProblem() agrees", async () => {
  const operations = await operationsOf(523);
  const asym = [{ element: "Mg", frac: [0, 0, 0] }, { element: "O", frac: [0.5, 0.5, 0.5] }];
  const rebuilt = expand(asym, { operations, lattice: CUBIC, tolerance: 0.01 });
  assert.equal(rebuilt.length, 8);
  assert.equal(rebuilt.filter((s) => s.element === "O").length, 4);
  const cell = { sites: rockSalt().sites, lattice: CUBIC };
  assert.equal(roundTripProblem(asym, cell, { operations, tolerance: 0.01 }), null);
  // An O written at the wrong orbit (8c instead of 4b) rebuilds the wrong structure.
  const wrong = [{ element: "Mg", frac: [0, 0, 0] }, { element: "O", frac: [0.25, 0.25, 0.25] }];
  assert.match(
    String(roundTripProblem(wrong, cell, { operations, tolerance: 0.01 })),
    /make 12 sites, the structure has 8/,
  );
});

Deno.test("generateDeck() writes rock salt as Fm-3m with two atoms, and the deck parses", async () => {
  const deck = await generateDeck(rockSalt(), { basis_set: "POB-TZVP-REV2" });
  assert.deepEqual([deck.space_group.number, deck.crystal_system], [225, "cubic"]);
  assert.equal(deck.asymmetric_unit.length, 2);
  assert.deepEqual(deck.warnings, []);
  const parsed = parseDeck(deck.d12);
  if (parsed.geometry.kind !== "CRYSTAL") throw new Error("not CRYSTAL");
  assert.equal(parsed.geometry.space_group, 225);
  assert.deepEqual(parsed.geometry.lattice, { a: 4.21 });
  assert.match(
    deck.d12,
    /\nBASISSET\nPOB-TZVP-REV2\nDFT\nPBE\nEND\nSHRINK\n13 26\nTOLDEE\n7\nEND\n$/,
  );
});

Deno.test("generateDeck() with optimize puts OPTGEOM in the geometry block and tightens TOLDEE", async () => {
  const deck = await generateDeck(rockSalt(), {
    optimize: true,
    opt_type: "ATOMONLY",
    functional: "HF",
  });
  assert.match(
    deck.d12,
    /\n8 0\.5 0\.5 0\.5\nOPTGEOM\nATOMONLY\nENDOPT\nBASISSET\n|\nOPTGEOM\nATOMONLY\nENDOPT\nBASISSET\n/,
  );
  assert.ok(!deck.d12.includes("DFT"));
  assert.match(deck.d12, /\nTOLDEE\n8\nEND\n$/);
  assert.equal(parseDeck(deck.d12).optgeom?.max_cycles, null);
});

Deno.test("generateDeck() refuses disorder, a non-3D structure and an element the basis set lacks", async () => {
  await assert.rejects(
    generateDeck(rockSalt({ problems: ["disorder"] })),
    (e) =>
      e instanceof CrystalInputInvalidError && /disordered or partially occupied/.test(e.message),
  );
  await assert.rejects(
    generateDeck(rockSalt({ problems: ["not_3d"] })),
    (e) => e instanceof CrystalInputInvalidError && /not periodic in 3 dimensions/.test(e.message),
  );
  const gold = rockSalt({ sites: [{ element: "Au", frac: [0, 0, 0], occupancy: 1 }] });
  await assert.rejects(
    generateDeck(gold, { basis_set: "POB-TZVP" }),
    (e) =>
      e instanceof CrystalInputInvalidError && /POB-TZVP: it does not cover Au/.test(e.message),
  );
});

Deno.test("generateDeck() finds the lower symmetry of a distorted cell and refuses atoms on one site", async () => {
  // O pulled 0.1 Å along x off Mg's site in a cubic cell: P4mm (99), tetragonal, 2 atoms.
  const pulled = rockSalt({
    sites: [
      { element: "Mg", frac: [0, 0, 0], occupancy: 1 },
      { element: "O", frac: [0.1 / A, 0, 0], occupancy: 1 },
    ],
  });
  const deck = await generateDeck(pulled);
  assert.deepEqual([deck.space_group.number, deck.crystal_system], [99, "tetragonal"]);
  const parsed = parseDeck(deck.d12);
  if (parsed.geometry.kind !== "CRYSTAL") throw new Error("not CRYSTAL");
  assert.equal(parsed.geometry.atoms.length, 2);
  const onTop = rockSalt({
    sites: [
      { element: "Mg", frac: [0, 0, 0], occupancy: 1 },
      { element: "O", frac: [0, 0, 0], occupancy: 1 },
    ],
  });
  await assert.rejects(
    generateDeck(onTop),
    (e) => e instanceof CrystalInputInvalidError && /two atoms on one site/.test(e.message),
  );
});

Deno.test("a two-origin group is written in origin choice 1 whichever origin the input used", async () => {
  // Diamond Si, Fd-3m (227): origin choice 1 has an atom at 0,0,0 (8a); origin choice 2 puts
  // the centre of symmetry at the origin and the atoms at ±(1/8,1/8,1/8). Both inputs are one
  // crystal and must give one deck, with Si on 8a at the origin of choice 1 (Hall 525).
  const a = 5.431;
  const fcc = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]];
  const silicon = (shift: number): Structure => ({
    lattice: [[a, 0, 0], [0, a, 0], [0, 0, a]],
    sites: [0, 0.25].flatMap((basis) =>
      fcc.map((f) => ({
        element: "Si",
        frac: f.map((x) => (((x + basis + shift) % 1) + 1) % 1) as [number, number, number],
        occupancy: 1,
      }))
    ),
    source: "poscar",
    title: "Si",
    problems: [],
    warnings: [],
  });
  const operations = await operationsOf(525);
  for (const shift of [0, -0.125]) {
    const deck = await generateDeck(silicon(shift));
    assert.deepEqual(deck.space_group, { number: 227, symbol: "F d -3 m", hall_number: 525 });
    // 8a (0,0,0) or 8b (0,0,1/2): the normalizer of Fd-3m shifts one onto the other, and both are
    // diamond. Origin choice 2 would have written ±(1/8,1/8,1/8).
    const [site] = deck.asymmetric_unit;
    assert.ok(["0,0,0", "0,0,0.5"].includes(String(site!.frac)), `shift ${shift}: ${site!.frac}`);
    // IFSO = 1: CRYSTAL's origin choice 1 for a two-origin group (see the mackinawite test).
    assert.match(deck.d12, /\nCRYSTAL\n0 0 1\n227\n5\.431\n1\n14 0 0 0(\.5)?\nBASISSET\n/);
    const lattice = silicon(0).lattice;
    const rebuilt = expand([{ element: "Si", frac: site!.frac }], {
      operations,
      lattice,
      tolerance: 0.01,
    });
    assert.equal(rebuilt.length, 8);
    // Each atom has its four neighbours at a√3/4, as in diamond.
    const nearest = Math.min(
      ...rebuilt.slice(1).map((r) => periodicDistance(lattice, r.frac, rebuilt[0]!.frac)),
    );
    assert.ok(Math.abs(nearest - (a * Math.sqrt(3)) / 4) < 1e-6, `nearest ${nearest}`);
  }
});

/** CRYSTAL's "COORDINATES OF THE EQUIVALENT ATOMS" table (the first one) of an output. */
function equivalentAtoms(output: string): { z: number; frac: number[] }[] {
  const table = output.split("COORDINATES OF THE EQUIVALENT ATOMS")[1]!.split(
    "NUMBER OF SYMMETRY",
  )[0]!;
  return [...table.matchAll(/^\s+\d+\s+\d+\s+\d+\s+(\d+) \w+\s+(\S+)\s+(\S+)\s+(\S+)\s*$/gm)]
    .map((m) => ({ z: Number(m[1]), frac: [m[2], m[3], m[4]].map(Number) }));
}

fixtureTest(
  "CRYSTAL reads `0 0 1` in origin choice 1 (mackinawite, P4/nmm), and a two-origin deck says `0 0 1`",
  async () => {
    const output = readCrystalFixture("FAILED_GEOM_mackinawite_opt.out");
    const input = parseDeck(
      output.slice(output.indexOf("Mineralogical Magazine"), output.indexOf("\n# mpiexec")),
    );
    if (input.geometry.kind !== "CRYSTAL") throw new Error("not a CRYSTAL block");
    assert.deepEqual(input.geometry.flags, { iflag: 0, ifhr: 0, ifso: 1 });
    assert.match(output, /SHIFT OF THE ORIGIN\s+:\s+3\/4\s+1\/4\s+0\n/);
    const printed = equivalentAtoms(output);
    assert.equal(printed.length, 4);
    const [a, c] = [3.55114561, 5.35521437];
    const lattice: Lattice = [[a, 0, 0], [0, a, 0], [0, 0, c]];
    const asWritten = input.geometry.atoms.map((atom) => ({
      element: atom.atomic_number === 26 ? "Fe" : "S",
      frac: [atom.x, atom.y, atom.z],
    }));
    const sameSites = (sites: { element: string; frac: readonly number[] }[]) =>
      sites.length === printed.length &&
      printed.every((p) =>
        sites.some((s) =>
          s.element === (p.z === 26 ? "Fe" : "S") &&
          periodicDistance(lattice, s.frac, p.frac) < 1e-6
        )
      );
    // What CRYSTAL made of the deck is its atoms expanded in origin choice 1 (Hall 408), not 2 (409).
    const origin1 = expand(asWritten, {
      operations: await operationsOf(408),
      lattice,
      tolerance: 1e-3,
    });
    const origin2 = expand(asWritten, {
      operations: await operationsOf(409),
      lattice,
      tolerance: 1e-3,
    });
    assert.ok(sameSites(origin1), "origin choice 1 rebuilds CRYSTAL's atoms");
    assert.ok(!sameSites(origin2), "origin choice 2 does not");
    // The other way: CRYSTAL's atoms as a structure give a deck with `0 0 1` that rebuilds them.
    const deck = await generateDeck({
      lattice,
      sites: printed.map((p) => ({
        element: p.z === 26 ? "Fe" : "S",
        frac: p.frac.map((x) => x - Math.floor(x)) as [number, number, number],
        occupancy: 1,
      })),
      source: "poscar",
      problems: [],
      warnings: [],
    });
    assert.deepEqual(deck.space_group, { number: 129, symbol: "P 4/n m m", hall_number: 408 });
    assert.match(deck.d12, /\nCRYSTAL\n0 0 1\n129\n3\.55114561 5\.35521437\n2\n/);
    const written = deck.asymmetric_unit.map((s) => ({ element: s.element, frac: s.frac }));
    assert.ok(
      sameSites(expand(written, { operations: await operationsOf(408), lattice, tolerance: 1e-3 })),
    );
  },
);
