/**
 * Space-group analysis of a `Structure` with moyo (`@spglib/moyo-wasm`): the group, the
 * standardized conventional cell and its asymmetric unit, as a CRYSTAL `CRYSTAL`-block deck
 * (Route A) needs them.
 *
 * The conventional cell is in moyo's `Spglib` setting: for each group the setting with the
 * smallest Hall number, i.e. origin choice 1 for the 24 groups with two origins (Si in diamond at
 * 0,0,0, Hall 525), unique axis b / cell choice 1 for monoclinic groups, and hexagonal axes for
 * rhombohedral ones. CRYSTAL's default origin (`IFSO = 0`) for the 24 two-origin groups is the
 * other one, so the deck says `IFSO = 1` for them (d12_writer.ts symmetryFlags, measured on the
 * shared fixture FAILED_GEOM_mackinawite_opt.out); check other group families with TESTGEOM.
 *
 * @module
 */
import { atomicNumber, ELEMENTS } from "./elements.ts";
import type { CellParameters } from "../model/cell.ts";
import { type Lattice, periodicDistance, type Structure } from "./structure.ts";
import { loadMoyo, type Moyo } from "./_moyo.ts";

/** The distance tolerance used when the caller gives none, in Å. */
export const DEFAULT_SYMPREC = 1e-3;

/** Sites closer than this (Å) are reported as two atoms on one site when moyo fails. */
const CLASH_DISTANCE = 0.5;

/** The seven crystal systems. */
export type CrystalSystem =
  | "triclinic"
  | "monoclinic"
  | "orthorhombic"
  | "tetragonal"
  | "trigonal"
  | "hexagonal"
  | "cubic";

/** Cell lengths (Å) and angles (degrees). */
export type LatticeParameters = CellParameters;

/** One site of a cell, by element. */
export interface CellSite {
  element: string;
  atomic_number: number;
  /** Fractional coordinates in [0, 1). */
  frac: [number, number, number];
  /** The site's kind when the analysis was asked to tell sites of one element apart, else 0. */
  kind: number;
}

/** One symmetry-distinct site of the conventional cell. */
export interface AsymmetricSite extends CellSite {
  /** The Wyckoff letter in the `Spglib` setting ("a"). */
  wyckoff: string;
  /** How many sites of the conventional cell it stands for. */
  multiplicity: number;
  /** The site-symmetry symbol ("m-3m"). */
  site_symmetry: string;
}

/** What `analyzeSymmetry` finds. */
export interface SymmetryResult {
  /** The space-group number, 1–230. */
  number: number;
  /** The Hall number, 1–530, of the `Spglib` setting the conventional cell is in. */
  hall_number: number;
  /** The Hall symbol of that setting ("F 4d 2 3 -1d"). */
  hall_symbol: string;
  /**
   * The short Hermann–Mauguin symbol in OPTIMADE style: components separated by one space,
   * screw axes without underscore ("P 21/c", "F m -3 m", "P 63 m c").
   */
  symbol: string;
  /** The same symbol with no spaces ("P21/c", "Fm-3m", "P63mc"). */
  symbol_compact: string;
  crystal_system: CrystalSystem;
  /**
   * The distance tolerance moyo ended up using, in Å. moyo adjusts the tolerance it is given when
   * the result at that tolerance is inconsistent (measured: 0.0005 Å noise with 1e-3 asked gives
   * 2e-3), so this may differ from `symprec_requested`.
   */
  symprec: number;
  /** The distance tolerance asked for, in Å. */
  symprec_requested: number;
  /** The standardized conventional cell in the `Spglib` setting. */
  conventional: { lattice: Lattice; sites: CellSite[] };
  /** The parameters of the conventional cell. */
  lattice: LatticeParameters;
  /** One site per orbit of the conventional cell, in the order the orbits first appear. */
  asymmetric_unit: AsymmetricSite[];
}

/** Options for `analyzeSymmetry`. */
export interface SymmetryOptions {
  /** The distance tolerance in Å (default `DEFAULT_SYMPREC`). */
  symprec?: number | undefined;
  /**
   * One small integer (0 to KINDS − 1) per site: sites of one element with different kinds are
   * never made equivalent (an initial spin up or down, say). Default: all 0.
   */
  kinds?: readonly number[] | undefined;
}

