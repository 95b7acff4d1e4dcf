import assert from "node:assert/strict";
import { structureFromOptimade } from "../../../server/structures/optimade.ts";
import type { Structure } from "../../../server/structures/structure.ts";

/** Sites as `element label x y z occupancy`, coordinates rounded to 6 places. */
function sites(structure: Structure): string[] {
  return structure.sites.map((s) =>
    [s.element, s.label, ...s.frac.map((x) => (Math.round(x * 1e6) / 1e6).toFixed(6)), s.occupancy]
      .join(" ")
  );
}

const HALF = 2.82;

/** Rock-salt NaCl in its primitive fcc cell (a = 5.64 Å), as a provider returns it. */
function rockSalt(): Record<string, unknown> {
  return {
    chemical_formula_reduced: "ClNa",
    dimension_types: [1, 1, 1],
    nperiodic_dimensions: 3,
    lattice_vectors: [[0, HALF, HALF], [HALF, 0, HALF], [HALF, HALF, 0]],
    // Cl at (a/2, a/2, a/2) = 0.5 a1 + 0.5 a2 + 0.5 a3; one Na at -a1 + a2, outside the cell.
    cartesian_site_positions: [[HALF, 0, -HALF], [HALF, HALF, HALF]],
    species_at_sites: ["Na", "Cl"],
    species: [
      { name: "Na", chemical_symbols: ["Na"], concentration: [1.0] },
      { name: "Cl", chemical_symbols: ["Cl"], concentration: [1.0] },
    ],
    structure_features: [],
    nsites: 2,
  };
}

Deno.test("structureFromOptimade() reads rock-salt NaCl, frac = cart · L⁻¹ wrapped", () => {
  const nacl = structureFromOptimade(rockSalt());
  assert.equal(nacl.source, "optimade");
  assert.equal(nacl.title, "ClNa");
  assert.deepEqual(nacl.lattice, [[0, HALF, HALF], [HALF, 0, HALF], [HALF, HALF, 0]]);
  // (2.82, 0, -2.82) = -a1 + a2 + 0 a3 → (-1, 1, 0) → wrapped (0, 0, 0).
  assert.deepEqual(sites(nacl), [
    "Na Na 0.000000 0.000000 0.000000 1",
    "Cl Cl 0.500000 0.500000 0.500000 1",
  ]);
  assert.deepEqual([nacl.problems, nacl.warnings], [[], []]);
});

Deno.test("structureFromOptimade() maps species names to elements through chemical_symbols", () => {
  const afm = {
    ...rockSalt(),
    chemical_formula_reduced: "FeO",
    species_at_sites: ["Fe_up", "Fe_down"],
    species: [
      { name: "Fe_up", chemical_symbols: ["Fe"], concentration: [1] },
      { name: "Fe_down", chemical_symbols: ["Fe"], concentration: [1] },
    ],
  };
  const s = structureFromOptimade(afm);
  assert.deepEqual(s.sites.map((x) => [x.element, x.label]), [["Fe", "Fe_up"], ["Fe", "Fe_down"]]);
  assert.deepEqual(s.problems, []);
});

Deno.test("structureFromOptimade() marks mixed, partial, unknown and vacant species as disorder", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["two symbols", { chemical_symbols: ["Fe", "Ni"], concentration: [0.4, 0.6] }, "Ni 0.6"],
    ["a partial site", { chemical_symbols: ["Fe"], concentration: [0.8] }, "Fe 0.8"],
    ["a vacancy", { chemical_symbols: ["Fe", "vacancy"], concentration: [0.9, 0.1] }, "Fe 0.9"],
    ["a vacancy alone", { chemical_symbols: ["vacancy"], concentration: [1] }, "X 0"],
    ["an unknown atom", { chemical_symbols: ["X"], concentration: [1] }, "X 1"],
  ];
  for (const [what, species, shown] of cases) {
    const entry = {
      ...rockSalt(),
      species_at_sites: ["Na", "M"],
      species: [{ name: "Na", chemical_symbols: ["Na"], concentration: [1] }, {
        name: "M",
        ...species,
      }],
    };
    const s = structureFromOptimade(entry);
    assert.deepEqual(s.problems, ["disorder"], what);
    assert.equal(`${s.sites[1]!.element} ${s.sites[1]!.occupancy}`, shown, what);
    assert.deepEqual(
      s.warnings,
      ['Species "M" are not one element at full occupancy: the structure is disordered'],
      what,
    );
  }
});

Deno.test("structureFromOptimade() turns structure_features and assemblies into problems", () => {
  const cases: [Record<string, unknown>, Structure["problems"]][] = [
    [{ structure_features: ["disorder"] }, ["disorder"]],
    [{ structure_features: ["implicit_atoms"] }, ["implicit_atoms"]],
    [{ structure_features: ["assemblies", "site_attachments"] }, ["assemblies"]],
    [{ assemblies: [{ sites_in_groups: [[0], [1]], group_probabilities: [0.5, 0.5] }] }, [
      "assemblies",
    ]],
    [{ structure_features: ["constructor", "toString"] }, []],
  ];
  for (const [extra, problems] of cases) {
    assert.deepEqual(structureFromOptimade({ ...rockSalt(), ...extra }).problems, problems);
  }
});

