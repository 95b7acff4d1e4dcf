/**
 * The round-trip check of a written geometry: expand the asymmetric unit with the group's
 * operations, as CRYSTAL will, and compare the result with the standardized conventional cell,
 * site for site, within the symmetry tolerance. A deck whose atoms would not rebuild the
 * structure is never written as if they did. Pure: no I/O.
 *
 * @module
 */
import { type Lattice, periodicDistance, wrapFractional } from "./structure.ts";

/** One operation in fractional coordinates: x' = R x + t. */
export interface Operation {
  rotation: number[][];
  translation: number[];
}

/** A site by element (and kind, when sites of one element are told apart), fractional. */
export interface ElementSite {
  element: string;
  frac: readonly number[];
  kind?: number;
}

const sameKind = (a: ElementSite, b: ElementSite) =>
  a.element === b.element && (a.kind ?? 0) === (b.kind ?? 0);

/** Every site the operations make of `sites`, duplicates (within `tolerance` Å) merged. */
export function expand(
  sites: readonly ElementSite[],
  options: { operations: readonly Operation[]; lattice: Lattice; tolerance: number },
): ElementSite[] {
  const out: ElementSite[] = [];
  for (const site of sites) {
    for (const { rotation: r, translation: t } of options.operations) {
      const moved = wrapFractional(
        [0, 1, 2].map((i) =>
          r[i]![0]! * site.frac[0]! + r[i]![1]! * site.frac[1]! + r[i]![2]! * site.frac[2]! + t[i]!
        ),
      );
      const isKnown = out.some((o) =>
        sameKind(o, site) && periodicDistance(options.lattice, o.frac, moved) < options.tolerance
      );
      if (!isKnown) out.push({ element: site.element, frac: moved, kind: site.kind ?? 0 });
    }
  }
  return out;
}

/**
 * Checks that `asymmetric` expands to exactly `cell`; returns null when it does, else why not.
 * Tolerance in Å.
 */
export function roundTripProblem(
  asymmetric: readonly ElementSite[],
  target: { sites: readonly ElementSite[]; lattice: Lattice },
  options: { operations: readonly Operation[]; tolerance: number },
): string | null {
  const rebuilt = expand(asymmetric, { ...options, lattice: target.lattice });
  if (rebuilt.length !== target.sites.length) {
    return `the written atoms make ${rebuilt.length} sites, the structure has ${target.sites.length}`;
  }
  for (const site of target.sites) {
    const isMatched = rebuilt.some((r) =>
      sameKind(r, site) && periodicDistance(target.lattice, r.frac, site.frac) < options.tolerance
    );
    if (!isMatched) {
      return `no written atom becomes the ${site.element} at (${
        site.frac.map((x) => x.toFixed(4)).join(", ")
      })`;
    }
  }
  return null;
}
