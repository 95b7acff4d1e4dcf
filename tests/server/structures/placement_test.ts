import assert from "node:assert/strict";
import { fixtureTest, readCrystalFixture } from "../../_fixtures.ts";
import { findKeyword, parseDeck } from "../../../server/crystal/deck.ts";
import { InvalidParamsError } from "../../../server/errors.ts";
import { generateDeck } from "../../../server/structures/generate_deck.ts";
import { type Fort34, readFort34 } from "../../../server/structures/fort34.ts";
import { placeFound } from "../../../server/structures/placement.ts";
import { siteSpins } from "../../../server/structures/spin.ts";
import {
  fractionalFromCartesian,
  type Lattice,
  type Structure,
} from "../../../server/structures/structure.ts";
import { analyzeSymmetry, operationsOf } from "../../../server/structures/symmetry.ts";
import { assertRebuilds } from "./_rebuild.ts";

type Vec = [number, number, number];

function structure(lattice: Lattice, sites: [string, Vec, string?][]): Structure {
  return {
    lattice,
    sites: sites.map(([element, frac, label]) => ({
      element,
      frac,
      occupancy: 1,
      ...(label === undefined ? {} : { label }),
    })),
    source: "cif",
    problems: [],
    warnings: [],
  };
}

const cubic = (a: number): Lattice => [[a, 0, 0], [0, a, 0], [0, 0, a]];
const FCC: Vec[] = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]];
const plus = (p: Vec, d: number) => p.map((x) => (x + d) % 1) as Vec;

/** Rock-salt NiO, conventional cell; Ni in (001) planes z = 0 labelled Ni1, z = ½ Ni2 (AFM-I). */
const NIO = structure(cubic(4.17), [
  ...FCC.map((p): [string, Vec, string] => ["Ni", p, p[2] === 0 ? "Ni1" : "Ni2"]),
  ...FCC.map((p): [string, Vec, string] => ["O", plus(p, 0.5), "O1"]),
]);

/** Rutile-type MnF2 (P42/mnm): Mn on 2a, F on 4f. */
const U = 0.305;
const MNF2 = structure([[4.87, 0, 0], [0, 4.87, 0], [0, 0, 3.31]], [
  ["Mn", [0, 0, 0], "Mn1"],
  ["Mn", [0.5, 0.5, 0.5], "Mn2"],
  ["F", [U, U, 0]],
  ["F", [1 - U, 1 - U, 0]],
  ["F", [0.5 + U, 0.5 - U, 0.5]],
  ["F", [0.5 - U, 0.5 + U, 0.5]],
]);

/** ATOMSPIN's pairs in a parsed deck, as [atom, spin]. */
function atomSpinPairs(d12: string): number[][] {
  const entry = findKeyword(parseDeck(d12).hamiltonian, "ATOMSPIN");
  const values = (entry?.args ?? []).flatMap((line) => line.trim().split(/\s+/)).map(Number);
  const pairs: number[][] = [];
  for (let i = 1; i < values.length; i += 2) pairs.push([values[i]!, values[i + 1]!]);
  assert.equal(pairs.length, values[0], "ATOMSPIN's count");
  return pairs;
}

/**
 * The atomic number of each atom of the primitive cell in CRYSTAL's order for a Route A deck:
 * each irreducible atom of the deck, then its equivalents (the conventional orbit over the
 * lattice points of the centring).
 */
async function crystalOrder(
  d12: string,
  { hall_number: hall, symbol }: { hall_number: number | null; symbol: string },
): Promise<number[]> {
  const points = { P: 1, C: 2, I: 2, F: 4 }[symbol[0] as "P" | "C" | "I" | "F"];
  const deck = parseDeck(d12);
  if (deck.geometry.kind !== "CRYSTAL") throw new Error("not a CRYSTAL block");
  const ops = await operationsOf(hall!);
  const order: number[] = [];
  for (const atom of deck.geometry.atoms) {
    const images: number[][] = [];
    for (const { rotation: r, translation: t } of ops) {
      const f = [0, 1, 2].map((i) =>
        r[i]![0] * atom.x + r[i]![1] * atom.y + r[i]![2] * atom.z + t[i]!
      )
        .map((x) => x - Math.floor(x + 1e-9));
      if (!images.some((g) => g.every((x, k) => Math.abs(x - f[k]!) < 1e-6))) images.push(f);
    }
    order.push(...images.slice(0, images.length / points).map(() => atom.atomic_number % 100));
  }
  return order;
}

