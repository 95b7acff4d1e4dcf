/**
 * The structure of an OPTIMADE structures entry (v1.2 `attributes`): `lattice_vectors`,
 * `cartesian_site_positions`, `species_at_sites` and `species`. A species name is not an element
 * symbol ("Fe_up"): the element comes from the species' `chemical_symbols`, and a species of more
 * than one symbol, a concentration below 1, `"X"` or `"vacancy"` marks the entry as disordered.
 * Pure: no I/O.
 *
 * @module
 */
import { atomicNumber } from "./elements.ts";
import type { Lattice, Site, Structure, StructureProblem, Vec3 } from "./structure.ts";
import { fractionalFromCartesian, latticeDeterminant, wrapFractional } from "./structure.ts";

type Species = { name: string; symbols: string[]; concentration: number[] };

/** The `structure_features` flags that are problems of the same name. */
const FEATURES: ReadonlySet<unknown> = new Set(["disorder", "implicit_atoms", "assemblies"]);
/** Vacuum added to the extent of the sites along a non-periodic direction given no vector, Å. */
const VACUUM = 10;

/**
 * The structure an OPTIMADE structures entry describes, from its `attributes`. Frac = cart · L⁻¹,
 * wrapped to [0, 1). A non-periodic direction whose lattice vector is null gets a vector normal to
 * the others, as long as the sites' extent along it plus 10 Å; the entry is marked `not_3d`.
 *
 * @throws {TypeError} naming the attribute, when one is missing or malformed.
 */
export function structureFromOptimade(attributes: unknown): Structure {
  if (!isRecord(attributes)) bad("attributes", "are not an object");
  const positions = list(attributes, "cartesian_site_positions").map((p, i) =>
    vector(p, `cartesian_site_positions[${i}]`) ?? bad(`cartesian_site_positions[${i}]`, "is null")
  );
  const names = list(attributes, "species_at_sites").map((name, i) =>
    typeof name === "string" ? name : bad(`species_at_sites[${i}]`, "is not a string")
  );
  if (names.length !== positions.length) {
    bad("species_at_sites", `has ${names.length} entries for ${positions.length} positions`);
  }
  const species = new Map<string, Species>();
  list(attributes, "species").forEach((entry, i) => {
    const one = readSpecies(entry, `species[${i}]`);
    if (species.has(one.name)) bad(`species[${i}].name`, `repeats "${one.name}"`);
    species.set(one.name, one);
  });

  const vectors = list(attributes, "lattice_vectors");
  if (vectors.length !== 3) bad("lattice_vectors", "does not hold three vectors");
  const given = vectors.map((v, k) => vector(v, `lattice_vectors[${k}]`));
  const dimensions = dimensionTypes(attributes.dimension_types, given);
  given.forEach((v, k) => {
    if (v === undefined && dimensions[k] === 1) {
      bad(`lattice_vectors[${k}]`, "is null on a periodic axis");
    }
  });
  const warnings: string[] = [];
  const lattice = fillLattice(given, positions, warnings);

  const problems = new Set<StructureProblem>();
  if (dimensions.some((d) => d !== 1)) problems.add("not_3d");
  const features = attributes.structure_features ?? [];
  if (!Array.isArray(features)) bad("structure_features", "is not a list");
  for (const feature of features) {
    if (FEATURES.has(feature)) problems.add(feature as StructureProblem);
  }
  if (attributes.assemblies !== undefined && attributes.assemblies !== null) {
    problems.add("assemblies");
  }

  const disordered = new Set<string>();
  const sites = positions.map((cart, i): Site => {
    const name = names[i]!;
    const { symbols, concentration } = species.get(name) ??
      bad(`species_at_sites[${i}]`, `names "${name}", which is not in species`);
    const isOrdered = symbols.length === 1 && atomicNumber(symbols[0]!) !== undefined &&
      concentration[0]! >= 1 - 1e-6;
    if (!isOrdered) disordered.add(name);
    // A disordered site shows its most abundant element (else "X", an unknown atom), with that
    // one's concentration; the "disorder" problem says the site is more than that.
    const isElement = (s: string) => atomicNumber(s) !== undefined ? 1 : 0;
    const top = symbols.map((s, k) => ({ s, c: concentration[k]! })).filter(({ s }) =>
      s !== "vacancy"
    )
      .sort((p, q) => isElement(q.s) - isElement(p.s) || q.c - p.c)[0];
    const frac = wrapFractional(fractionalFromCartesian(lattice, cart));
    return { element: top?.s ?? "X", frac, label: name, occupancy: isOrdered ? 1 : top?.c ?? 0 };
  });
  if (disordered.size > 0) {
    problems.add("disorder");
    const list = [...disordered].map((name) => `"${name}"`).join(", ");
    warnings.push(
      `Species ${list} are not one element at full occupancy: the structure is disordered`,
    );
  }

  const structure: Structure = {
    lattice,
    sites,
    source: "optimade",
    problems: [...problems],
    warnings,
  };
  const title = attributes.chemical_formula_reduced ?? attributes.chemical_formula_descriptive;
  if (typeof title === "string" && title !== "") structure.title = title;
  return structure;
}

