/**
 * The one internal form of a crystal structure, whatever it was read from (CIF, POSCAR, an
 * OPTIMADE entry): a periodic cell and its sites, with what is known about how it may be
 * unusable for CRYSTAL. Pure: no I/O.
 *
 * @module
 */

/** A 3×3 matrix whose rows are the lattice vectors a, b, c, in Å. */
export type Lattice = [
  [number, number, number],
  [number, number, number],
  [number, number, number],
];

/** One site of the cell. */
export interface Site {
  /** The element symbol, capitalised as in the periodic table ("Fe", "O"). */
  element: string;
  /** Fractional coordinates in [0, 1). */
  frac: [number, number, number];
  /** The site's label where the source gave one ("Fe1"). */
  label?: string;
  /** Occupancy below 1 means the site is disordered. */
  occupancy: number;
}

/** Why a structure cannot go to CRYSTAL as it is. */
export type StructureProblem =
  | "disorder"
  | "implicit_atoms"
  | "assemblies"
  | "not_3d";

/** A structure, as every reader returns it. */
export interface Structure {
  lattice: Lattice;
  /** Every site of the cell (symmetry already expanded). */
  sites: Site[];
  /** What the source says it is: "cif", "poscar" or "optimade". */
  source: "cif" | "poscar" | "optimade";
  /** A title or formula from the source, if any. */
  title?: string;
  /** What would make CRYSTAL refuse it, or mean something else than the source. */
  problems: StructureProblem[];
  /** Things worth telling the user that do not stop anything. */
  warnings: string[];
}

/** A point or vector in three dimensions. */
export type Vec3 = [number, number, number];

/** Wraps fractional coordinates into [0, 1); a value a rounding error below 1 becomes 0. */
export function wrapFractional(frac: readonly number[]): Vec3 {
  const wrap = (x: number) => {
    const w = x - Math.floor(x);
    return w > 1 - 1e-12 ? 0 : w;
  };
  return [wrap(frac[0]!), wrap(frac[1]!), wrap(frac[2]!)];
}

/** Cartesian coordinates (Å) of fractional ones: cart = frac · L, rows of L being a, b, c. */
export function cartesianFromFractional(lattice: Lattice, frac: readonly number[]): Vec3 {
  const [a, b, c] = lattice;
  const [u, v, w] = [frac[0]!, frac[1]!, frac[2]!];
  return [0, 1, 2].map((k) => u * a[k]! + v * b[k]! + w * c[k]!) as Vec3;
}

/**
 * The shortest distance in Å between two fractional positions over periodic images: the nearest
 * image by rounding, then its 26 neighbours, which a skewed cell can make nearer. Allocates
 * nothing: it runs for every pair of sites.
 */
export function periodicDistance(
  lattice: Lattice,
  p: readonly number[],
  q: readonly number[],
): number {
  const [a, b, c] = lattice;
  let dx = p[0]! - q[0]!;
  let dy = p[1]! - q[1]!;
  let dz = p[2]! - q[2]!;
  dx -= Math.round(dx);
  dy -= Math.round(dy);
  dz -= Math.round(dz);
  let best = Infinity;
  for (let i = -1; i <= 1; i++) {
    for (let j = -1; j <= 1; j++) {
      for (let k = -1; k <= 1; k++) {
        const u = dx + i, v = dy + j, w = dz + k;
        const x = u * a[0]! + v * b[0]! + w * c[0]!;
        const y = u * a[1]! + v * b[1]! + w * c[1]!;
        const z = u * a[2]! + v * b[2]! + w * c[2]!;
        const squared = x * x + y * y + z * z;
        if (squared < best) best = squared;
      }
    }
  }
  return Math.sqrt(best);
}

/** The signed volume a · (b × c) of the cell, in Å³ (negative for a left-handed cell). */
export function latticeDeterminant(lattice: Lattice): number {
  const [[a0, a1, a2], [b0, b1, b2], [c0, c1, c2]] = lattice;
  return a0 * (b1 * c2 - b2 * c1) - a1 * (b0 * c2 - b2 * c0) + a2 * (b0 * c1 - b1 * c0);
}

/**
 * Fractional coordinates of a Cartesian point (Å): frac = cart · L⁻¹. Not wrapped.
 *
 * @throws {RangeError} when the lattice vectors are coplanar.
 */
export function fractionalFromCartesian(lattice: Lattice, cart: readonly number[]): Vec3 {
  const det = latticeDeterminant(lattice);
  if (!(Math.abs(det) > 1e-8)) {
    throw new RangeError(
      "Cannot convert to fractional coordinates: the lattice vectors are coplanar",
    );
  }
  const [[a0, a1, a2], [b0, b1, b2], [c0, c1, c2]] = lattice;
  // Columns of L⁻¹ are (b × c, c × a, a × b) / det; frac_i = cart · column_i.
  const columns = [
    [b1 * c2 - b2 * c1, b2 * c0 - b0 * c2, b0 * c1 - b1 * c0],
    [c1 * a2 - c2 * a1, c2 * a0 - c0 * a2, c0 * a1 - c1 * a0],
    [a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0],
  ];
  const [x, y, z] = [cart[0]!, cart[1]!, cart[2]!];
  return columns.map((col) => (x * col[0]! + y * col[1]! + z * col[2]!) / det) as Vec3;
}
