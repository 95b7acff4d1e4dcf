import assert from "node:assert/strict";
import { parsePoscar } from "../../../server/structures/poscar.ts";
import { latticeDeterminant, type Structure } from "../../../server/structures/structure.ts";

/** Sites as `element x y z`, coordinates rounded to 6 places. */
function sites(structure: Structure): string[] {
  return structure.sites.map((s) =>
    [s.element, ...s.frac.map((x) => (Math.round(x * 1e6) / 1e6).toFixed(6))].join(" ")
  );
}

function assertLattice(actual: number[][], expected: number[][]): void {
  actual.flat().forEach((x, i) => {
    assert.ok(Math.abs(x - expected.flat()[i]!) < 1e-9, `lattice ${actual} is not ${expected}`);
  });
}

const MGO_SITES = [
  "Mg 0.000000 0.000000 0.000000",
  "Mg 0.000000 0.500000 0.500000",
  "Mg 0.500000 0.000000 0.500000",
  "Mg 0.500000 0.500000 0.000000",
  "O 0.500000 0.500000 0.500000",
  "O 0.500000 0.000000 0.000000",
  "O 0.000000 0.500000 0.000000",
  "O 0.000000 0.000000 0.500000",
];

const MGO_DIRECT = `MgO rock salt, conventional
   1.0
     4.21 0.00 0.00
     0.00 4.21 0.00
     0.00 0.00 4.21
   Mg O
   4 4
Direct
  0.0 0.0 0.0
  0.0 0.5 0.5
  0.5 0.0 0.5
  0.5 0.5 0.0
  0.5 0.5 0.5
  0.5 0.0 0.0
  0.0 0.5 0.0
  0.0 0.0 0.5
`;

/** The same cell, positions in Å. */
const MGO_CARTESIAN = MGO_DIRECT.replace("Direct", "Cartesian").replace(
  /^ {2}(\S+) (\S+) (\S+)$/gm,
  (_, x, y, z) => `  ${[x, y, z].map((v) => Number(v) * 4.21).join(" ")}`,
);

Deno.test("parsePoscar() reads MgO in direct coordinates", () => {
  const mgo = parsePoscar(MGO_DIRECT);
  assert.equal(mgo.source, "poscar");
  assert.equal(mgo.title, "MgO rock salt, conventional");
  assert.deepEqual(mgo.lattice, [[4.21, 0, 0], [0, 4.21, 0], [0, 0, 4.21]]);
  assert.deepEqual(sites(mgo), MGO_SITES);
  assert.ok(mgo.sites.every((s) => s.occupancy === 1 && s.label === undefined));
  assert.deepEqual([mgo.problems, mgo.warnings], [[], []]);
});

Deno.test("parsePoscar() reads MgO in Cartesian coordinates to the same fractions", () => {
  assert.match(MGO_CARTESIAN, /^Cartesian\n {2}0 0 0\n {2}0 2\.105 2\.105$/m);
  assert.deepEqual(sites(parsePoscar(MGO_CARTESIAN)), MGO_SITES);
});

Deno.test("parsePoscar() scales the lattice and Cartesian positions by the scale line", () => {
  const unit = "NaCl\n5.64\n1 0 0\n0 1 0\n0 0 1\nNa Cl\n1 1\nCartesian\n0 0 0\n0.5 0.5 0.5\n";
  const nacl = parsePoscar(unit);
  assert.deepEqual(nacl.lattice, [[5.64, 0, 0], [0, 5.64, 0], [0, 0, 5.64]]);
  assert.deepEqual(sites(nacl), ["Na 0.000000 0.000000 0.000000", "Cl 0.500000 0.500000 0.500000"]);
  // Three factors scale x, y and z apart.
  const stretched = parsePoscar(unit.replace("5.64", "2 3 4"));
  assert.deepEqual(stretched.lattice, [[2, 0, 0], [0, 3, 0], [0, 0, 4]]);
  assert.deepEqual(sites(stretched)[1], "Cl 0.500000 0.500000 0.500000");
});

Deno.test("parsePoscar() reads a negative scale as the cell volume in Å³", () => {
  // Raw cell 2 Å cube (8 Å³) asked to be 64 Å³: every vector doubles, a = 4 Å.
  const cube = parsePoscar("Cu\n-64\n2 0 0\n0 2 0\n0 0 2\nCu\n1\nDirect\n0 0 0\n");
  assertLattice(cube.lattice, [[4, 0, 0], [0, 4, 0], [0, 0, 4]]);
  // A hexagonal raw cell (a = 1, c = 2, V = √3) scaled to 100 Å³.
  const hex = parsePoscar("Zn\n-100\n1 0 0\n-0.5 0.8660254037844386 0\n0 0 2\nZn\n1\nD\n0 0 0\n");
  assert.ok(Math.abs(latticeDeterminant(hex.lattice) - 100) < 1e-9);
});