function bad(path: string, problem: string): never {
  throw new TypeError(`Cannot read OPTIMADE structure: "${path}" ${problem}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function list(attributes: Record<string, unknown>, key: string): unknown[] {
  const value = attributes[key];
  if (value === undefined || value === null) bad(key, "is missing");
  if (!Array.isArray(value)) bad(key, "is not a list");
  return value;
}

/** Three numbers, or undefined for null (or all-null) in the places OPTIMADE allows it. */
function vector(value: unknown, path: string): Vec3 | undefined {
  if (value === null || Array.isArray(value) && value.every((x) => x === null)) return undefined;
  const isVector = Array.isArray(value) && value.length === 3 &&
    value.every((x) => typeof x === "number" && Number.isFinite(x));
  return isVector ? value as Vec3 : bad(path, "is not three numbers");
}

function readSpecies(entry: unknown, path: string): Species {
  if (!isRecord(entry)) bad(path, "is not an object");
  const { name, chemical_symbols: symbols, concentration } = entry;
  if (typeof name !== "string") bad(`${path}.name`, "is not a string");
  if (!Array.isArray(symbols) || symbols.length === 0) {
    bad(`${path}.chemical_symbols`, "is not a list");
  }
  symbols.forEach((s, k) => {
    if (s !== "X" && s !== "vacancy" && atomicNumber(s) === undefined) {
      bad(`${path}.chemical_symbols[${k}]`, `is "${s}": not an element symbol, "X" or "vacancy"`);
    }
  });
  const isConcentration = Array.isArray(concentration) && concentration.length === symbols.length &&
    concentration.every((c) => typeof c === "number" && c > 0 && c <= 1);
  if (!isConcentration) {
    bad(`${path}.concentration`, "is not one number in (0, 1] per chemical symbol");
  }
  return { name, symbols, concentration };
}

/** `dimension_types` as given, else 1 wherever a lattice vector is given. */
function dimensionTypes(value: unknown, vectors: (Vec3 | undefined)[]): number[] {
  if (value === undefined || value === null) return vectors.map((v) => v === undefined ? 0 : 1);
  const isValid = Array.isArray(value) && value.length === 3 &&
    value.every((d) => d === 0 || d === 1);
  return isValid ? value : bad("dimension_types", "is not three 0s or 1s");
}

/** The lattice, with vacuum vectors normal to the others where none is given. */
function fillLattice(given: (Vec3 | undefined)[], positions: Vec3[], warnings: string[]): Lattice {
  const dot = (u: Vec3, v: Vec3) => u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
  const unit = (u: Vec3) => u.map((x) => x / Math.hypot(...u)) as Vec3;
  // Gram–Schmidt: an orthonormal basis of the given vectors, then the axes not in their span.
  const basis: Vec3[] = [];
  const extend = (v: Vec3) => {
    const rest = basis.reduce((u, b) => u.map((x, i) => x - dot(v, b) * b[i]!) as Vec3, v);
    if (Math.hypot(...rest) > 1e-3 * Math.hypot(...v)) basis.push(unit(rest));
  };
  given.forEach((v) => v !== undefined && extend(v));
  const spare = basis.length;
  for (const axis of [[1, 0, 0], [0, 1, 0], [0, 0, 1]] as Vec3[]) {
    if (basis.length < 3) extend(axis);
  }
  const normals = basis.slice(spare);
  const vectors = given.map((v, k) => {
    if (v !== undefined) return v;
    const n = normals.shift()!;
    const along = positions.map((p) => dot(p, n));
    const length = (along.length > 0 ? Math.max(...along) - Math.min(...along) : 0) + VACUUM;
    warnings.push(
      `Lattice vector ${"abc"[k]} is not given: a ${length.toFixed(2)} Å vacuum vector is used`,
    );
    return n.map((x) => x * length) as Vec3;
  }) as Lattice;
  const volume = latticeDeterminant(vectors);
  if (!(Math.abs(volume) > 1e-8)) bad("lattice_vectors", "are coplanar");
  // A filled-in normal may point either way: the last one is turned to make the cell right-handed.
  const last = given.lastIndexOf(undefined);
  if (volume < 0 && last >= 0) vectors[last] = vectors[last]!.map((x) => -x) as Vec3;
  return vectors;
}
