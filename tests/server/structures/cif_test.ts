import assert from "node:assert/strict";
import { CifSyntaxError, parseCif } from "../../../server/structures/cif.ts";
import {
  atomicNumber,
  elementFromLabel,
  elementFromSymbol,
  ELEMENTS,
} from "../../../server/structures/elements.ts";
import { latticeDeterminant, type Structure } from "../../../server/structures/structure.ts";
import { fixtureTest, readCrystalFixture } from "../../_fixtures.ts";

/** How many sites of each element, in element order. */
function counts(structure: Structure): Record<string, number> {
  const found: Record<string, number> = {};
  for (
    const { element } of [...structure.sites].sort((a, b) => a.element.localeCompare(b.element))
  ) {
    found[element] = (found[element] ?? 0) + 1;
  }
  return found;
}

/** Fractional coordinates rounded to 6 places, sorted, as text: comparable sets of positions. */
function positions(structure: Structure, element: string): string[] {
  return structure.sites.filter((s) => s.element === element)
    .map((s) => s.frac.map((x) => (Math.round(x * 1e6) / 1e6).toFixed(6)).join(" ")).sort();
}

function assertClose(actual: number, expected: number, tolerance = 1e-9, what = ""): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not ${expected}`);
}

/** A small CIF: cell, optional extra lines, then an atom loop of `label x y z [occupancy]`. */
function cif(cell: string, atoms: string, extra = "", siteTags = ""): string {
  return `data_test\n${cell}\n${extra}\nloop_\n_atom_site_label\n${siteTags}` +
    `_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n${atoms}\n`;
}

const CUBIC = (a: number) =>
  [`a ${a}`, `b ${a}`, `c ${a}`].map((l) => `_cell_length_${l}`).join("\n") +
  "\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90";

/** The 192 operations of Fm-3m: the 48 signed permutations of x, y, z times the F centring. */
function fm3mOperations(): string[] {
  const permutations = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  const centring = [["", "", ""], ["", "+1/2", "+1/2"], ["+1/2", "", "+1/2"], ["+1/2", "+1/2", ""]];
  const ops: string[] = [];
  for (const p of permutations) {
    for (let signs = 0; signs < 8; signs++) {
      for (const t of centring) {
        ops.push(
          p.map((axis, i) => `${signs & (1 << i) ? "-" : ""}${"xyz"[axis]}${t[i]}`).join(","),
        );
      }
    }
  }
  return ops;
}

fixtureTest("parseCif() reads pyrite (COD 9010011) as 4 Fe and 8 S in a 5.38 Å cube", () => {
  const pyrite = parseCif(readCrystalFixture("pyrite.cif"));
  assert.equal(pyrite.source, "cif");
  assert.equal(pyrite.title, "Fe S2");
  assert.deepEqual(pyrite.lattice, [[5.38, 0, 0], [0, 5.38, 0], [0, 0, 5.38]]);
  assertClose(latticeDeterminant(pyrite.lattice), 155.721, 1e-3, "the file's _cell_volume");
  assert.deepEqual(counts(pyrite), { Fe: 4, S: 8 });
  assert.deepEqual(positions(pyrite, "Fe"), [
    "0.000000 0.000000 0.000000",
    "0.000000 0.500000 0.500000",
    "0.500000 0.000000 0.500000",
    "0.500000 0.500000 0.000000",
  ]);
  // S at x,x,x (8c, x = 0.338): the images include -x,-y,-z and 1/2+x,y,1/2-x.
  const sulphur = positions(pyrite, "S");
  assert.ok(sulphur.includes("0.338000 0.338000 0.338000"));
  assert.ok(sulphur.includes("0.662000 0.662000 0.662000"));
  assert.ok(sulphur.includes("0.838000 0.338000 0.162000"));
  assert.deepEqual([...new Set(pyrite.sites.map((s) => s.label))], ["Fe", "S"]);
  assert.deepEqual(pyrite.problems, []);
  assert.deepEqual(pyrite.warnings, []);
});

fixtureTest("parseCif() reads paracetamol (FINDSYM, P 1 21/c 1) as 80 atoms", () => {
  const para = parseCif(readCrystalFixture("crysinp_para.cif"));
  assert.deepEqual(counts(para), { C: 32, H: 36, N: 4, O: 8 });
  assertClose(latticeDeterminant(para.lattice), 741.1555547216, 1e-6, "the file's _cell_volume");
  const [a, b, c] = para.lattice;
  assert.deepEqual([a, b], [[7.073, 0, 0], [0, 9.166, 0]]);
  const beta = (115.51 * Math.PI) / 180;
  assertClose(c[0], 12.667 * Math.cos(beta), 1e-12, "c_x");
  assertClose(c[1], 0, 1e-12, "c_y");
  assertClose(c[2], 12.667 * Math.sin(beta), 1e-12, "c_z");
  assert.ok(para.sites.every((s) => s.frac.every((x) => x >= 0 && x < 1)));
  // C4 at (-0.0043, 0.33162, 0.62922): x wraps to 0.9957; -x,-y,-z gives (0.0043, 0.66838, 0.37078).
  const c4 = para.sites.filter((s) => s.label === "C4").map((s) => s.frac.map((x) => x.toFixed(5)));
  assert.equal(c4.length, 4);
  assert.deepEqual(c4[0], ["0.99570", "0.33162", "0.62922"]);
  assert.deepEqual(c4[2], ["0.00430", "0.66838", "0.37078"]);
  assert.equal(para.title, "findsym-output");
  assert.deepEqual(para.problems, []);
});

Deno.test("parseCif() expands rock-salt NaCl by all 192 Fm-3m operations to 8 sites", () => {
  const ops = fm3mOperations();
  const text = cif(
    CUBIC(5.64),
    "Na1 0 0 0\nCl1 0.5 0.5 0.5",
    `loop_\n_symmetry_equiv_pos_as_xyz\n${ops.join("\n")}`,
  );
  const nacl = parseCif(text);
  assert.equal(ops.length, 192);
  assert.deepEqual(counts(nacl), { Cl: 4, Na: 4 });
  assert.deepEqual(positions(nacl, "Na"), [
    "0.000000 0.000000 0.000000",
    "0.000000 0.500000 0.500000",
    "0.500000 0.000000 0.500000",
    "0.500000 0.500000 0.000000",
  ]);
  assert.equal(nacl.title, "test");
});

Deno.test("parseCif() reads Jones-faithful operations of every written form", () => {
  // P 61: a general position gives 6 sites; the operations use x-y and +1/6 style terms.
  const ops = [
    "x,y,z",
    "x-y,x,z+1/6",
    "y, -x+y, z+5/6",
    "-y,x-y,z+1/3",
    "'-x+y,-x,z+2/3'",
    "-X,-Y,Z+1/2",
  ];
  const hexagonal = "_cell_length_a 3\n_cell_length_b 3\n_cell_length_c 5\n" +
    "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 120";
  const extra = `loop_\n_space_group_symop_id\n_space_group_symop_operation_xyz\n` +
    ops.map((op, i) => `${i + 1} ${op.includes(" ") && !op.startsWith("'") ? `"${op}"` : op}`).join(
      "\n",
    );
  const s = parseCif(cif(hexagonal, "Si1 0.1 0.2 0.3", extra));
  assert.equal(s.sites.length, 6);
  assert.deepEqual(s.sites.map((x) => x.frac.map((v) => v.toFixed(6)).join(" ")), [
    "0.100000 0.200000 0.300000",
    "0.900000 0.100000 0.466667",
    "0.200000 0.100000 0.133333",
    "0.800000 0.900000 0.633333",
    "0.100000 0.900000 0.966667",
    "0.900000 0.800000 0.800000",
  ]);
  // b lies in the xy plane at 120° from a.
  assertClose(s.lattice[1][0], -1.5, 1e-12, "b_x");
  assertClose(s.lattice[1][1], 1.5 * Math.sqrt(3), 1e-12, "b_y");
  assertClose(latticeDeterminant(s.lattice), 9 * 5 * Math.sin((120 * Math.PI) / 180), 1e-9, "V");
});

Deno.test("parseCif() reads DDL2 tag spellings and items given once instead of in a loop", () => {
  const text =
    `data_x\n_cell.length_a 4\n_cell.length_b 4\n_cell.length_c 4\n_cell.angle_alpha 90\n` +
    `_cell.angle_beta 90\n_cell.angle_gamma 90\n_space_group_symop.operation_xyz 'x, y, z'\n` +
    `_atom_site.label Cu1\n_atom_site.fract_x 0.25\n_atom_site.fract_y 0.25\n_atom_site.fract_z 0.25\n`;
  const s = parseCif(text);
  assert.deepEqual(s.sites, [{
    element: "Cu",
    frac: [0.25, 0.25, 0.25],
    label: "Cu1",
    occupancy: 1,
  }]);
});

Deno.test("parseCif() skips semicolon text fields, comments and quoted values with spaces", () => {
  const extra = [
    "_publ_section_title",
    ";",
    " A title with loop_ and _fake_tag and 'quotes' inside",
    "data_not_a_block",
    ";",
    "_chemical_formula_sum 'Cs Cl' # a comment: loop_ _x",
    `_journal_name_full "a dog's life"`,
    "_symmetry_space_group_name_H-M 'P m -3 m'",
    "loop_",
    "_symmetry_equiv_pos_as_xyz",
    "'x, y, z'",
  ].join("\n");
  const s = parseCif(cif(CUBIC(4.12), "Cs1 0 0 0\nCl1 0.5 0.5 0.5 # body centre", extra));
  assert.equal(s.title, "Cs Cl");
  assert.deepEqual(counts(s), { Cl: 1, Cs: 1 });
  assert.deepEqual(s.warnings, []);
});

Deno.test("parseCif() drops esds and reads ? and . as missing", () => {
  const cell = CUBIC(4.2).replace("_cell_length_a 4.2", "_cell_length_a 4.2130(5)");
  const s = parseCif(
    cif(cell, "Mg1 Mg 0.0(1) 0 0 ?\nO1 O 0.5 0.5(2) 0.5 .", "", "_atom_site_type_symbol\n")
      .replace("_atom_site_fract_z\n", "_atom_site_fract_z\n_atom_site_occupancy\n"),
  );
  assert.equal(s.lattice[0][0], 4.213);
  assert.deepEqual(s.sites.map((x) => [x.element, x.occupancy]), [["Mg", 1], ["O", 1]]);
  assert.deepEqual(s.problems, []);
});

Deno.test("parseCif() flags partial occupancy as disorder and names the sites", () => {
  const s = parseCif(
    cif(CUBIC(4), "Fe1 0 0 0 0.5\nMg1 0 0 0 0.5\nO1 0.5 0.5 0.5 1", "", "")
      .replace("_atom_site_fract_z\n", "_atom_site_fract_z\n_atom_site_occupancy\n"),
  );
  assert.deepEqual(s.problems, ["disorder"]);
  assert.equal(s.sites.length, 3, "two elements sharing a site are both kept");
  assert.deepEqual(s.warnings, [
    'Sites "Fe1", "Mg1" are partly occupied: the structure is disordered',
  ]);
});

Deno.test("parseCif() merges sites closer than the tolerance across the cell boundary", () => {
  // 0.9999 and 0 are 0.0005 Å apart in a 5 Å cell, through the periodic image.
  const text = cif(CUBIC(5), "Ni1 0 0 0\nNi2 0.9999 0 0");
  assert.equal(parseCif(text).sites.length, 1);
  assert.equal(parseCif(text, { dedupTolerance: 1e-4 }).sites.length, 2);
  assert.throws(() => parseCif(text, { dedupTolerance: 0 }), RangeError);
});

Deno.test("parseCif() reads a named data block, and refuses a name it does not have", () => {
  const text = cif(CUBIC(3), "Li1 0 0 0") +
    cif(CUBIC(4), "Na1 0 0 0").replace("data_test", "data_Second");
  assert.equal(parseCif(text).sites[0]!.element, "Li");
  assert.equal(parseCif(text, { block: "second" }).sites[0]!.element, "Na");
  assert.throws(() => parseCif(text, { block: "third" }), {
    name: "RangeError",
    message: 'Cannot read CIF data block "third": the file has "test", "Second"',
  });
});

Deno.test("parseCif() warns when a space group is named but no operations are given", () => {
  const s = parseCif(cif(CUBIC(4), "Cu1 0 0 0", "_symmetry_space_group_name_H-M 'F m -3 m'"));
  assert.equal(s.sites.length, 1);
  assert.deepEqual(s.warnings, [
    'No symmetry operations are given for "F m -3 m": the sites are read as P1',
  ]);
});

Deno.test("parseCif() takes the element from the type symbol, else from the label", () => {
  const cases: [string, string, string][] = [
    ["Fe1", "?", "Fe"],
    ["O2A", "?", "O"],
    ["Cl1", "?", "Cl"],
    ["C1", "?", "C"],
    ["FE1", "?", "Fe"],
    ["X1", "O2-", "O"],
    ["M1", "Fe3+", "Fe"],
    ["Ca1", "C", "C"],
  ];
  for (const [label, type, element] of cases) {
    const text = cif(CUBIC(4), `${label} ${type} 0 0 0`, "", "_atom_site_type_symbol\n");
    assert.equal(parseCif(text).sites[0]!.element, element, `${label} ${type}`);
  }
});

Deno.test("elementFromLabel() and elementFromSymbol() read only real element symbols", () => {
  const cases: [string, string | undefined, string | undefined][] = [
    ["Fe1", "Fe", "Fe"],
    ["O2A", "O", "O"],
    ["Cl1", "Cl", "Cl"],
    ["C1", "C", "C"],
    ["OA1", "O", undefined],
    ["Fe3+", "Fe", "Fe"],
    ["O2-", "O", "O"],
    ["Fe_pv", "Fe", "Fe"],
    ["Sx", "S", undefined],
    ["Xx1", undefined, undefined],
    ["D1", undefined, undefined],
    ["12", undefined, undefined],
  ];
  for (const [text, label, symbol] of cases) {
    assert.equal(elementFromLabel(text), label, `label ${text}`);
    assert.equal(elementFromSymbol(text), symbol, `symbol ${text}`);
  }
  assert.equal(ELEMENTS.length, 118);
  assert.equal(new Set(ELEMENTS).size, 118);
  assert.deepEqual([atomicNumber("H"), atomicNumber("Fe"), atomicNumber("U"), atomicNumber("Og")], [
    1,
    26,
    92,
    118,
  ]);
  assert.equal(atomicNumber("fe"), undefined);
});

Deno.test("parseCif() names the line and what it expected when the text is not a usable CIF", () => {
  const cell = CUBIC(4);
  const atoms = "Na1 0 0 0";
  // deno-fmt-ignore: one case a line
  const cases: [string, string, RegExp][] = [
    ["a tag without a value", "data_x\n_cell_length_a\n_cell_length_b 4", /^CIF line 2: expected a value for _cell_length_a$/],
    ["an open text field", "data_x\n_title\n;\nnever closed", /^CIF line 3: expected a line starting with ";"/],
    ["an open quote", "data_x\n_title 'never closed", /^CIF line 2: expected a closing '/],
    ["a ragged loop", "data_x\nloop_\n_a\n_b\n1 2 3", /^CIF line 2: expected rows of 2 in this loop, found 3 values$/],
    ["a bad operation", cif(cell, atoms, "loop_\n_symmetry_equiv_pos_as_xyz\nx,y\n"), /^CIF line 10: expected an operation like "-x,y\+1\/2,z", found "x,y"$/],
    ["a bad operation term", cif(cell, atoms, "_symmetry_equiv_pos_as_xyz x,yz,w"), /^CIF line 8: expected an operation/],
    ["a word for a number", cif(cell.replace("a 4", "a four"), atoms), /^CIF line 2: expected a number for _cell_length_a, found "four"$/],
    ["a missing length", cif(cell.replace("a 4", "a ?"), atoms), /^CIF line 2: expected a value for _cell_length_a$/],
    ["no gamma", cif(cell.replace("_cell_angle_gamma 90", ""), atoms), /^CIF line 1: expected _cell_angle_gamma in block "test"$/],
    ["impossible angles", cif(cell.replace("alpha 90", "alpha 170").replace("beta 90", "beta 10"), atoms), /^CIF line 2: expected a possible cell/],
    ["no atoms", `data_x\n${cell}\n`, /^CIF line 1: expected _atom_site_fract_x sites$/],
    ["an unknown element", cif(cell, "Xx1 0 0 0"), /^CIF line 14: expected an element for site "Xx1", found "Xx1"$/],
    ["a missing coordinate", cif(cell, "Na1 0 ? 0"), /^CIF line 14: expected a value for _atom_site_fract_y of site "Na1"$/],
    ["no data block", "# only a comment\n", /^CIF line 1: expected a data block/],
    ["a tag before data_", "_cell_length_a 4\ndata_x", /^CIF line 1: expected "data_" before "_cell_length_a"$/],
    ["a save frame", "data_x\nsave_frame", /^CIF line 2: expected a tag or loop_, found "save_frame"$/],
  ];
  for (const [what, text, message] of cases) {
    assert.throws(() => parseCif(text), (error: unknown) => {
      assert.ok(error instanceof SyntaxError && error instanceof CifSyntaxError, what);
      assert.match(error.message, message, what);
      return true;
    });
  }
});
