/**
 * The one internal form of a crystal structure, whatever it was read from (CIF, POSCAR, an
 * OPTIMADE entry): a periodic cell and its sites, with what is known about how it may be
 * unusable for CRYSTAL. Pure: no I/O.
 *
 * @module
 */

/** A 3×3 matrix whose rows are the lattice vectors a, b, c, in Å. */
export type Lattice = [[number, number, number], [number, number, number], [number, number, number]];

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