Deno.test("parsePoscar() converts Cartesian positions in a hexagonal cell to fractions", () => {
  // a = (3, 0, 0), b = (-1.5, 1.5√3, 0), c = (0, 0, 5): (0, √3, 2.5) Å is (1/3, 2/3, 1/2).
  const text = `hex\n1\n3 0 0\n-1.5 ${1.5 * Math.sqrt(3)} 0\n0 0 5\nB N\n1 1\nC\n0 0 0\n` +
    `0 ${Math.sqrt(3)} 2.5\n`;
  assert.deepEqual(sites(parsePoscar(text))[1], "N 0.333333 0.666667 0.500000");
});

Deno.test("parsePoscar() reads selective dynamics and wraps coordinates into [0, 1)", () => {
  const text = "slab\n1\n4 0 0\n0 4 0\n0 0 4\nMg_pv/a1b2c3 O\n1 1\nSelective dynamics\nDirect\n" +
    "-0.25 1.0 0.5 F F F Mg\n0.25 0.25 2.25 T T T O\n\n  0 0 0\n  0 0 0\n";
  const slab = parsePoscar(text);
  assert.deepEqual(sites(slab), ["Mg 0.750000 0.000000 0.500000", "O 0.250000 0.250000 0.250000"]);
  assert.deepEqual(slab.warnings, [
    "Selective dynamics flags are not kept: 1 of 2 atoms had fixed coordinates",
  ]);
});

Deno.test("parsePoscar() refuses a VASP 4 file and says to add the element line", () => {
  const vasp4 = MGO_DIRECT.replace("   Mg O\n", "");
  assert.throws(() => parsePoscar(vasp4), {
    name: "SyntaxError",
    message:
      /^POSCAR line 6: expected the element symbols \(VASP 5\): this looks like a VASP 4 file, add a line with the element symbols/,
  });
});

Deno.test("parsePoscar() names the line and what it expected when the file is malformed", () => {
  // deno-fmt-ignore: one case a line
  const cases: [string, string, RegExp][] = [
    ["a zero scale", MGO_DIRECT.replace("   1.0", "0"), /^POSCAR line 2: expected one scale factor/],
    ["two scale numbers", MGO_DIRECT.replace("   1.0", "1 2"), /^POSCAR line 2: expected one scale factor/],
    ["a negative factor of three", MGO_DIRECT.replace("   1.0", "1 -1 1"), /^POSCAR line 2: expected three scale factors to be positive/],
    ["a short lattice line", MGO_DIRECT.replace("0.00 4.21 0.00", "0.00 4.21"), /^POSCAR line 4: expected three numbers for lattice vector b$/],
    ["a flat lattice", MGO_DIRECT.replace("0.00 0.00 4.21", "4.21 4.21 0"), /^POSCAR line 3: expected lattice vectors that span a volume$/],
    ["an unknown symbol", MGO_DIRECT.replace("Mg O", "Mg Qq"), /^POSCAR line 6: expected an element symbol, found "Qq"$/],
    ["counts that do not match", MGO_DIRECT.replace("4 4", "4 4 1"), /^POSCAR line 7: expected 2 positive whole numbers of atoms/],
    ["a bad mode", MGO_DIRECT.replace("Direct", "Fractional"), /^POSCAR line 8: expected Direct or Cartesian, found "Fractional"$/],
    ["a short position", MGO_DIRECT.replace("0.5 0.0 0.5\n", "0.5 0.0\n"), /^POSCAR line 11: expected the position of Mg atom 3$/],
    ["too few positions", MGO_DIRECT.replace(/ {2}0\.0 0\.0 0\.5\n$/, ""), /^POSCAR line 16: expected the position of O atom 4, found the end of the file$/],
    ["missing flags", MGO_DIRECT.replace("Direct", "Selective\nDirect"), /^POSCAR line 10: expected three T or F selective dynamics flags/],
  ];
  for (const [what, text, message] of cases) {
    assert.throws(() => parsePoscar(text), { name: "SyntaxError", message }, what);
  }
});
