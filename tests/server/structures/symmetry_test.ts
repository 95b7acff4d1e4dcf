import assert from "node:assert/strict";
import type { Lattice, Structure } from "../../../server/structures/structure.ts";
import {
  analyzeSymmetry,
  DEFAULT_SYMPREC,
  operationsOf,
  optimadeSymbol,
  SymmetryError,
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

function cubic(a: number): Lattice {
  return [[a, 0, 0], [0, a, 0], [0, 0, a]];
}

function hexagonal(a: number, c: number): Lattice {
  return [[a, 0, 0], [-a / 2, (a * Math.sqrt(3)) / 2, 0], [0, 0, c]];
}

const FCC: Vec[] = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]];

function shifted(frac: Vec, by: Vec): Vec {
  return frac.map((x, k) => (x + by[k]!) % 1) as Vec;
}

const MGO_A = 4.21;
const MGO_CONVENTIONAL = structure(cubic(MGO_A), [
  ...FCC.map((p): [string, Vec] => ["Mg", p]),
  ...FCC.map((p): [string, Vec] => ["O", shifted(p, [0.5, 0.5, 0.5])]),
]);

/** A reproducible displacement of every site by at most `amplitude` Å along each axis. */
function noisy(input: Structure, amplitude: number): Structure {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const a = input.lattice[0][0];
  return {
    ...input,
    sites: input.sites.map((site) => ({
      ...site,
      frac: site.frac.map((x) => x + (random() * amplitude) / a) as Vec,
    })),
  };
}