/** Checks that every operator of a fort.34 maps each atom onto one with the same spin. */
function assertOperatorsKeepSpins(file: Fort34, spins: Map<number, number>): void {
  const frac = file.atoms.map((a) => fractionalFromCartesian(file.lattice, a.position));
  for (const op of file.operations) {
    file.atoms.forEach((atom, i) => {
      const x = atom.position;
      const moved = op.rotation.map((r, k) =>
        r[0] * x[0] + r[1] * x[1] + r[2] * x[2] + op.translation[k]!
      );
      const f = fractionalFromCartesian(file.lattice, moved);
      const j = frac.findIndex((g) =>
        g.every((v, k) => Math.abs(((v - f[k]! + 0.5) % 1 + 1) % 1 - 0.5) < 1e-6)
      );
      assert.ok(j >= 0, "an operator moves an atom onto no atom");
      assert.equal(
        spins.get(j + 1) ?? 0,
        spins.get(i + 1) ?? 0,
        `operator maps atom ${i + 1} to ${j + 1}`,
      );
    });
  }
}

Deno.test("a failing round trip takes Route B: EXTERNAL, a fort.34 that rebuilds the standardized cell, and a warning why", async () => {
  const rockSalt = structure(cubic(4.21), [
    ...FCC.map((p): [string, Vec] => ["Mg", p]),
    ...FCC.map((p): [string, Vec] => ["O", plus(p, 0.5)]),
  ]);
  const symmetry = await analyzeSymmetry(rockSalt);
  const operations = await operationsOf(symmetry.hall_number);
  // An asymmetric unit that lost the O orbit: the CRYSTAL block would write MgO without its O.
  const broken = {
    ...symmetry,
    asymmetric_unit: symmetry.asymmetric_unit.filter((s) => s.element === "Mg"),
  };
  const placed = placeFound(rockSalt, { symmetry: broken, operations }, {
    spins: null,
    warnings: [],
  });
  assert.notEqual(placed.fort34, null);
  assert.match(
    placed.warnings.join("\n"),
    /EXTERNAL with a fort.34 \(submit both\).*make 4 sites, the structure has 8/,
  );
  assert.deepEqual(placed.space_group, { number: 225, symbol: "F m -3 m", hall_number: 523 });
  assertRebuilds(symmetry, readFort34(placed.fort34!));
});

Deno.test("generateDeck() with geometry external writes EXTERNAL, the deck parses, and the fort.34 keeps Fm-3m", async () => {
  const deck = await generateDeck(NIO, { geometry: "external", functional: "HF" });
  assert.match(deck.d12, /^.*\nEXTERNAL\nBASISSET\nPOB-TZVP-REV2\nSHRINK\n/);
  assert.equal(parseDeck(deck.d12).geometry.kind, "EXTERNAL");
  const file = readFort34(deck.fort34!);
  assert.deepEqual([file.centring, file.crystal_type, file.operations.length], [5, 6, 48]);
  assert.deepEqual(file.space_group, { number: 225, operations: 48 });
  assert.match(deck.warnings.join("\n"), /EXTERNAL, as asked/);
  const routeA = await generateDeck(NIO);
  assert.equal(routeA.fort34, null);
  assert.match(routeA.d12, /\nCRYSTAL\n0 0 0\n225\n/);
});

Deno.test("a ferromagnetic guess by element keeps Fm-3m and spins the one Ni of the primitive cell", async () => {
  const deck = await generateDeck(NIO, { spin: { moments: { Ni: 1 } } });
  assert.equal(deck.space_group.number, 225);
  assert.match(deck.d12, /\nDFT\nPBE\nSPIN\nEND\n/);
  assert.deepEqual(atomSpinPairs(deck.d12), [[1, 1]]);
  assert.equal(deck.asymmetric_unit[0]!.element, "Ni");
  assert.deepEqual(deck.asymmetric_unit.map((s) => s.spin), [1, 0]);
  assert.ok(!deck.warnings.some((w) => /lower the symmetry/.test(w)));
});

