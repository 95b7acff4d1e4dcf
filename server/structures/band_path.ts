/**
 * The default band-structure path of a `.d3` BAND block, by Bravais lattice. Where CRYSTAL has
 * symbolic labels for the lattice (its manual's tables of special points, as transcribed by
 * crystaldevs/CRYSTALLine `crystal_points.py`; FCC checked against a real run, fixture
 * Na2O.out, which resolves G X W L to (0 0 0), (½ 0 ½), (½ ¼ ¾), (½ ½ ½)), the path is written
 * with labels (ISS = 0) and CRYSTAL resolves them itself. For any other lattice it is written in
 * integer units of ½ of the primitive reciprocal vectors (ISS = 2): Γ → ½b₁ → ½(b₁+b₂) → Γ →
 * ½b₃, which every lattice accepts. Pure.
 *
 * @module
 */
import type { Centring } from "./d12_writer.ts";

/** A BAND path: ISS and one segment per line, as the `.d3` writes them. */
export interface BandPath {
  /** The Bravais lattice it was chosen for ("cF", "hP", ...), or "other". */
  lattice: string;
  /** 0: symbolic labels; > 0: integer coordinates in units of 1/ISS. */
  iss: number;
  segments: string[];
}

/** Labelled paths for the lattices whose labels CRYSTAL defines. */
const LABELLED: Record<string, string[]> = {
  cF: ["G X", "X W", "W L", "L G"],
  cI: ["G H", "H N", "N G", "G P", "P H"],
  cP: ["G X", "X M", "M G", "G R", "R X"],
  hP: ["G M", "M K", "K G", "G A", "A L", "L H", "H A"],
  tP: ["G X", "X M", "M G", "G Z", "Z R", "R A", "A Z"],
  tI: ["G X", "X P", "P G", "G M"],
};

/** The path for a lattice CRYSTAL has no labels for. */
const GENERIC: string[] = ["0 0 0  1 0 0", "1 0 0  1 1 0", "1 1 0  0 0 0", "0 0 0  0 0 1"];

/** The space groups whose standard (ITA) symbol starts with each centring letter but P. */
const CENTRED: Record<Exclude<Centring, "P" | "B">, readonly number[]> = {
  A: [38, 39, 40, 41],
  C: [5, 8, 9, 12, 15, 20, 21, 35, 36, 37, 63, 64, 65, 66, 67, 68],
  F: [22, 42, 43, 69, 70, 196, 202, 203, 209, 210, 216, 219, 225, 226, 227, 228],
  I: [
    23,
    24,
    44,
    45,
    46,
    71,
    72,
    73,
    74,
    79,
    80,
    82,
    87,
    88,
    97,
    98,
    107,
    108,
    109,
    110,
    119,
    120,
    121,
    122,
    139,
    140,
    141,
    142,
    197,
    199,
    204,
    206,
    211,
    214,
    217,
    220,
    229,
    230,
  ],
  R: [146, 148, 155, 160, 161, 166, 167],
};

/** The centring letter of a space group's standard symbol, from its number. */
export function centringOf(spaceGroup: number): Centring {
  for (const [letter, groups] of Object.entries(CENTRED)) {
    if (groups.includes(spaceGroup)) return letter as Centring;
  }
  return "P";
}

/** The Bravais lattice of a space group, from its number and its symbol's centring letter. */
export function bravaisLattice(spaceGroup: number, centring: Centring): string {
  const family = spaceGroup >= 195
    ? "c"
    : spaceGroup >= 143
    ? "h"
    : spaceGroup >= 75
    ? "t"
    : spaceGroup >= 16
    ? "o"
    : spaceGroup >= 3
    ? "m"
    : "a";
  return `${family}${centring}`;
}

/** The labels along the path of a lattice CRYSTAL has labels for ("cF": G X W L G), or undefined. */
export function labelledPath(lattice: string): string[] | undefined {
  const segments = LABELLED[lattice];
  return segments && [segments[0]!.split(" ")[0]!, ...segments.map((s) => s.split(" ")[1]!)];
}

/** The default BAND path for a space group. */
export function bandPathFor(spaceGroup: number, centring: Centring): BandPath {
  const lattice = bravaisLattice(spaceGroup, centring);
  const labelled = LABELLED[lattice];
  return labelled === undefined
    ? { lattice: "other", iss: 2, segments: GENERIC }
    : { lattice, iss: 0, segments: labelled };
}