function near(actual: number, expected: number, what: string, tolerance = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not ${expected}`);
}

function wyckoffs(result: SymmetryResult): string[] {
  return result.asymmetric_unit.map((s) => `${s.element} ${s.multiplicity}${s.wyckoff}`).sort();
}

Deno.test("analyzeSymmetry() finds Fm-3m for the rock-salt MgO conventional cell", async () => {
  const result = await analyzeSymmetry(MGO_CONVENTIONAL);
  assert.equal(result.number, 225);
  assert.equal(result.symbol, "F m -3 m");
  assert.equal(result.symbol_compact, "Fm-3m");
  assert.equal(result.crystal_system, "cubic");
  assert.equal(result.symprec, DEFAULT_SYMPREC);
  assert.equal(result.symprec_requested, DEFAULT_SYMPREC);
  assert.equal(result.conventional.sites.length, 8);
  near(result.lattice.a, MGO_A, "a");
  near(result.lattice.c, MGO_A, "c");
  near(result.lattice.beta, 90, "beta");
  assert.deepEqual(wyckoffs(result), ["Mg 4a", "O 4b"]);
  const mg = result.asymmetric_unit.find((s) => s.element === "Mg");
  assert.deepEqual(mg && { z: mg.atomic_number, frac: mg.frac }, { z: 12, frac: [0, 0, 0] });
});

Deno.test("analyzeSymmetry() gives the conventional cell of MgO from its primitive cell", async () => {
  const h = MGO_A / 2;
  const primitive = structure([[0, h, h], [h, 0, h], [h, h, 0]], [
    ["Mg", [0, 0, 0]],
    ["O", [0.5, 0.5, 0.5]],
  ]);
  const result = await analyzeSymmetry(primitive);
  assert.equal(result.number, 225);
  assert.equal(result.conventional.sites.length, 8);
  near(result.lattice.a, MGO_A, "a");
  near(result.lattice.b, MGO_A, "b");
  near(result.lattice.gamma, 90, "gamma");
  assert.deepEqual(wyckoffs(result), ["Mg 4a", "O 4b"]);
});

Deno.test("analyzeSymmetry() puts diamond Si at the origin in the Spglib setting", async () => {
  const a = 5.431;
  // Shifted off the origin so that the result's origin comes from the setting, not the input.
  const shift: Vec = [0.13, 0.13, 0.13];
  const silicon = structure(cubic(a), [
    ...FCC.map((p): [string, Vec] => ["Si", shifted(p, shift)]),
    ...FCC.map((p): [string, Vec] => ["Si", shifted(shifted(p, [0.25, 0.25, 0.25]), shift)]),
  ]);
  const result = await analyzeSymmetry(silicon);
  assert.equal(result.number, 227);
  assert.equal(result.hall_number, 525);
  assert.equal(result.hall_symbol, "F 4d 2 3 -1d");
  assert.equal(result.symbol_compact, "Fd-3m");
  near(result.lattice.a, a, "a");
  assert.equal(result.asymmetric_unit.length, 1);
  assert.deepEqual(result.asymmetric_unit[0]?.frac, [0, 0, 0]);
  assert.equal(result.asymmetric_unit[0]?.wyckoff, "a");
});

Deno.test("analyzeSymmetry() gives Wyckoff letters that fit the cell it returns", async () => {
  // moyo may describe diamond on 8a (0,0,0) or on 8b (1/2,1/2,1/2), depending on the input's
  // origin; whichever it picks, the letter must name the position returned.
  const eightB = ["0,0,0.5", "0,0.5,0", "0.5,0,0", "0.5,0.5,0.5"];
  for (const offset of [0, 0.13, 0.3, 0.5]) {
    const silicon = structure(cubic(5.431), [
      ...FCC.map((p): [string, Vec] => ["Si", shifted(p, [offset, offset, offset])]),
      ...FCC.map((
        p,
      ): [string, Vec] => ["Si", shifted(p, [offset + 0.25, offset + 0.25, offset + 0.25])]),
    ]);
    const [site] = (await analyzeSymmetry(silicon)).asymmetric_unit;
    const expected = site?.frac.join() === "0,0,0"
      ? "a"
      : eightB.includes(String(site?.frac))
      ? "b"
      : "?";
    assert.equal(site?.wyckoff, expected, `offset ${offset}: Si at ${site?.frac}`);
  }
});

Deno.test("analyzeSymmetry() finds P63mc for wurtzite ZnO with its a and c", async () => {
  const [a, c, u] = [3.25, 5.207, 0.382];
  const zno = structure(hexagonal(a, c), [
    ["Zn", [1 / 3, 2 / 3, 0]],
    ["Zn", [2 / 3, 1 / 3, 0.5]],
    ["O", [1 / 3, 2 / 3, u]],
    ["O", [2 / 3, 1 / 3, 0.5 + u]],
  ]);
  const result = await analyzeSymmetry(zno);
  assert.equal(result.number, 186);
  assert.equal(result.symbol, "P 63 m c");
  assert.equal(result.crystal_system, "hexagonal");
  near(result.lattice.a, a, "a");
  near(result.lattice.b, a, "b");
  near(result.lattice.c, c, "c");
  near(result.lattice.gamma, 120, "gamma");
  assert.deepEqual(wyckoffs(result), ["O 2b", "Zn 2b"]);
});

Deno.test("analyzeSymmetry() finds P42/mnm for rutile TiO2 with its a and c", async () => {
  const [a, c, x] = [4.594, 2.959, 0.305];
  const rutile = structure([[a, 0, 0], [0, a, 0], [0, 0, c]], [
    ["Ti", [0, 0, 0]],
    ["Ti", [0.5, 0.5, 0.5]],
    ["O", [x, x, 0]],
    ["O", [1 - x, 1 - x, 0]],
    ["O", [0.5 + x, 0.5 - x, 0.5]],
    ["O", [0.5 - x, 0.5 + x, 0.5]],
  ]);
  const result = await analyzeSymmetry(rutile);
  assert.equal(result.number, 136);
  assert.equal(result.symbol, "P 42/m n m");
  assert.equal(result.crystal_system, "tetragonal");
  near(result.lattice.a, a, "a");
  near(result.lattice.c, c, "c");
  assert.deepEqual(wyckoffs(result), ["O 4f", "Ti 2a"]);
});

Deno.test("analyzeSymmetry() still finds Fm-3m when the sites are 0.0005 Å off", async () => {
  const result = await analyzeSymmetry(noisy(MGO_CONVENTIONAL, 0.0005));
  assert.equal(result.number, 225);
  assert.equal(result.symprec_requested, 1e-3);
  // moyo widens the tolerance itself where the asked one gives an inconsistent result.
  assert.ok(result.symprec >= 1e-3, `symprec ${result.symprec}`);
  assert.equal(result.asymmetric_unit.length, 2);
});

Deno.test("analyzeSymmetry() finds a lower group for 0.02 Å noise unless symprec allows it", async () => {
  const shaken = noisy(MGO_CONVENTIONAL, 0.02);
  const strict = await analyzeSymmetry(shaken);
  assert.ok(strict.number < 225, `group ${strict.number} should be lower than 225`);
  const loose = await analyzeSymmetry(shaken, { symprec: 0.1 });
  assert.equal(loose.number, 225);
  assert.equal(loose.symprec_requested, 0.1);
});

Deno.test("analyzeSymmetry() names the two sites when two atoms sit on one site", async () => {
  const clash = structure(cubic(MGO_A), [["Mg", [0, 0, 0]], ["O", [0, 0, 0]]]);
  await assert.rejects(analyzeSymmetry(clash), (error: unknown) => {
    assert.ok(error instanceof SymmetryError);
    assert.match(error.message, /two atoms on one site: sites 1 \("Mg"\) and 2 \("O"\)/);
    assert.match(String(error.cause), /moyo error/);
    return true;
  });
});

Deno.test("analyzeSymmetry() rejects a symprec that is not positive", async () => {
  await assert.rejects(analyzeSymmetry(MGO_CONVENTIONAL, { symprec: 0 }), RangeError);
});

Deno.test("analyzeSymmetry() rejects an unknown element", async () => {
  const unknown = structure(cubic(3), [["Xx", [0, 0, 0]]]);
  await assert.rejects(analyzeSymmetry(unknown), /"Xx" is not an element symbol/);
});

Deno.test("operationsOf() gives the 192 operations of Fm-3m with its F centring", async () => {
  const operations = await operationsOf(523);
  assert.equal(operations.length, 192);
  assert.ok(
    operations.some(({ rotation, translation }) =>
      rotation.flat().join() === "1,0,0,0,1,0,0,0,1" && translation.join() === "0,0.5,0.5"
    ),
  );
  await assert.rejects(operationsOf(531), RangeError);
});

Deno.test("optimadeSymbol() drops the underscore of screw axes", () => {
  assert.equal(optimadeSymbol("P 2_1/c"), "P 21/c");
  assert.equal(optimadeSymbol("P 6_3 m c"), "P 63 m c");
  assert.equal(optimadeSymbol("F m -3 m"), "F m -3 m");
});

Deno.test("operationsOf() gives Pa-3's 24 operations, each mapping pyrite's 12 sites onto themselves", async () => {
  // Pyrite from the International Tables' coordinates: Fe on 4a, S on 8c (x, x, x), x = 0.385.
  const x = 0.385;
  const s8c: Vec[] = [
    [x, x, x],
    [-x + 0.5, -x, x + 0.5],
    [-x, x + 0.5, -x + 0.5],
    [x + 0.5, -x + 0.5, -x],
  ];
  const sites = [
    ...[[0, 0, 0], [0.5, 0, 0.5], [0, 0.5, 0.5], [0.5, 0.5, 0]].map((f) => ["Fe", f]),
    ...[...s8c, ...s8c.map((p) => p.map((c) => -c))].map((f) => ["S", f]),
  ] as [string, number[]][];
  const key = (element: string, f: number[]) =>
    `${element} ${f.map((c) => (((c % 1) + 1) % 1).toFixed(3).replace("1.000", "0.000")).join()}`;
  const cell = new Set(sites.map(([e, f]) => key(e, f)));
  assert.equal(cell.size, 12);
  const operations = await operationsOf(501);
  assert.equal(operations.length, 24);
  for (const { rotation: r, translation: t } of operations) {
    const moved = new Set(
      sites.map(([e, f]) =>
        key(e, r.map((row, i) => row[0] * f[0]! + row[1] * f[1]! + row[2] * f[2]! + t[i]!))
      ),
    );
    assert.deepEqual(moved, cell, `${JSON.stringify(r)} + ${t}`);
  }
});
