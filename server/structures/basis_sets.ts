/**
 * Which elements CRYSTAL's internal basis-set libraries cover, so that a deck is refused naming
 * the element before CRYSTAL stops on it. Sources: aiida-crystal-dft data/basis_family.py for
 * CRYSTAL17 (STO-3G, STO-6G, POB-*), as docs/materials-workflows.md §2.3 records it. For
 * POB-TZVP-REV2 only the 2019 set (H–Br) is assumed; the 2021 extension to the fifth period is
 * not, until it is checked against an installed CRYSTAL23.
 *
 * @module
 */

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Atomic numbers each library name covers. */
const COVERAGE: Record<string, ReadonlySet<number>> = {
  "STO-3G": new Set(range(1, 53)),
  "STO-6G": new Set(range(1, 36)),
  "POB-DZVP": new Set([...range(1, 35), 49, 74]),
  "POB-DZVPP": new Set([...range(1, 35), 49, 83]),
  "POB-TZVP": new Set([...range(1, 35), 49, 83]),
  "POB-TZVP-REV2": new Set(range(1, 35)),
};

/** The library names known here. */
export const BASIS_SETS: readonly string[] = Object.keys(COVERAGE);

/**
 * The atomic numbers of `elements` that `basis` does not cover; undefined when the name is not
 * one of the known libraries.
 */
export function uncovered(basis: string, atomicNumbers: readonly number[]): number[] | undefined {
  const covered = COVERAGE[basis.toUpperCase()];
  if (covered === undefined) return undefined;
  return [...new Set(atomicNumbers)].filter((z) => !covered.has(z)).sort((a, b) => a - b);
}
