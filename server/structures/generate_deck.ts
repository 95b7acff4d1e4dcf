/**
 * From a structure to a complete `.d12`: the geometry as placement.ts chooses it (the CRYSTAL
 * block, EXTERNAL with a fort.34, or P1), the basis set checked for the structure's elements, the
 * Hamiltonian, SHRINK from the cell, TOLDEE, and the initial spins when asked. The deck is never
 * one that means something else than the structure.
 *
 * @module
 */
import { CrystalInputInvalidError } from "../errors.ts";
import { uncovered } from "./basis_sets.ts";
import { shrinkFor, writeD12 } from "./d12_writer.ts";
import { atomicNumber, ELEMENTS } from "./elements.ts";
import { checkUsable, type GeometryRoute, type Placement, placeStructure } from "./placement.ts";
import { atomSpins, siteSpins, type SpinRequest } from "./spin.ts";
import type { Structure } from "./structure.ts";

export { checkUsable, placeStructure } from "./placement.ts";

/** What the deck should say, beyond the structure. */
export interface DeckOptions {
  title?: string | undefined;
  /** A DFT functional keyword; "HF" for Hartree–Fock. Default PBE. */
  functional?: string | undefined;
  /** A basis-set library name. Default POB-TZVP-REV2. */
  basis_set?: string | undefined;
  /** SHRINK IS ISP; default from the cell (shrinkFor). */
  shrink?: [number, number] | undefined;
  optimize?: boolean | undefined;
  opt_type?: "FULLOPTG" | "ATOMONLY" | "CELLONLY" | undefined;
  /** Symmetry tolerance in Å (default 1e-3). */
  symprec?: number | undefined;
  /** "auto" (the CRYSTAL block, else EXTERNAL, else P1) or "external". Default auto. */
  geometry?: GeometryRoute | undefined;
  /** A spin-polarised calculation with this initial spin guess. */
  spin?: SpinRequest | undefined;
}

/** A generated deck and what was found on the way. */
export interface GeneratedDeck extends Omit<Placement, "geometry" | "centring" | "atom_spins"> {
  d12: string;
}

/**
 * Refuses a basis set that lacks one of the structure's elements, naming them.
 * @returns a warning when the set is not in the coverage table, else null
 */
export function checkBasisCoverage(basis: string, structure: Structure): string | null {
  const missing = uncovered(basis, structure.sites.map((s) => atomicNumber(s.element) ?? 0));
  if (missing === undefined) {
    return `basis set ${basis} is not in the coverage table: check that CRYSTAL has it`;
  }
  if (missing.length > 0) {
    const elements = missing.map((z) => ELEMENTS[z - 1]);
    throw new CrystalInputInvalidError(
      `Cannot use basis set ${basis}: it does not cover ${elements.join(", ")}`,
      { data: { reason: "basis_set_coverage", elements } },
    );
  }
  return null;
}

/** Writes the deck for `structure`. @throws {CrystalInputInvalidError} naming the problem */
export async function generateDeck(
  structure: Structure,
  options: DeckOptions = {},
): Promise<GeneratedDeck> {
  checkUsable(structure);
  const basis = (options.basis_set ?? "POB-TZVP-REV2").toUpperCase();
  const coverage = checkBasisCoverage(basis, structure);
  const spins = options.spin === undefined ? undefined : siteSpins(structure, options.spin.moments);
  const { geometry, centring, atom_spins, ...placement } = await placeStructure(structure, {
    symprec: options.symprec,
    geometry: options.geometry,
    spins,
  });
  const functional = options.functional ?? "PBE";
  const d12 = writeD12({
    title: options.title ?? structure.title ?? "crystalmath",
    geometry,
    basis,
    functional: functional.toUpperCase() === "HF" ? null : functional,
    shrink: options.shrink ?? shrinkFor(geometry.lattice, centring),
    toldee: options.optimize ? 8 : 7,
    optimize: options.optimize ? { type: options.opt_type ?? "FULLOPTG" } : undefined,
    external: placement.fort34 !== null,
    spin: options.spin === undefined ? undefined : {
      atoms: atomSpins(atom_spins ?? []),
      spinlock: options.spin.spinlock ?? null,
    },
  });
  const warnings = coverage === null ? placement.warnings : [...placement.warnings, coverage];
  return { d12, ...placement, warnings };
}
