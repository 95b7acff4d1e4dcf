/**
 * The changes a study makes to its base deck, on the parsed deck (crystal/deck.ts) so the result
 * is a deck the daemon's own parser reads back. Pure.
 *
 * @module
 */
import { type Deck, type DeckKeyword, findKeyword } from "../crystal/deck.ts";
import { InvalidParamsError } from "../errors.ts";

/** The geometry-block keywords that drive a calculation; a study's members choose their own. */
const DRIVERS = new Set(["ANHARM", "CPHF", "CPKS", "ELASTCON", "EOS", "FREQCALC", "OPTGEOM"]);

/** Cubic space groups: the cell shape is fixed by symmetry. */
const CUBIC = { first: 195, last: 230 } as const;

/** The deck as a single point: its title replaced and every driver block (OPTGEOM ...) removed. */
export function asSinglePoint(deck: Deck, title: string): Deck {
  return {
    ...deck,
    title,
    geometry_keywords: deck.geometry_keywords.filter((k) => !DRIVERS.has(k.keyword.toUpperCase())),
    optgeom: null,
    freqcalc: false,
  };
}

/** `keywords` with every `entry.keyword` replaced by `entry`, placed last. */
export function replaceKeyword(
  keywords: readonly DeckKeyword[],
  entry: DeckKeyword,
): DeckKeyword[] {
  const name = entry.keyword.toUpperCase();
  const kept = keywords.filter((k) => k.keyword.toUpperCase() !== name);
  return [...kept, entry];
}

/** The deck's SHRINK as IS and ISP. @throws {InvalidParamsError} without a plain `IS ISP` SHRINK */
export function shrinkOf(deck: Deck): { is: number; isp: number } {
  const shrink = findKeyword(deck.hamiltonian, "SHRINK");
  if (shrink === undefined) {
    throw new InvalidParamsError("Cannot scan SHRINK: the base deck has no SHRINK keyword");
  }
  const [is, isp] = (shrink.args[0] ?? "").trim().split(/\s+/).map(Number);
  if (!is || !isp) {
    throw new InvalidParamsError(
      `Cannot scan SHRINK: the base deck's SHRINK "${shrink.args[0]}" is not IS ISP with IS > 0`,
    );
  }
  return { is, isp };
}

/** SHRINK set to `is`, with ISP keeping the base deck's ISP/IS ratio (rounded, at least IS). */
export function withShrink(deck: Deck, is: number): Deck {
  const base = shrinkOf(deck);
  const isp = Math.max(is, Math.round(is * base.isp / base.is));
  return {
    ...deck,
    hamiltonian: replaceKeyword(deck.hamiltonian, { keyword: "SHRINK", args: [`${is} ${isp}`] }),
  };
}

/** TOLINTEG set to the five integers. */
export function withTolinteg(deck: Deck, values: readonly number[]): Deck {
  return {
    ...deck,
    hamiltonian: replaceKeyword(deck.hamiltonian, {
      keyword: "TOLINTEG",
      args: [values.join(" ")],
    }),
  };
}

/** The basis set replaced by a library basis set, by name. */
export function withBasisSet(deck: Deck, name: string): Deck {
  return {
    ...deck,
    basis: { kind: "builtin", name },
    terminators: { ...deck.terminators, geometry: deck.terminators.geometry ?? null, basis: null },
  };
}

/** How a volume point relaxes: not at all, the atoms only, or atoms and cell shape at fixed volume. */
export type VolumeRelaxation = "none" | "atoms" | "shape_and_atoms";

/** A fractional coordinate a cubic group fixes (a multiple of 1/8). */
function isSpecial(value: number): boolean {
  const eighths = value * 8;
  return Math.abs(eighths - Math.round(eighths)) < 1e-6;
}

/**
 * What a point at fixed volume must relax. Outside the cubic groups the cell shape is free; in a
 * cubic group it is fixed, and the atoms are free when one of them has a coordinate that is not
 * a multiple of 1/8 (a free Wyckoff parameter, as S in pyrite). That rule is a heuristic.
 */
export function volumeRelaxation(deck: Deck): VolumeRelaxation {
  const { geometry } = deck;
  if (geometry.kind !== "CRYSTAL") return "none";
  const group = typeof geometry.space_group === "number" ? geometry.space_group : 0;
  if (group < CUBIC.first || group > CUBIC.last) return "shape_and_atoms";
  const isFree = geometry.atoms.some((a) => ![a.x, a.y, a.z].every(isSpecial));
  return isFree ? "atoms" : "none";
}

const RELAX_BLOCKS: Record<Exclude<VolumeRelaxation, "none">, DeckKeyword> = {
  // CVOLOPT: constant-volume optimisation of the cell shape with FULLOPTG (CRYSTAL manual).
  shape_and_atoms: {
    keyword: "OPTGEOM",
    args: [],
    block: {
      keywords: [{ keyword: "FULLOPTG", args: [] }, { keyword: "CVOLOPT", args: [] }],
      end: "ENDOPT",
    },
  },
  atoms: {
    keyword: "OPTGEOM",
    args: [],
    block: { keywords: [{ keyword: "ATOMONLY", args: [] }], end: "ENDOPT" },
  },
};

/**
 * The deck with its volume scaled by `scale`: every lattice length given times scale^(1/3),
 * angles and fractional positions kept, and the constant-volume relaxation `volumeRelaxation`
 * asks for. SHRINK and everything else stay as they are.
 * @throws {InvalidParamsError} for a deck that is not a 3D CRYSTAL geometry
 */
export function withVolumeScaled(deck: Deck, scale: number): Deck {
  const { geometry } = deck;
  if (geometry.kind !== "CRYSTAL") {
    throw new InvalidParamsError(
      `Cannot scan volumes: the base deck's geometry is ${geometry.kind}, not a 3D CRYSTAL`,
    );
  }
  const f = Math.cbrt(scale);
  const { lattice } = geometry;
  const scaled = {
    ...lattice,
    a: lattice.a * f,
    ...(lattice.b === undefined ? {} : { b: lattice.b * f }),
    ...(lattice.c === undefined ? {} : { c: lattice.c * f }),
  };
  const relaxation = volumeRelaxation(deck);
  const keywords = relaxation === "none"
    ? deck.geometry_keywords
    : [...deck.geometry_keywords, RELAX_BLOCKS[relaxation]];
  return {
    ...deck,
    geometry: { ...geometry, lattice: scaled },
    geometry_keywords: keywords,
    optgeom: relaxation === "none" ? deck.optgeom : { max_cycles: null },
  };
}
