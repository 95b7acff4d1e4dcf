/**
 * The properties deck of a band-structure study: NEWK (the SCF's k-mesh, with the Fermi level
 * computed, so the output prints the top valence band), BAND along the k-path, and optionally
 * DOSS; and the k-path itself, by the Bravais lattice of the deck's space group
 * (structures/band_path.ts), or the labels the user gives. Pure.
 *
 * @module
 */
import type { Deck } from "../crystal/deck.ts";
import { InvalidParamsError } from "../errors.ts";
import { bandPathFor, centringOf } from "../structures/band_path.ts";
import type { Centring } from "../structures/d12_writer.ts";
import type { Segment } from "./band_structure.ts";

/** A k-path as BAND takes it, and its segments by label. */
export interface KPath {
  /** The Bravais lattice it was chosen for, or "given" for the user's labels. */
  lattice: string;
  iss: number;
  /** BAND's segment lines ("G X", or "0 0 0  1 0 0" with ISS > 0). */
  lines: string[];
  segments: Segment[];
}

/** A label BAND takes (CRYSTAL's symbolic points: G, X, M, K, L, W, ...). */
export const LABEL = /^[A-Z][A-Z0-9]?$/;

/** (1/2,0,0) for "1 0 0" in units of 1/ISS; G for the origin. */
function pointName(coordinates: number[], iss: number): string {
  if (coordinates.every((c) => c === 0)) return "G";
  const part = (c: number) => {
    if (c === 0) return "0";
    const d = gcd(Math.abs(c), iss);
    return iss / d === 1 ? String(c / d) : `${c / d}/${iss / d}`;
  };
  return `(${coordinates.map(part).join(",")})`;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The family letter and centring of a space group given by symbol ("F M 3 M", "P 63/M M C"). */
function latticeOfSymbol(symbol: string): { group: number; centring: Centring } {
  const [centring = "P", first = "", second = ""] = symbol.toUpperCase().trim().split(/\s+/);
  // A representative group number of each family, for band_path.ts's table.
  const group = /^-?3$/.test(second)
    ? 221
    : /^-?[36]/.test(first)
    ? 168
    : /^-?4/.test(first)
    ? 75
    : 16;
  const letter = "PABCFIR".includes(centring.charAt(0)) ? centring.charAt(0) as Centring : "P";
  return { group, centring: letter };
}

/**
 * The k-path for the deck: the user's labels (consecutive labels make segments; "X|K" ends one
 * at X and starts the next at K), else the default of the deck's lattice.
 * @throws {InvalidParamsError} for labels BAND cannot take, or a deck with no 3D lattice
 */
export function kPathFor(deck: Deck, labels?: readonly string[]): KPath {
  const { geometry } = deck;
  if (geometry.kind === "MOLECULE") {
    throw new InvalidParamsError("Cannot compute a band structure: the deck is a MOLECULE");
  }
  if (geometry.kind === "SLAB" || geometry.kind === "POLYMER") {
    if (labels === undefined) {
      throw new InvalidParamsError(
        `Cannot choose a k-path for a ${geometry.kind}: give path, with CRYSTAL's labels`,
      );
    }
  }
  if (labels !== undefined) {
    const segments: Segment[] = [];
    let from: string | null = null;
    for (const entry of labels) {
      const [end = "", start = end] = entry.split("|");
      if (!LABEL.test(end) || !LABEL.test(start)) {
        throw new InvalidParamsError(
          `Invalid path: "${entry}" is not a point label (G, X, M ..., or "X|K" at a break)`,
        );
      }
      if (from !== null) segments.push({ from, to: end });
      from = start;
    }
    if (segments.length === 0) {
      throw new InvalidParamsError("Invalid path: give at least two labels, one segment");
    }
    return {
      lattice: "given",
      iss: 0,
      lines: segments.map((s) => `${s.from} ${s.to}`),
      segments,
    };
  }
  const { group, centring } = geometry.kind !== "CRYSTAL"
    ? { group: 0, centring: "P" as Centring }
    : typeof geometry.space_group === "number"
    ? { group: geometry.space_group, centring: centringOf(geometry.space_group) }
    : latticeOfSymbol(geometry.space_group);
  // EXTERNAL (fort.34) and DLVINPUT decks: no group in the deck, the path every lattice takes.
  const path = bandPathFor(group === 0 ? 1 : group, centring);
  const segments = path.segments.map((line): Segment => {
    if (path.iss === 0) {
      const [from = "", to = ""] = line.trim().split(/\s+/);
      return { from, to };
    }
    const numbers = line.trim().split(/\s+/).map(Number);
    return {
      from: pointName(numbers.slice(0, 3), path.iss),
      to: pointName(numbers.slice(3, 6), path.iss),
    };
  });
  return { lattice: path.lattice, iss: path.iss, lines: path.segments, segments };
}

/** What the properties deck asks for. */
export interface BandsDeckSpec {
  /** The BAND title. */
  title: string;
  /** The lines after SHRINK in the SCF deck ("8 8"; or "0 24" and "12 12 12"): NEWK's mesh. */
  mesh: readonly string[];
  path: KPath;
  points_per_segment: number;
  /** First and last band written: numbers, or band tokens (crystal/band_window.ts). */
  bands: BandRange;
  /** DOSS over these bands, or none. */
  dos: { bands: BandRange; points: number; polynomials: number } | null;
}

/** A first and last band. */
export type BandRange = readonly [number | string, number | string];

/** The .d3 deck. */
export function bandsDeck(spec: BandsDeckSpec): string {
  const { path } = spec;
  const title = spec.title.replace(/[\r\n]+/g, " ").trim().slice(0, 80) || "BANDS";
  const lines = [
    "NEWK",
    ...spec.mesh,
    "1 0",
    "BAND",
    title,
    [
      path.lines.length,
      path.iss,
      spec.points_per_segment * path.lines.length,
      spec.bands[0],
      spec.bands[1],
      1,
      0,
    ].join(" "),
    ...path.lines,
  ];
  if (spec.dos !== null) {
    lines.push(
      "DOSS",
      [0, spec.dos.points, spec.dos.bands[0], spec.dos.bands[1], 1, spec.dos.polynomials, 0]
        .join(" "),
    );
  }
  lines.push("END");
  return lines.join("\n") + "\n";
}
