/**
 * Writes a complete `.d12` deck for a 3D crystal from its symmetry (Route A of
 * docs/materials-workflows.md §2.2): the CRYSTAL keyword, `0 0 0` (`0 0 1` for the groups with two
 * origins, see symmetryFlags), the space-group number, the
 * minimal lattice parameters of the crystal family, and one atom per orbit; OPTGEOM inside the
 * geometry block when optimising; `BASISSET` in place of the geometry block's END; then the
 * Hamiltonian and SCF block with SHRINK and TOLDEE (and the spin guess), closed by END. With
 * Route B the geometry block is the one word `EXTERNAL`. Pure: no I/O.
 *
 * @module
 */
import { type DeckSpin, spinLines } from "./spin.ts";
import { wrapFractional } from "./structure.ts";
import type { CrystalSystem } from "./symmetry.ts";
import type { CellParameters } from "../model/cell.ts";

/** What the geometry block needs: the group, the conventional cell and the asymmetric unit. */
export interface GeometrySpec {
  space_group: number;
  crystal_system: CrystalSystem;
  lattice: CellParameters;
  /** One atom per orbit, fractional coordinates of the conventional cell. */
  atoms: { atomic_number: number; frac: [number, number, number] }[];
}

/** Everything a deck says. */
export interface DeckSpec {
  title: string;
  geometry: GeometrySpec;
  /** A basis-set library name (BASISSET). */
  basis: string;
  /** A DFT functional keyword, or null for Hartree–Fock. */
  functional: string | null;
  /** SHRINK IS ISP. */
  shrink: [number, number];
  /** SCF convergence: 10^-toldee Ha. */
  toldee: number;
  /** A geometry optimisation, inside the geometry block. */
  optimize?: { type: "FULLOPTG" | "ATOMONLY" | "CELLONLY"; maxcycle?: number } | undefined;
  /** Route B: the geometry block is `EXTERNAL`, read from a fort.34 beside the deck. */
  external?: boolean | undefined;
  /** Spin-polarised: SPIN in the DFT block (UHF for Hartree–Fock), ATOMSPIN and SPINLOCK. */
  spin?: DeckSpin | undefined;
}

/** A number for a deck line: at most 10 decimals, no trailing zeros, never exponent form. */
export function deckNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`Cannot write ${value} in a deck`);
  const rounded = Math.abs(value) < 5e-11 ? 0 : value;
  const text = rounded.toFixed(10).replace(/0+$/, "").replace(/\.$/, "");
  return text === "-0" ? "0" : text;
}

/** A number as a deck writes it. */
export const asWritten = (value: number): number => Number(deckNumber(value));

/** Cell parameters as a deck writes them: round-off such as 4.210000000000001 gone. */
export function cellAsWritten(cell: CellParameters): CellParameters {
  return {
    a: asWritten(cell.a),
    b: asWritten(cell.b),
    c: asWritten(cell.c),
    alpha: asWritten(cell.alpha),
    beta: asWritten(cell.beta),
    gamma: asWritten(cell.gamma),
  };
}

/** The lattice parameters CRYSTAL reads for a family (hexagonal axes for trigonal groups). */
export function minimalParameters(system: CrystalSystem, cell: CellParameters): number[] {
  switch (system) {
    case "cubic":
      return [cell.a];
    case "tetragonal":
    case "hexagonal":
    case "trigonal":
      return [cell.a, cell.c];
    case "orthorhombic":
      return [cell.a, cell.b, cell.c];
    case "monoclinic":
      return [cell.a, cell.b, cell.c, cell.beta];
    case "triclinic":
      return [cell.a, cell.b, cell.c, cell.alpha, cell.beta, cell.gamma];
  }
}

/** The 24 space groups with two origin choices in the International Tables. */
export const TWO_ORIGIN_GROUPS: ReadonlySet<number> = new Set([
  48,
  50,
  59,
  68,
  70,
  85,
  86,
  88,
  125,
  126,
  129,
  130,
  133,
  134,
  137,
  138,
  141,
  142,
  201,
  203,
  222,
  224,
  227,
  228,
]);

/**
 * The `IFLAG IFHR IFSO` line. The atoms are in origin choice 1 (moyo's `Spglib` setting), and for
 * the 24 groups with two origins that needs IFSO = 1: CRYSTAL's default origin for them is the
 * other one. Measured in the shared fixture FAILED_GEOM_mackinawite_opt.out (CRYSTAL 17, P4/nmm,
 * `0 0 1`): it prints `SHIFT OF THE ORIGIN : 3/4 1/4 0`, ITA's shift from origin choice 2 to 1,
 * and its Fe and S land on 2a and 2c of origin choice 1. A CRYSTAL 17 TESTGEOM of greigite (Fd-3m,
 * `0 0 0`, published with aiida-crystal17's tests) puts the inversion centre at the origin, i.e.
 * origin choice 2.
 */
export function symmetryFlags(group: number): string {
  return TWO_ORIGIN_GROUPS.has(group) ? "0 0 1" : "0 0 0";
}

