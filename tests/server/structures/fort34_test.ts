import assert from "node:assert/strict";
import { fixtureTest, readCrystalFixture } from "../../_fixtures.ts";
import { cellAsWritten, type Centring } from "../../../server/structures/d12_writer.ts";
import { assertRebuilds } from "./_rebuild.ts";
import {
  type ExternalGeometry,
  externalGeometry,
  idealCell,
  orientedCell,
} from "../../../server/structures/external_geometry.ts";
import {
  expandFort34,
  Fort34SyntaxError,
  readFort34,
  writeFort34,
} from "../../../server/structures/fort34.ts";
import type { Lattice, Structure } from "../../../server/structures/structure.ts";
import {
  analyzeSymmetry,
  operationsOf,
  type SymmetryResult,
} from "../../../server/structures/symmetry.ts";

type Vec = [number, number, number];

function structure(lattice: Lattice, sites: [string, Vec][]): Structure {
  return {
    lattice,
    sites: sites.map(([element, frac]) => ({ element, frac, occupancy: 1 })),
    source: "poscar",
    problems: [],
    warnings: [],
  };
}

const cubic = (a: number): Lattice => [[a, 0, 0], [0, a, 0], [0, 0, a]];
const FCC: Vec[] = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]];

/** Builds Route B's fort.34 for a structure, failing the test if it cannot. */
async function routeB(input: Structure): Promise<{ sym: SymmetryResult; ext: ExternalGeometry }> {
  const sym = await analyzeSymmetry(input);
  const ext = externalGeometry(
    {
      ...sym,
      lattice: cellAsWritten(sym.lattice),
      centring: sym.symbol[0] as Centring,
      sites: sym.conventional.sites,
    },
    await operationsOf(sym.hall_number),
    1e-3,
  );
  if ("problem" in ext) throw new Error(ext.problem);
  return { sym, ext };
}

fixtureTest(
  "readFort34() reads the NiO fixture: P4/mmm, 16 operators that map its 4 atoms onto themselves",
  () => {
    const file = readFort34(readCrystalFixture("nio_sto3g_afm_scf_maxcyc.gui"));
    assert.deepEqual([file.dimensionality, file.centring, file.crystal_type], [3, 1, 4]);
    assert.match(file.note, /^E -3\.1283182939069E\+03 DE/);
    assert.deepEqual(file.lattice[0], [3.07336674706, 0, 0]);
    assert.deepEqual(file.lattice[2], [0, 0, 4.4985711475]);
    assert.equal(file.operations.length, 16);
    assert.deepEqual(file.operations[1]!.rotation, [[0, -1, 0], [1, 0, 0], [0, 0, 1]]);
    assert.deepEqual(file.atoms.map((a) => a.atomic_number), [28, 28, 8, 8]);
    assert.deepEqual(file.atoms[1]!.position, [1.536683373531, 1.536683373531, 2.249285573752]);
    assert.deepEqual(file.space_group, { number: 123, operations: 16 });
    // Every atom is its own orbit in this cell: the operators make no new atom.
    assert.equal(expandFort34(file).length, 4);
  },
);

fixtureTest("writeFort34() output of the fixture reads back equal", () => {
  const file = readFort34(readCrystalFixture("nio_sto3g_afm_scf_maxcyc.gui"));
  const text = writeFort34(file);
  assert.deepEqual(readFort34(text), file);
  assert.equal(writeFort34(readFort34(text)), text);
});

Deno.test("readFort34() names the line of what is wrong", () => {
  const good = "3 1 1\n1 0 0\n0 1 0\n0 0 1\n1\n1 0 0\n0 1 0\n0 0 1\n0 0 0\n1\n1 0 0 0\n";
  assert.equal(readFort34(good).atoms.length, 1);
  assert.equal(readFort34(good).space_group, null);
  const cases: [string, RegExp][] = [
    [good.replace("0 1 0\n0 0 1\n1\n", "0 1 0\n0 0 1\n0\n"), /line 5: 0 symmetry operators/],
    [good.replace("1\n1 0 0 0", "2\n1 0 0 0"), /line 12: expected an atom .*got the end/],
    [good.replace("1 0 0 0\n", "1 0 0 x\n"), /line 11: expected an atom/],
    [good + "225 48\nmore\n", /line 13: unexpected text "more"/],
    ["9 1 1\n", /line 1: dimensionality 9/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => readFort34(text),
      (e) => e instanceof Fort34SyntaxError && message.test(e.message),
    );
  }
});

