import assert from "node:assert/strict";
import { parseDeck } from "../../../server/crystal/deck.ts";
import {
  deckNumber,
  type GeometrySpec,
  minimalParameters,
  shrinkFor,
  writeD12,
} from "../../../server/structures/d12_writer.ts";

const CUBIC = { a: 4.21, b: 4.21, c: 4.21, alpha: 90, beta: 90, gamma: 90 };
const MGO: GeometrySpec = {
  space_group: 225,
  crystal_system: "cubic",
  lattice: CUBIC,
  atoms: [{ atomic_number: 12, frac: [0, 0, 0] }, { atomic_number: 8, frac: [0.5, 0.5, 0.5] }],
};

Deno.test("writeD12() writes MgO as CRYSTAL reads it: BASISSET in place of the geometry END", () => {
  const deck = writeD12({
    title: "MgO rock salt",
    geometry: MGO,
    basis: "POB-TZVP-REV2",
    functional: "PBE",
    shrink: [8, 16],
    toldee: 8,
  });
  assert.equal(
    deck,
    "MgO rock salt\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0 0 0\n8 0.5 0.5 0.5\n" +
      "BASISSET\nPOB-TZVP-REV2\nDFT\nPBE\nEND\nSHRINK\n8 16\nTOLDEE\n8\nEND\n",
  );
  const parsed = parseDeck(deck);
  assert.equal(parsed.geometry.kind, "CRYSTAL");
  assert.deepEqual(parsed.basis, { kind: "builtin", name: "POB-TZVP-REV2" });
});

Deno.test("writeD12() puts OPTGEOM inside the geometry block, before BASISSET", () => {
  const deck = writeD12({
    title: "opt",
    geometry: MGO,
    basis: "STO-3G",
    functional: null,
    shrink: [8, 8],
    toldee: 9,
    optimize: { type: "FULLOPTG", maxcycle: 50 },
  });
  const lines = deck.trim().split("\n");
  assert.deepEqual(lines.slice(8, 13), ["OPTGEOM", "FULLOPTG", "MAXCYCLE", "50", "ENDOPT"]);
  assert.equal(lines[13], "BASISSET");
  assert.ok(!deck.includes("DFT"), "Hartree–Fock without a functional");
  const parsed = parseDeck(deck);
  assert.equal(parsed.optgeom?.max_cycles, 50);
});

Deno.test("minimalParameters() gives each crystal family the values CRYSTAL reads", () => {
  const cell = { a: 5, b: 6, c: 7, alpha: 80, beta: 95, gamma: 100 };
  const cases: [Parameters<typeof minimalParameters>[0], number[]][] = [
    ["cubic", [5]],
    ["tetragonal", [5, 7]],
    ["hexagonal", [5, 7]],
    ["trigonal", [5, 7]],
    ["orthorhombic", [5, 6, 7]],
    ["monoclinic", [5, 6, 7, 95]],
    ["triclinic", [5, 6, 7, 80, 95, 100]],
  ];
  for (const [system, values] of cases) {
    assert.deepEqual(minimalParameters(system, cell), values, system);
  }
});

Deno.test("deckNumber() writes plain decimals, never exponents or negative zero", () => {
  const cases: [number, string][] = [
    [0.5, "0.5"],
    [1 / 3, "0.3333333333"],
    [4.21, "4.21"],
    [-0, "0"],
    [1e-12, "0"],
    [-0.25, "-0.25"],
    [123456.5, "123456.5"],
  ];
  for (const [value, text] of cases) assert.equal(deckNumber(value), text, String(value));
  assert.throws(() => deckNumber(Number.NaN), RangeError);
});

Deno.test("geometry atoms are wrapped into [0, 1)", () => {
  const deck = writeD12({
    title: "wrap",
    geometry: { ...MGO, atoms: [{ atomic_number: 12, frac: [-0.25, 1, 0.9999999999999] }] },
    basis: "STO-3G",
    functional: null,
    shrink: [4, 4],
    toldee: 7,
  });
  assert.match(deck, /\n12 0\.75 0 0\n/);
});

Deno.test("shrinkFor() samples the reciprocal cell at 0.2 per Å", () => {
  assert.deepEqual(shrinkFor(CUBIC), [8, 16], "2π / (4.21 × 0.2) = 7.46");
  // Hexagonal a = 3.25, c = 5.21 (ZnO): |a*| = 2π / (a sin 60°) = 2.232 Å⁻¹ → 12.
  const hex = { a: 3.25, b: 3.25, c: 5.21, alpha: 90, beta: 90, gamma: 120 };
  assert.deepEqual(shrinkFor(hex), [12, 24]);
});

Deno.test("shrinkFor() samples the primitive cell of a centred lattice, as CRYSTAL does", () => {
  // F: the reciprocal of fcc is bcc, |b_i| = 2π √3 / a = 2.585 Å⁻¹ for a = 4.21 → 12.9 → 13.
  assert.deepEqual(shrinkFor(CUBIC, "F"), [13, 26]);
  // I: the reciprocal of bcc is fcc, |b_i| = 2π √2 / a = 3.096 Å⁻¹ for a = 2.87 → 15.5 → 16,
  // where the same cube taken as primitive gives 2π / 2.87 / 0.2 = 10.9 → 11.
  const bcc = { a: 2.87, b: 2.87, c: 2.87, alpha: 90, beta: 90, gamma: 90 };
  assert.deepEqual([shrinkFor(bcc, "I"), shrinkFor(bcc)], [[16, 32], [11, 22]]);
  // C, a = 5, b = 8, c = 6: |b_1| = 2π |a_2 × a_3| / V = 2π · 28.30 / 120 = 1.482 → 7.4 → 8, where
  // P gives 2π / 5 / 0.2 = 6.3 → 7.
  const c = { a: 5, b: 8, c: 6, alpha: 90, beta: 90, gamma: 90 };
  assert.deepEqual([shrinkFor(c, "C"), shrinkFor(c)], [[8, 16], [7, 14]]);
  // R: a cube of edge 4 Å taken as a rhombohedral cell has hexagonal axes a = 4√2, c = 4√3;
  // its primitive reciprocal axes are 2π / 4 = 1.571 Å⁻¹ → 7.9 → 8, where the hexagonal cell
  // taken as primitive gives 2π / (a sin 60°) / 0.2 = 6.4 → 7.
  const r = {
    a: 4 * Math.SQRT2,
    b: 4 * Math.SQRT2,
    c: 4 * Math.sqrt(3),
    alpha: 90,
    beta: 90,
    gamma: 120,
  };
  assert.deepEqual([shrinkFor(r, "R"), shrinkFor(r)], [[8, 16], [7, 14]]);
});

Deno.test("writeD12() refuses a space group outside 1 to 230 and an empty cell", () => {
  const base = {
    title: "x",
    basis: "STO-3G",
    functional: null,
    shrink: [1, 1] as [number, number],
    toldee: 7,
  };
  assert.throws(
    () => writeD12({ ...base, geometry: { ...MGO, space_group: 231 } }),
    /space group 231/,
  );
  assert.throws(() => writeD12({ ...base, geometry: { ...MGO, atoms: [] } }), /no atoms/);
});