/** The geometry block's lines, up to (not including) its end. */
export function geometryLines(geometry: GeometrySpec): string[] {
  const { space_group: group } = geometry;
  if (!Number.isInteger(group) || group < 1 || group > 230) {
    throw new RangeError(`Cannot write space group ${group}: expected 1 to 230`);
  }
  if (geometry.atoms.length === 0) throw new RangeError("Cannot write a geometry with no atoms");
  return [
    "CRYSTAL",
    symmetryFlags(group),
    String(group),
    minimalParameters(geometry.crystal_system, geometry.lattice).map(deckNumber).join(" "),
    String(geometry.atoms.length),
    ...geometry.atoms.map((atom) =>
      [String(atom.atomic_number), ...wrapFractional(atom.frac).map(deckNumber)].join(" ")
    ),
  ];
}

/** The whole deck. */
export function writeD12(spec: DeckSpec): string {
  const title = spec.title.replace(/[\r\n]+/g, " ").trim() || "crystalmath";
  const lines = [title, ...(spec.external ? ["EXTERNAL"] : geometryLines(spec.geometry))];
  if (spec.optimize) {
    lines.push("OPTGEOM", spec.optimize.type);
    if (spec.optimize.maxcycle !== undefined) {
      lines.push("MAXCYCLE", String(spec.optimize.maxcycle));
    }
    lines.push("ENDOPT");
  }
  // BASISSET takes the place of the geometry block's END; there is no basis block then.
  lines.push("BASISSET", spec.basis);
  if (spec.functional !== null) {
    lines.push("DFT", spec.functional, ...(spec.spin ? ["SPIN"] : []), "END");
  } else if (spec.spin) lines.push("UHF");
  lines.push("SHRINK", `${spec.shrink[0]} ${spec.shrink[1]}`, "TOLDEE", String(spec.toldee));
  lines.push(...(spec.spin ? spinLines(spec.spin) : []), "END");
  return lines.join("\n") + "\n";
}

/** A lattice centring: the first letter of a Hermann–Mauguin symbol. */
export type Centring = "P" | "A" | "B" | "C" | "I" | "F" | "R";

/**
 * The primitive cell of each centring, as rows of conventional fractional coordinates (R in
 * hexagonal axes, obverse, as moyo's standard setting writes it). F and C are the cells CRYSTAL 17
 * itself writes to fort.34 (EXTPRT of greigite and of monoclinic pyrrhotite).
 */
export const PRIMITIVE: Readonly<Record<Centring, readonly (readonly number[])[]>> = {
  P: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  A: [[1, 0, 0], [0, 0.5, 0.5], [0, -0.5, 0.5]],
  B: [[0.5, 0, 0.5], [0, 1, 0], [-0.5, 0, 0.5]],
  C: [[0.5, 0.5, 0], [-0.5, 0.5, 0], [0, 0, 1]],
  I: [[-0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.5, 0.5, -0.5]],
  F: [[0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]],
  R: [[2 / 3, 1 / 3, 1 / 3], [-1 / 3, 1 / 3, 1 / 3], [-1 / 3, -2 / 3, 1 / 3]],
};

/** Cartesian rows a, b, c of a cell: a along x, b in the xy plane. */
function cartesianCell(cell: CellParameters): number[][] {
  const [ca, cb, cg] = [cell.alpha, cell.beta, cell.gamma].map((d) =>
    Math.cos((d * Math.PI) / 180)
  );
  const sg = Math.sin((cell.gamma * Math.PI) / 180);
  const cx = cb!;
  const cy = (ca! - cb! * cg!) / sg;
  return [
    [cell.a, 0, 0],
    [cell.b * cg!, cell.b * sg, 0],
    [cell.c * cx, cell.c * cy, cell.c * Math.sqrt(Math.max(0, 1 - cx * cx - cy * cy))],
  ];
}

const cross = (u: number[], v: number[]) => [
  u[1]! * v[2]! - u[2]! * v[1]!,
  u[2]! * v[0]! - u[0]! * v[2]!,
  u[0]! * v[1]! - u[1]! * v[0]!,
];

/**
 * A Monkhorst–Pack shrinking factor for a conventional cell: the smallest IS that samples every
 * reciprocal axis of the primitive cell, which is the one CRYSTAL samples, at `spacing` Å⁻¹ or
 * finer (IS ≥ |b_i| / spacing, |b_1| = 2π |a_2 × a_3| / V), and a Gilat net twice as fine
 * (ISP = 2 IS), which suits metals as well as insulators. Rock-salt MgO (a = 4.21 Å, F) has
 * |b_i| = 2π √3 / a = 2.585 Å⁻¹ and at the default 0.2 Å⁻¹ gets 13 26; a primitive 4.21 Å cube
 * gets 8 16.
 */
export function shrinkFor(
  cell: CellParameters,
  centring: Centring = "P",
  spacing = 0.2,
): [number, number] {
  const conventional = cartesianCell(cell);
  const primitive = PRIMITIVE[centring].map((row) =>
    [0, 1, 2].map((k) => row.reduce((sum, f, i) => sum + f * conventional[i]![k]!, 0))
  );
  const [p1, p2, p3] = primitive as [number[], number[], number[]];
  const volume = Math.abs(p1.reduce((sum, x, k) => sum + x * cross(p2, p3)[k]!, 0));
  const reciprocal = [cross(p2, p3), cross(p3, p1), cross(p1, p2)].map((v) =>
    (2 * Math.PI * Math.hypot(v[0]!, v[1]!, v[2]!)) / volume
  );
  const is = Math.max(1, ...reciprocal.map((b) => Math.ceil(b / spacing - 1e-9)));
  return [is, 2 * is];
}