Deno.test("orientedCell() puts b along y and a in the xy plane, as CRYSTAL's hexagonal fort.34 files do", () => {
  const [a, b, c] = orientedCell(
    idealCell("hexagonal", { a: 3.445, b: 3.445, c: 5.763, alpha: 90, beta: 90, gamma: 120 }),
  );
  assert.ok(
    Math.abs(a[0] - 3.445 * Math.sqrt(3) / 2) < 1e-12 && Math.abs(a[1] + 3.445 / 2) < 1e-12,
  );
  assert.deepEqual(b, [0, 3.445, 0]);
  assert.deepEqual(c, [0, 0, 5.763]);
  // Monoclinic (unique axis b): a along x, c in the xz plane.
  const mono = orientedCell({ a: 12, b: 7, c: 13, alpha: 90, beta: 116.7, gamma: 90 });
  assert.deepEqual([mono[0], mono[1]], [[12, 0, 0], [0, 7, 0]]);
  assert.ok(mono[2][0] < 0 && mono[2][1] === 0 && mono[2][2] > 0);
});

Deno.test("externalGeometry() writes rock salt as CRYSTAL does: primitive F cell, 48 operators, 2 atoms, and it rebuilds the cell", async () => {
  const a = 4.21;
  const rockSalt = structure(cubic(a), [
    ...FCC.map((p): [string, Vec] => ["Mg", p]),
    ...FCC.map((p): [string, Vec] => ["O", p.map((x) => (x + 0.5) % 1) as Vec]),
  ]);
  const { sym, ext } = await routeB(rockSalt);
  const file = ext.fort34;
  assert.deepEqual([file.centring, file.crystal_type], [5, 6]);
  assert.deepEqual(file.lattice, [[0, a / 2, a / 2], [a / 2, 0, a / 2], [a / 2, a / 2, 0]]);
  assert.equal(file.operations.length, 48);
  assert.deepEqual(file.operations[0], {
    rotation: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    translation: [0, 0, 0],
  });
  assert.ok(file.operations.every((op) => op.translation.every((t) => t === 0)), "symmorphic");
  assert.deepEqual(file.atoms.map((x) => x.atomic_number), [12, 8]);
  assert.deepEqual(file.space_group, { number: 225, operations: 48 });
  assert.deepEqual(ext.orbit_sizes, [1, 1]);
  assertRebuilds(sym, file);
  assertRebuilds(sym, readFort34(writeFort34(file)));
});

Deno.test("externalGeometry() keeps a non-symmorphic group: diamond Si (Fd-3m) and rutile (P42/mnm)", async () => {
  const si = structure(cubic(5.43), [
    ...FCC.map((p): [string, Vec] => ["Si", p]),
    ...FCC.map((p): [string, Vec] => ["Si", p.map((x) => x + 0.25) as Vec]),
  ]);
  const diamond = await routeB(si);
  assert.equal(diamond.sym.number, 227);
  assert.equal(diamond.ext.fort34.operations.length, 48);
  assert.ok(diamond.ext.fort34.operations.some((op) => op.translation.some((t) => t !== 0)));
  assert.deepEqual(diamond.ext.orbit_sizes, [2]);
  assertRebuilds(diamond.sym, diamond.ext.fort34);
  const [ta, tc, u] = [4.594, 2.959, 0.3053];
  const rutile = await routeB(structure([[ta, 0, 0], [0, ta, 0], [0, 0, tc]], [
    ["Ti", [0, 0, 0]],
    ["Ti", [0.5, 0.5, 0.5]],
    ["O", [u, u, 0]],
    ["O", [1 - u, 1 - u, 0]],
    ["O", [0.5 + u, 0.5 - u, 0.5]],
    ["O", [0.5 - u, 0.5 + u, 0.5]],
  ]));
  assert.equal(rutile.sym.number, 136);
  assert.deepEqual([rutile.ext.fort34.centring, rutile.ext.fort34.crystal_type], [1, 4]);
  assert.equal(rutile.ext.fort34.operations.length, 16);
  assert.deepEqual(rutile.ext.orbit_sizes, [2, 4]);
  assertRebuilds(rutile.sym, rutile.ext.fort34);
});

Deno.test("externalGeometry() refuses operators that do not map the atoms onto themselves", async () => {
  const sym = await analyzeSymmetry(
    structure(cubic(4.21), FCC.map((p): [string, Vec] => ["Cu", p])),
  );
  const moved = sym.conventional.sites.map((s, i) => i === 0 ? { ...s, frac: [0.1, 0, 0] } : s);
  const ext = externalGeometry(
    { ...sym, centring: "F", sites: moved },
    await operationsOf(sym.hall_number),
    1e-3,
  );
  assert.ok("problem" in ext);
  assert.match(ext.problem, /an operator of group 225 moves the atom \(Z 29\)/);
});