fixtureTest(
  "an antiferromagnetic NiO guess lowers Fm-3m to P4/mmm and writes the fixture's ATOMSPIN, UHF and SPINLOCK",
  async () => {
    const deck = await generateDeck(NIO, {
      functional: "HF",
      spin: { moments: { Ni1: 1, Ni2: -1 }, spinlock: { n: 0, cycles: 15 } },
    });
    assert.deepEqual([deck.space_group.number, deck.crystal_system], [123, "tetragonal"]);
    assert.match(
      deck.warnings.join("\n"),
      /spins lower the symmetry from Fm-3m \(225\) to P4\/mmm \(123\)/,
    );
    const ours = parseDeck(deck.d12);
    const fixture = parseDeck(readCrystalFixture("nio_sto3g_afm_scf_maxcyc.d12"));
    // The fixture's cell (its .gui): Ni, Ni, O, O, each its own irreducible atom.
    const fixtureAtoms = readFort34(readCrystalFixture("nio_sto3g_afm_scf_maxcyc.gui")).atoms;
    const spinsOn = (pairs: number[][], z: (atom: number) => number) =>
      pairs.map(([atom, spin]) => [z(atom!), spin]).sort();
    const order = await crystalOrder(deck.d12, deck.space_group);
    assert.deepEqual(order.filter((z) => z === 28).length, 2);
    assert.deepEqual(
      spinsOn(atomSpinPairs(deck.d12), (atom) => order[atom - 1]!),
      spinsOn(
        atomSpinPairs(readCrystalFixture("nio_sto3g_afm_scf_maxcyc.d12")),
        (atom) => fixtureAtoms[atom - 1]!.atomic_number,
      ),
    );
    for (const name of ["UHF", "SPINLOCK"]) {
      assert.deepEqual(findKeyword(ours.hamiltonian, name), findKeyword(fixture.hamiltonian, name));
    }
    assert.equal(findKeyword(ours.hamiltonian, "DFT"), undefined);
  },
);

Deno.test("an antiferromagnetic MnF2 guess lowers P42/mnm to Cmmm and spins every atom in CRYSTAL's numbering", async () => {
  const deck = await generateDeck(MNF2, { spin: { moments: { Mn1: 1, Mn2: -1 } } });
  // Only the operators that keep the corner Mn on the corner remain: mmm on the diagonals, Cmmm.
  assert.equal(deck.space_group.number, 65);
  assert.match(deck.warnings.join("\n"), /from P42\/mnm \(136\) to Cmmm \(65\)/);
  const order = await crystalOrder(deck.d12, deck.space_group);
  const pairs = atomSpinPairs(deck.d12);
  assert.deepEqual(pairs.map(([atom]) => order[atom! - 1]), [25, 25]);
  assert.deepEqual(pairs.map(([, spin]) => spin).sort(), [-1, 1]);
  // Ferromagnetic: the one Mn orbit of P42/mnm has 2 atoms in the cell; both are listed.
  const ferro = await generateDeck(MNF2, { spin: { moments: { Mn: 1 } } });
  assert.equal(ferro.space_group.number, 136);
  const ferroOrder = await crystalOrder(ferro.d12, ferro.space_group);
  assert.deepEqual(ferroOrder, [25, 25, 9, 9, 9, 9]);
  assert.deepEqual(atomSpinPairs(ferro.d12), [[1, 1], [2, 1]]);
});

Deno.test("Route B with spins: the ATOMSPIN atoms are fort.34 atoms, and every operator keeps each spin", async () => {
  const deck = await generateDeck(MNF2, {
    geometry: "external",
    spin: { moments: [1, -1, 0, 0, 0, 0] },
  });
  const file = readFort34(deck.fort34!);
  const pairs = atomSpinPairs(deck.d12);
  assert.deepEqual(pairs.map(([atom]) => file.atoms[atom! - 1]!.atomic_number), [25, 25]);
  assert.deepEqual(pairs.map(([, spin]) => spin).sort(), [-1, 1]);
  assertOperatorsKeepSpins(file, new Map(pairs.map(([atom, spin]) => [atom!, spin!])));
  assert.deepEqual([file.space_group?.number, file.centring, file.crystal_type], [65, 4, 3]);
});

Deno.test("siteSpins() refuses a name the structure does not have and a list of the wrong length", () => {
  assert.deepEqual(siteSpins(MNF2, { Mn: 1, Mn2: -1 }), [1, -1, 0, 0, 0, 0]);
  assert.throws(
    () => siteSpins(MNF2, { Fe: 1 }),
    (e) =>
      e instanceof InvalidParamsError &&
      /"Fe" is neither an element nor a site label of the structure/.test(e.message),
  );
  assert.throws(
    () => siteSpins(MNF2, [1, -1]),
    (e) =>
      e instanceof InvalidParamsError && /has 6 sites, the list gives 2 values/.test(e.message),
  );
});