/** How many kinds `SymmetryOptions.kinds` may tell apart. */
export const KINDS = 8;
/** moyo tells sites apart by number: Z + KIND_STEP × kind. */
const KIND_STEP = 1000;

/** A symmetry operation in fractional coordinates: x' = rotation · x + translation. */
export interface SymmetryOperation {
  rotation: [[number, number, number], [number, number, number], [number, number, number]];
  translation: [number, number, number];
}

/** moyo could not find a consistent symmetry for the structure. */
export class SymmetryError extends RangeError {
  override name = "SymmetryError";
}

/**
 * Finds the space group, conventional cell and asymmetric unit of a structure. Sites are told
 * apart by element only (labels and occupancies are ignored).
 * @throws {TypeError} for a structure with no sites or an unknown element
 * @throws {RangeError} for a symprec that is not a positive number
 * @throws {SymmetryError} when moyo fails, naming two sites that sit on one another if any do
 */
export async function analyzeSymmetry(
  structure: Structure,
  options: SymmetryOptions = {},
): Promise<SymmetryResult> {
  const symprec = options.symprec ?? DEFAULT_SYMPREC;
  if (!Number.isFinite(symprec) || symprec <= 0) {
    throw new RangeError(`Cannot analyse symmetry: symprec "${symprec}" is not a positive number`);
  }
  if (structure.sites.length === 0) {
    throw new TypeError("Cannot analyse symmetry: the structure has no sites");
  }
  const kinds = options.kinds;
  if (
    kinds !== undefined && (kinds.length !== structure.sites.length ||
      !kinds.every((k) => Number.isInteger(k) && k >= 0 && k < KINDS))
  ) {
    throw new RangeError(
      `Cannot analyse symmetry: expected one kind (0 to ${KINDS - 1}) per site`,
    );
  }
  const numbers = structure.sites.map(({ element }, i) => {
    const z = atomicNumber(element);
    if (z === undefined) {
      throw new TypeError(`Cannot analyse symmetry: "${element}" is not an element symbol`);
    }
    return z + KIND_STEP * (kinds?.[i] ?? 0);
  });
  const moyo = await loadMoyo();
  const input: MoyoCell = {
    lattice: { basis: structure.lattice.flat() as MoyoCell["lattice"]["basis"] },
    positions: structure.sites.map(({ frac }) => frac),
    numbers,
  };
  const found = analyze(moyo, input, symprec, () => describeClash(structure));
  const std = found.std_cell;
  // moyo's orbits index the cell it was given, so those of the conventional cell come from
  // analysing that cell again.
  const again = analyze(moyo, std, found.symprec, () => undefined);
  if (again.number !== found.number) {
    throw new SymmetryError(
      `Cannot analyse symmetry with symprec "${found.symprec}" Å: the standardized cell gives ` +
        `group "${again.number}" instead of "${found.number}"; try another symprec`,
    );
  }
  const lattice = toLattice(std.lattice.basis);
  const sites = std.positions.map((position, i) => cellSite(std.numbers[i]!, position));
  const symbol = optimadeSymbol(found.hm_symbol);
  const system = moyo.space_group_type(found.number).crystal_system.toLowerCase();
  return {
    number: found.number,
    hall_number: found.hall_number,
    hall_symbol: moyo.hall_symbol_entry(found.hall_number).hall_symbol,
    symbol,
    symbol_compact: symbol.replaceAll(" ", ""),
    crystal_system: system as CrystalSystem,
    symprec: found.symprec,
    symprec_requested: symprec,
    conventional: { lattice, sites },
    lattice: latticeParameters(lattice),
    asymmetric_unit: asymmetricUnit({ input, lattice, sites }, { found, again }),
  };
}

/**
 * The operations of the group with this Hall number, in its conventional cell (centring
 * translations included), for checking that an asymmetric unit regenerates a cell.
 * @throws {RangeError} for a Hall number outside 1–530
 */
