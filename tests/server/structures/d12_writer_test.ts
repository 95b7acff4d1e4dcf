import assert from "node:assert/strict";
import { parseDeck } from "../../../server/crystal/deck.ts";
import {
  cellVolume,
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

Deno.test("shrinkFor() samples the reciprocal cell at 0.2 per Å and cellVolume() is right", () => {
  assert.deepEqual(shrinkFor(CUBIC), [8, 16], "2π / (4.21 × 0.2) = 7.46");
  assert.ok(Math.abs(cellVolume(CUBIC) - 4.21 ** 3) < 1e-9);
  // Hexagonal a = 3.25, c = 5.21 (ZnO): |a*| = 2π / (a sin 60°) = 2.232 Å⁻¹ → 12.
  const hex = { a: 3.25, b: 3.25, c: 5.21, alpha: 90, beta: 90, gamma: 120 };
  assert.ok(Math.abs(cellVolume(hex) - (Math.sqrt(3) / 2) * 3.25 ** 2 * 5.21) < 1e-9);
  assert.deepEqual(shrinkFor(hex), [12, 24]);
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
