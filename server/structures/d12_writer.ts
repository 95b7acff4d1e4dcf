/**
 * Writes a complete `.d12` deck for a 3D crystal from its symmetry (Route A of
 * docs/materials-workflows.md §2.2): the CRYSTAL keyword, `0 0 0`, the space-group number, the
 * minimal lattice parameters of the crystal family, and one atom per orbit; OPTGEOM inside the
 * geometry block when optimising; `BASISSET` in place of the geometry block's END; then the
 * Hamiltonian and SCF block with SHRINK and TOLDEE, closed by END. Pure: no I/O.
 *
 * @module
 */
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
}

/** A number for a deck line: at most 10 decimals, no trailing zeros, never exponent form. */
export function deckNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`Cannot write ${value} in a deck`);
  const rounded = Math.abs(value) < 5e-11 ? 0 : value;
  const text = rounded.toFixed(10).replace(/0+$/, "").replace(/\.$/, "");
  return text === "-0" ? "0" : text;
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

/** The geometry block's lines, up to (not including) its end. */
export function geometryLines(geometry: GeometrySpec): string[] {
  const { space_group: group } = geometry;
  if (!Number.isInteger(group) || group < 1 || group > 230) {
    throw new RangeError(`Cannot write space group ${group}: expected 1 to 230`);
  }
  if (geometry.atoms.length === 0) throw new RangeError("Cannot write a geometry with no atoms");
  return [
    "CRYSTAL",
    "0 0 0",
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
  const lines = [title, ...geometryLines(spec.geometry)];
  if (spec.optimize) {
    lines.push("OPTGEOM", spec.optimize.type);
    if (spec.optimize.maxcycle !== undefined) {
      lines.push("MAXCYCLE", String(spec.optimize.maxcycle));
    }
    lines.push("ENDOPT");
  }
  // BASISSET takes the place of the geometry block's END; there is no basis block then.
  lines.push("BASISSET", spec.basis);
  if (spec.functional !== null) lines.push("DFT", spec.functional, "END");
  lines.push("SHRINK", `${spec.shrink[0]} ${spec.shrink[1]}`, "TOLDEE", String(spec.toldee), "END");
  return lines.join("\n") + "\n";
}

/** The cell's volume in Å³. */
export function cellVolume(cell: CellParameters): number {
  const [ca, cb, cg] = [cell.alpha, cell.beta, cell.gamma].map((d) =>
    Math.cos((d * Math.PI) / 180)
  );
  return cell.a * cell.b * cell.c *
    Math.sqrt(1 - ca! ** 2 - cb! ** 2 - cg! ** 2 + 2 * ca! * cb! * cg!);
}

/**
 * A Monkhorst–Pack shrinking factor for a cell: the smallest IS that samples every reciprocal
 * axis at `spacing` Å⁻¹ or finer (IS ≥ |b_i| / spacing, with |b_1| = 2π b c sin α / V and so on),
 * and a Gilat net twice as fine (ISP = 2 IS), which suits metals as well as insulators.
 * MgO (a = 4.21 Å, conventional cubic) at the default 0.2 Å⁻¹ gives 8 16.
 */
export function shrinkFor(cell: CellParameters, spacing = 0.2): [number, number] {
  const volume = cellVolume(cell);
  const sin = (d: number) => Math.sin((d * Math.PI) / 180);
  const reciprocal = [
    (cell.b * cell.c * sin(cell.alpha)) / volume,
    (cell.a * cell.c * sin(cell.beta)) / volume,
    (cell.a * cell.b * sin(cell.gamma)) / volume,
  ].map((length) => 2 * Math.PI * length);
  const is = Math.max(1, ...reciprocal.map((b) => Math.ceil(b / spacing - 1e-9)));
  return [is, 2 * is];
}