export async function operationsOf(hallNumber: number): Promise<SymmetryOperation[]> {
  if (!Number.isInteger(hallNumber) || hallNumber < 1 || hallNumber > 530) {
    throw new RangeError(`Cannot list operations: Hall number "${hallNumber}" is not in 1–530`);
  }
  const moyo = await loadMoyo();
  const { number } = moyo.hall_symbol_entry(hallNumber);
  // moyo serialises its nalgebra Matrix3 column by column: r[3 * column + row].
  return moyo.operations_from_number(number, { type: "HallNumber", value: hallNumber }, false)
    .map(({ rotation: r, translation }) => ({
      rotation: [[r[0], r[3], r[6]], [r[1], r[4], r[7]], [r[2], r[5], r[8]]],
      translation,
    }));
}

/** Writes an H–M symbol OPTIMADE's way: moyo writes screw axes as `2_1` ("P 2_1/c"), OPTIMADE as `21`. */
export function optimadeSymbol(hmSymbol: string): string {
  return hmSymbol.replaceAll("_", "").trim().split(/\s+/).join(" ");
}

type MoyoCell = ReturnType<Moyo["analyze_cell"]>["std_cell"];
type MoyoDataset = ReturnType<Moyo["analyze_cell"]>;

/** Runs moyo and turns what it throws (a bare string) into a SymmetryError. */
function analyze(
  moyo: Moyo,
  cell: MoyoCell,
  symprec: number,
  explain: () => string | undefined,
): MoyoDataset {
  try {
    return moyo.analyze_cell(JSON.stringify(cell), symprec, "Spglib");
  } catch (error) {
    const why = explain() ?? `moyo found no consistent symmetry ("${error}"); try another symprec`;
    throw new SymmetryError(`Cannot analyse symmetry with symprec "${symprec}" Å: ${why}`, {
      cause: error,
    });
  }
}

/** The closest pair of sites, if they are so close that they must be one site, else undefined. */
function describeClash(structure: Structure): string | undefined {
  let best = { distance: Infinity, i: 0, j: 0 };
  const sites = structure.sites;
  for (let i = 0; i < sites.length; i++) {
    for (let j = i + 1; j < sites.length; j++) {
      const distance = periodicDistance(structure.lattice, sites[i]!.frac, sites[j]!.frac);
      if (distance < best.distance) best = { distance, i, j };
    }
  }
  if (best.distance >= CLASH_DISTANCE) return undefined;
  const name = (i: number) => `${i + 1} ("${sites[i]!.label ?? sites[i]!.element}")`;
  return `two atoms on one site: sites ${name(best.i)} and ${name(best.j)} are ` +
    `${best.distance.toFixed(4)} Å apart`;
}

/**
 * Keeps, for each orbit of the conventional cell, the member nearest the origin. The orbits come
 * from moyo's analysis of the conventional cell (`again`), the Wyckoff letters from its analysis
 * of the input (`found`): where the normalizer allows, moyo moves the origin of a cell that is
 * already standard (diamond Si from 8a to 8b) and gives the letters of its new cell, so `again`'s
 * letters need not fit the cell its orbits index. Each input site is mapped into the conventional
 * cell, x_std = P⁻¹(x − p), to carry its letter over.
 */
function asymmetricUnit(
  cell: { input: MoyoCell; lattice: Lattice; sites: CellSite[] },
  { found, again }: { found: MoyoDataset; again: MoyoDataset },
): AsymmetricSite[] {
  // nalgebra stores std_linear column by column.
  const l = found.std_linear;
  const inverse = invert([[l[0], l[3], l[6]], [l[1], l[4], l[7]], [l[2], l[5], l[8]]]);
  const p = found.std_origin_shift;
  const letters = new Map<number, { wyckoff: string; site_symmetry: string }>();
  cell.input.positions.forEach((x, i) => {
    const shifted = [x[0] - p[0], x[1] - p[1], x[2] - p[2]];
    const inStd = inverse.map((row) =>
      row[0]! * shifted[0]! + row[1]! * shifted[1]! + row[2]! * shifted[2]!
    );
    const orbit = again.orbits[nearestSite(cell, inStd, cell.input.numbers[i]!, found.symprec)]!;
    const letter = { wyckoff: found.wyckoffs[i]!, site_symmetry: found.site_symmetry_symbols[i]! };
    const seen = letters.get(orbit)?.wyckoff ?? letter.wyckoff;
    if (seen !== letter.wyckoff) {
      throw new SymmetryError(
        `Cannot find the Wyckoff positions: one orbit has letters "${seen}" and ` +
          `"${letter.wyckoff}"; try another symprec than "${found.symprec}"`,
      );
    }
    letters.set(orbit, letter);
  });
  const members = new Map<number, number[]>();
  again.orbits.forEach((orbit, i) => members.set(orbit, [...(members.get(orbit) ?? []), i]));
  return [...members].map(([orbit, indices]) => {
    const pick = indices.reduce((a, b) =>
      compareFrac(cell.sites[b]!.frac, cell.sites[a]!.frac) < 0 ? b : a
    );
    const letter = letters.get(orbit);
    if (letter === undefined) {
      throw new SymmetryError(
        "Cannot find the Wyckoff positions: an orbit of the standardized cell has no input site",
      );
    }
    return { ...cell.sites[pick]!, ...letter, multiplicity: indices.length };
  });
}