Deno.test("structureFromOptimade() marks a structure not periodic in 3D as not_3d", () => {
  const slab = { ...rockSalt(), dimension_types: [1, 1, 0] };
  assert.deepEqual(structureFromOptimade(slab).problems, ["not_3d"]);
});

Deno.test("structureFromOptimade() puts a vacuum vector where a non-periodic one is null", () => {
  // A BN sheet: a, b in the xy plane, atoms at z = 0 and 1.5; c is normal, 1.5 + 10 Å long.
  const sheet = {
    dimension_types: [1, 1, 0],
    lattice_vectors: [[2.5, 0, 0], [-1.25, 2.5 * Math.sqrt(3) / 2, 0], [null, null, null]],
    cartesian_site_positions: [[0, 0, 0], [0, 0, 1.5]],
    species_at_sites: ["B", "N"],
    species: [
      { name: "B", chemical_symbols: ["B"], concentration: [1] },
      { name: "N", chemical_symbols: ["N"], concentration: [1] },
    ],
  };
  const s = structureFromOptimade(sheet);
  assert.deepEqual(s.lattice[2], [0, 0, 11.5]);
  assert.deepEqual(s.problems, ["not_3d"]);
  assert.deepEqual(s.warnings, ["Lattice vector c is not given: a 11.50 Å vacuum vector is used"]);
  assert.ok(Math.abs(s.sites[1]!.frac[2] - 1.5 / 11.5) < 1e-12);
  // Without dimension_types, the null vector alone says the axis is not periodic.
  const { dimension_types: _, ...undeclared } = sheet;
  assert.deepEqual(structureFromOptimade(undeclared).problems, ["not_3d"]);
});

Deno.test("structureFromOptimade() names the attribute that is missing or malformed", () => {
  const without = (key: string) => {
    const entry = rockSalt();
    delete entry[key];
    return entry;
  };
  // deno-fmt-ignore: one case a line
  const cases: [string, unknown, string][] = [
    ["not an object", [1, 2], '"attributes" are not an object'],
    ["no lattice", without("lattice_vectors"), '"lattice_vectors" is missing'],
    ["no positions", without("cartesian_site_positions"), '"cartesian_site_positions" is missing'],
    ["no species", without("species"), '"species" is missing'],
    ["null sites", { ...rockSalt(), species_at_sites: null }, '"species_at_sites" is missing'],
    ["two vectors", { ...rockSalt(), lattice_vectors: [[1, 0, 0], [0, 1, 0]] }, '"lattice_vectors" does not hold three vectors'],
    ["a short vector", { ...rockSalt(), lattice_vectors: [[1, 0, 0], [0, 1], [0, 0, 1]] }, '"lattice_vectors[1]" is not three numbers'],
    ["a null periodic vector", { ...rockSalt(), lattice_vectors: [[1, 0, 0], [0, 1, 0], null] }, '"lattice_vectors[2]" is null on a periodic axis'],
    ["flat vectors", { ...rockSalt(), lattice_vectors: [[1, 0, 0], [0, 1, 0], [1, 1, 0]] }, '"lattice_vectors" are coplanar'],
    ["a text position", { ...rockSalt(), cartesian_site_positions: [[0, 0, 0], ["1", 0, 0]] }, '"cartesian_site_positions[1]" is not three numbers'],
    ["one name short", { ...rockSalt(), species_at_sites: ["Na"] }, '"species_at_sites" has 1 entries for 2 positions'],
    ["an unknown name", { ...rockSalt(), species_at_sites: ["Na", "Br"] }, '"species_at_sites[1]" names "Br", which is not in species'],
    ["a bad symbol", { ...rockSalt(), species: [{ name: "Na", chemical_symbols: ["Nah"], concentration: [1] }], }, '"species[0].chemical_symbols[0]" is "Nah": not an element symbol, "X" or "vacancy"'],
    ["no concentration", { ...rockSalt(), species: [{ name: "Na", chemical_symbols: ["Na"] }] }, '"species[0].concentration" is not one number in (0, 1] per chemical symbol'],
    ["a repeated name", { ...rockSalt(), species: [{ name: "Na", chemical_symbols: ["Na"], concentration: [1] }, { name: "Na", chemical_symbols: ["Na"], concentration: [1], }], }, '"species[1].name" repeats "Na"'],
    ["bad dimensions", { ...rockSalt(), dimension_types: [1, 1] }, '"dimension_types" is not three 0s or 1s'],
    ["bad features", { ...rockSalt(), structure_features: "disorder" }, '"structure_features" is not a list'],
  ];
  for (const [what, attributes, detail] of cases) {
    assert.throws(() => structureFromOptimade(attributes), {
      name: "TypeError",
      message: `Cannot read OPTIMADE structure: ${detail}`,
    }, what);
  }
});
