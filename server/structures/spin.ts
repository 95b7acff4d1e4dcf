/**
 * The initial spin guess of a spin-polarised deck: which atoms start spin up (α) or down (β), as
 * `ATOMSPIN` writes it, and `SPINLOCK`. Pure: no I/O.
 *
 * CRYSTAL's ATOMSPIN takes a count, then `atom spin` pairs, spin 1 (α), −1 (β) or 0, where `atom`
 * is the atom's number in the primitive cell as CRYSTAL lists it: irreducible atom by irreducible
 * atom, each followed by its equivalents (fixture FAILED_GEOM_mackinawite_opt.out: "N. ATOM EQUIV"
 * and "ATOMIC SPINS SET TO (ATOM, AT. N., SPIN)" list all four atoms of the cell). Atoms that
 * symmetry makes equivalent share one spin, so a deck lists every equivalent of a spin-carrying
 * atom, and opposite spins must sit on atoms the symmetry keeps apart: the symmetry is found for
 * the structure with its spins (an up and a down atom are two species), which lowers it where an
 * antiferromagnetic order needs it to.
 *
 * @module
 */
import { InvalidParamsError } from "../errors.ts";
import type { Structure } from "./structure.ts";

/** The sign of an initial spin: 1 α (up), −1 β (down), 0 none. */
export type SpinSign = -1 | 0 | 1;

/** What a request asks for. */
export interface SpinRequest {
  /**
   * By element symbol or site label (a label wins over an element), or one value per site of the
   * structure in its order. Sites not named start with 0.
   */
  moments: Readonly<Record<string, SpinSign>> | readonly SpinSign[];
  /** SPINLOCK: nα − nβ per cell, kept for `cycles` SCF cycles. */
  spinlock?: { n: number; cycles: number } | undefined;
}

/** One ATOMSPIN pair. */
export interface AtomSpin {
  /** The atom's number in CRYSTAL's list of the primitive cell, from 1. */
  atom: number;
  spin: -1 | 1;
}

/** What the deck writes: ATOMSPIN pairs and SPINLOCK. */
export interface DeckSpin {
  atoms: AtomSpin[];
  spinlock: { n: number; cycles: number } | null;
}

/** The kind `analyzeSymmetry` gets for a spin (0 stays 0, so no spin means no kinds). */
export function kindOfSpin(spin: SpinSign): number {
  return spin === 0 ? 0 : spin === 1 ? 1 : 2;
}

/** The spin of a kind given by `kindOfSpin`. */
export function spinOfKind(kind: number): SpinSign {
  return kind === 1 ? 1 : kind === 2 ? -1 : 0;
}

/**
 * The spin of each site of `structure`.
 * @throws {InvalidParamsError} for a list of the wrong length, or a name that is neither an
 *   element nor a site label of the structure
 */
export function siteSpins(structure: Structure, moments: SpinRequest["moments"]): SpinSign[] {
  const sites = structure.sites;
  if (Array.isArray(moments)) {
    if (moments.length !== sites.length) {
      throw new InvalidParamsError(
        `Invalid spin.moments: the structure has ${sites.length} sites, the list gives ` +
          `${moments.length} values`,
        { data: { sites: sites.length, given: moments.length } },
      );
    }
    return [...moments];
  }
  const byName = moments as Readonly<Record<string, SpinSign>>;
  for (const name of Object.keys(byName)) {
    if (!sites.some((s) => s.label === name || s.element === name)) {
      throw new InvalidParamsError(
        `Invalid spin.moments: "${name}" is neither an element nor a site label of the structure`,
        { data: { name } },
      );
    }
  }
  return sites.map((site) => {
    const byLabel = site.label === undefined ? undefined : byName[site.label];
    return byLabel ?? byName[site.element] ?? 0;
  });
}

/** The ATOMSPIN pairs of a list of atoms in CRYSTAL's order: every atom with a spin. */
export function atomSpins(spins: readonly SpinSign[]): AtomSpin[] {
  return spins.flatMap((spin, i) => (spin === 0 ? [] : [{ atom: i + 1, spin }]));
}

/** The block-3 lines: ATOMSPIN and SPINLOCK, as the fixture nio_sto3g_afm_scf_maxcyc.d12 has them. */
export function spinLines(spin: DeckSpin): string[] {
  const lines: string[] = [];
  if (spin.atoms.length > 0) {
    lines.push(
      "ATOMSPIN",
      String(spin.atoms.length),
      ...spin.atoms.map((a) => `${a.atom} ${a.spin}`),
    );
  }
  if (spin.spinlock !== null) lines.push("SPINLOCK", `${spin.spinlock.n} ${spin.spinlock.cycles}`);
  return lines;
}