/**
 * The index of the conventional-cell site with moyo number `number` (element and kind) nearest
 * to `frac`.
 * @throws {SymmetryError} when none is within 2 symprec
 */
function nearestSite(
  cell: { lattice: Lattice; sites: CellSite[] },
  frac: number[],
  number: number,
  symprec: number,
): number {
  let best = { distance: Infinity, index: -1 };
  cell.sites.forEach((site, index) => {
    if (site.atomic_number + KIND_STEP * site.kind !== number) return;
    const distance = periodicDistance(cell.lattice, frac, site.frac);
    if (distance < best.distance) best = { distance, index };
  });
  if (best.distance > 2 * symprec + 1e-9) {
    throw new SymmetryError(
      `Cannot find the Wyckoff positions: an input site is "${best.distance.toFixed(4)}" Å from ` +
        "the nearest site of the standardized cell",
    );
  }
  return best.index;
}

/** The inverse of a 3×3 matrix (moyo's transformations are never singular). */
function invert([[a, b, c], [d, e, f], [g, h, i]]: [Vec3, Vec3, Vec3]): Vec3[] {
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}

type Vec3 = [number, number, number];

function compareFrac(p: readonly number[], q: readonly number[]): number {
  const sum = (v: readonly number[]) => v.reduce((s, x) => s + x, 0);
  return sum(p) - sum(q) || p[0]! - q[0]! || p[1]! - q[1]! || p[2]! - q[2]!;
}

function cellSite(number: number, position: readonly number[]): CellSite {
  const frac = position.map(wrap) as [number, number, number];
  const z = number % KIND_STEP;
  return { element: ELEMENTS[z - 1]!, atomic_number: z, frac, kind: (number - z) / KIND_STEP };
}

/** Wraps into [0, 1), rounding off below 1e-12 (0.49999999999999994 → 0.5, 1 − 1e-16 → 0). */
function wrap(x: number): number {
  const f = Math.round((x - Math.floor(x)) * 1e12) / 1e12;
  return f === 1 ? 0 : f;
}

/** Rows a, b, c from moyo's row-major basis, with round-off below 1e-12 Å set to 0. */
function toLattice(basis: readonly number[]): Lattice {
  const v = basis.map((x) => (Math.abs(x) < 1e-12 ? 0 : x));
  return [[v[0]!, v[1]!, v[2]!], [v[3]!, v[4]!, v[5]!], [v[6]!, v[7]!, v[8]!]];
}

/** The parameters (Å, degrees) of the cell the rows of a lattice span. */
export function latticeParameters([va, vb, vc]: Lattice): LatticeParameters {
  const length = (v: readonly number[]) => Math.hypot(...v);
  const angle = (u: readonly number[], w: readonly number[]) => {
    const dot = u[0]! * w[0]! + u[1]! * w[1]! + u[2]! * w[2]!;
    const cos = Math.min(1, Math.max(-1, dot / (length(u) * length(w))));
    return (Math.acos(cos) * 180) / Math.PI;
  };
  return {
    a: length(va),
    b: length(vb),
    c: length(vc),
    alpha: angle(vb, vc),
    beta: angle(va, vc),
    gamma: angle(va, vb),
  };
}
