/**
 * The geometry a converged optimisation ends with, from the `FINAL OPTIMIZED GEOMETRY` block of
 * its output (fixtures mgo_sto3g_opt.crystal.out, s2_molecule_opt.out), and the deck that
 * continues from it: the same deck with its lattice parameters and irreducible atoms replaced.
 *
 * The block prints the primitive cell and the asymmetric unit in it, then, for a crystal, the
 * crystallographic cell (the deck's setting) and the atoms in it: those are what a CRYSTAL deck
 * gives. Lengths are printed to 1e-8 Å, angles to 1e-6°, fractional coordinates to 12
 * significant digits; rounding at that level moves the energy by far less than any SCF
 * tolerance (at a minimum it is second order in the displacement). Pure.
 *
 * @module
 */
import type { Atom, Deck, Lattice } from "./deck.ts";

/** One atom row: T/F (irreducible or not), Z, and three coordinates. */
interface Row {
  irreducible: boolean;
  atomic_number: number;
  xyz: [number, number, number];
}

/** The last FINAL OPTIMIZED GEOMETRY block of an output. */
export interface OptimizedGeometry {
  dimensionality: number;
  primitive: { cell: number[]; atoms: Row[] };
  /** The crystallographic cell and its atoms (3D only), when printed. */
  crystallographic: { cell: number[]; atoms: Row[] } | null;
}

const ROW = /^\s*\d+\s+([TF])\s+(\d+)\s+\S+\s+(\S+)\s+(\S+)\s+(\S+)\s*$/;
const CELL =
  /^\s*(-?\d+\.\d+)\s+(-?\d+\.\d+)\s+(-?\d+\.\d+)\s+(-?\d+\.\d+)\s+(-?\d+\.\d+)\s+(-?\d+\.\d+)\s*$/;

function rows(lines: readonly string[], from: number): Row[] {
  const out: Row[] = [];
  let i = from;
  while (i < lines.length && !ROW.test(lines[i]!)) {
    if (i - from > 6) return out;
    i++;
  }
  for (; i < lines.length; i++) {
    const m = ROW.exec(lines[i]!);
    if (m === null) break;
    out.push({
      irreducible: m[1] === "T",
      atomic_number: Number(m[2]),
      xyz: [Number(m[3]), Number(m[4]), Number(m[5])],
    });
  }
  return out;
}

function cellAfter(lines: readonly string[], from: number): number[] {
  for (let i = from; i < Math.min(lines.length, from + 4); i++) {
    const m = CELL.exec(lines[i]!);
    if (m) return m.slice(1, 7).map(Number);
  }
  return [];
}

/** The last FINAL OPTIMIZED GEOMETRY block of `output`, or null when there is none. */
export function optimizedGeometry(output: string): OptimizedGeometry | null {
  const lines = output.split(/\r?\n/);
  let start = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]!.includes("FINAL OPTIMIZED GEOMETRY - DIMENSIONALITY OF THE SYSTEM")) {
      start = i;
      break;
    }
  }
  if (start < 0) return null;
  const dimensionality = Number(/(\d+)\s*$/.exec(lines[start]!)?.[1] ?? 3);
  const find = (text: string, from: number) => {
    for (let i = from; i < lines.length; i++) {
      if (lines[i]!.includes(text)) return i;
      if (i > from && lines[i]!.includes("FINAL OPTIMIZED GEOMETRY")) return -1;
    }
    return -1;
  };
  const primitiveAt = find("PRIMITIVE CELL - CENTRING CODE", start);
  const asymAt = find("ATOMS IN THE ASYMMETRIC UNIT", start);
  if (asymAt < 0) return null;
  const primitive = {
    cell: primitiveAt < 0 ? [] : cellAfter(lines, primitiveAt + 1),
    atoms: rows(lines, asymAt + 1),
  };
  const crystalAt = find("CRYSTALLOGRAPHIC CELL (VOLUME=", asymAt);
  const coordsAt = crystalAt < 0 ? -1 : find("COORDINATES IN THE CRYSTALLOGRAPHIC CELL", crystalAt);
  return {
    dimensionality,
    primitive,
    crystallographic: coordsAt < 0
      ? null
      : { cell: cellAfter(lines, crystalAt + 1), atoms: rows(lines, coordsAt + 1) },
  };
}

/** A deck that cannot take the optimised geometry, saying why. */
export class GeometryTransferError extends Error {
  override name = "GeometryTransferError";
}

/** The deck's atoms with the coordinates of the matching irreducible atoms. */
function withAtoms(atoms: readonly Atom[], found: readonly Row[], what: string): Atom[] {
  const irreducible = found.filter((r) => r.irreducible);
  if (irreducible.length !== atoms.length) {
    throw new GeometryTransferError(
      `the output's ${what} has ${irreducible.length} irreducible atoms, the deck ${atoms.length}`,
    );
  }
  return atoms.map((atom, i) => {
    const row = irreducible[i]!;
    // Z + 100n marks another basis set for the same element (CRYSTAL's convention).
    if (row.atomic_number % 100 !== atom.atomic_number % 100) {
      throw new GeometryTransferError(
        `atom ${i + 1} of the deck has Z ${atom.atomic_number}, the output's ${row.atomic_number}`,
      );
    }
    return { ...atom, x: row.xyz[0], y: row.xyz[1], z: row.xyz[2] };
  });
}

/**
 * `deck` with the optimised geometry: a CRYSTAL deck gets the crystallographic cell (each
 * lattice parameter it gives) and atoms, a MOLECULE its atoms (Cartesian Å).
 * @throws {GeometryTransferError} for a geometry it cannot carry over (SLAB, POLYMER, EXTERNAL)
 *   or one that does not match the deck
 */
export function withOptimizedGeometry(deck: Deck, geometry: OptimizedGeometry): Deck {
  const g = deck.geometry;
  if (g.kind === "MOLECULE") {
    return {
      ...deck,
      geometry: { ...g, atoms: withAtoms(g.atoms, geometry.primitive.atoms, "asymmetric unit") },
    };
  }
  if (g.kind !== "CRYSTAL") {
    throw new GeometryTransferError(
      `a ${g.kind} geometry is not carried over yet: give base_input with the optimised geometry`,
    );
  }
  const isRhombohedralAxes = g.flags.ifhr === 1 && g.lattice.alpha !== undefined &&
    g.lattice.b === undefined;
  const source = isRhombohedralAxes ? geometry.primitive : geometry.crystallographic;
  if (source === null || source.cell.length !== 6) {
    throw new GeometryTransferError("the output prints no crystallographic cell");
  }
  const [a, b, c, alpha, beta, gamma] = source.cell as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const given = { a, b, c, alpha, beta, gamma };
  const lattice = Object.fromEntries(
    Object.keys(g.lattice).map((key) => [key, given[key as keyof typeof given]]),
  ) as Lattice;
  return {
    ...deck,
    geometry: {
      ...g,
      lattice,
      atoms: withAtoms(g.atoms, source.atoms, "crystallographic cell"),
    },
  };
}
