/**
 * From a structure to a complete `.d12`: refuse what CRYSTAL cannot take, find the symmetry,
 * write the CRYSTAL geometry with one atom per orbit, check that it rebuilds the structure, and
 * fall back to P1 with all atoms (and a warning saying why) when symmetry cannot be found or the
 * check fails. The deck is never one that means something else than the structure.
 *
 * @module
 */
import { CrystalInputInvalidError } from "../errors.ts";
import { uncovered } from "./basis_sets.ts";
import {
  asWritten,
  cellAsWritten,
  type Centring,
  type GeometrySpec,
  shrinkFor,
  writeD12,
} from "./d12_writer.ts";
import { atomicNumber, ELEMENTS } from "./elements.ts";
import { roundTripProblem } from "./round_trip.ts";
import type { Structure } from "./structure.ts";
import {
  analyzeSymmetry,
  DEFAULT_SYMPREC,
  latticeParameters,
  operationsOf,
  SymmetryError,
  type SymmetryResult,
} from "./symmetry.ts";

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
}

/** A generated deck and what was found on the way. */
export interface GeneratedDeck {
  d12: string;
  space_group: { number: number; symbol: string; hall_number: number | null };
  crystal_system: SymmetryResult["crystal_system"];
  lattice: SymmetryResult["lattice"];
  asymmetric_unit: {
    element: string;
    atomic_number: number;
    frac: number[];
    wyckoff: string | null;
  }[];
  symprec: number;
  warnings: string[];
}

/** Refuses a structure CRYSTAL cannot take as it is, naming why. */
function checkUsable(structure: Structure): void {
  const why: Record<string, string> = {
    disorder: "it has disordered or partially occupied sites",
    implicit_atoms: "it has implicit atoms (OPTIMADE implicit_atoms)",
    assemblies: "it has alternative assemblies (OPTIMADE assemblies)",
    not_3d: "it is not periodic in 3 dimensions (SLAB, POLYMER and MOLECULE are not supported yet)",
  };
  const first = structure.problems[0];
  if (first !== undefined) {
    throw new CrystalInputInvalidError(`Cannot write a CRYSTAL deck: ${why[first] ?? first}`, {
      data: { reason: "unsupported_structure", problems: structure.problems },
    });
  }
  if (structure.sites.length === 0) {
    throw new CrystalInputInvalidError("Cannot write a CRYSTAL deck: the structure has no sites");
  }
}

/** The P1 geometry: the cell as given, every atom. */
function p1Geometry(structure: Structure): GeometrySpec {
  return {
    space_group: 1,
    crystal_system: "triclinic",
    lattice: latticeParameters(structure.lattice),
    atoms: structure.sites.map((s) => ({ atomic_number: atomicNumber(s.element)!, frac: s.frac })),
  };
}

/** Where the structure's atoms go in a geometry block, and what was found on the way. */
export interface Placement extends Omit<GeneratedDeck, "d12"> {
  geometry: GeometrySpec;
  /** The centring letter of the group written (P for P1), for SHRINK. */
  centring: Centring;
}

/**
 * Finds the symmetry of `structure` and the geometry that writes it: the symmetric one when it
 * rebuilds the structure, else P1 with every atom and a warning.
 * @throws {CrystalInputInvalidError} for what CRYSTAL cannot take, naming it
 */
export async function placeStructure(
  structure: Structure,
  options: { symprec?: number | undefined } = {},
): Promise<Placement> {
  checkUsable(structure);
  const warnings = [...structure.warnings];
  const symprec = options.symprec ?? DEFAULT_SYMPREC;
  let symmetry: SymmetryResult | undefined;
  try {
    symmetry = await analyzeSymmetry(structure, { symprec });
    const problem = roundTripProblem(
      symmetry.asymmetric_unit,
      symmetry.conventional,
      {
        operations: await operationsOf(symmetry.hall_number),
        tolerance: Math.max(symmetry.symprec, 1e-3) * 10,
      },
    );
    if (problem !== null) {
      warnings.push(
        `written in P1 with every atom: the symmetric geometry did not rebuild the structure (${problem})`,
      );
      symmetry = undefined;
    }
  } catch (error) {
    if (!(error instanceof SymmetryError)) throw error;
    // Atoms on top of each other are no structure at all: P1 would not make it one.
    if (/two atoms on one site/.test(error.message)) {
      throw new CrystalInputInvalidError(`Cannot write a CRYSTAL deck: ${error.message}`, {
        data: { reason: "overlapping_atoms" },
        cause: error,
      });
    }
    warnings.push(`written in P1 with every atom: no symmetry was found (${error.message})`);
  }
  const geometry: GeometrySpec = symmetry === undefined ? p1Geometry(structure) : {
    space_group: symmetry.number,
    crystal_system: symmetry.crystal_system,
    lattice: symmetry.lattice,
    atoms: symmetry.asymmetric_unit.map((s) => ({ atomic_number: s.atomic_number, frac: s.frac })),
  };
  return {
    geometry,
    centring: (symmetry?.symbol[0] ?? "P") as Centring,
    space_group: symmetry === undefined
      ? { number: 1, symbol: "P 1", hall_number: null }
      : { number: symmetry.number, symbol: symmetry.symbol, hall_number: symmetry.hall_number },
    crystal_system: geometry.crystal_system,
    lattice: cellAsWritten(geometry.lattice),
    asymmetric_unit: symmetry === undefined
      ? structure.sites.map((s) => ({
        element: s.element,
        atomic_number: atomicNumber(s.element)!,
        frac: s.frac.map(asWritten),
        wyckoff: null,
      }))
      : symmetry.asymmetric_unit.map((s) => ({
        element: s.element,
        atomic_number: s.atomic_number,
        frac: s.frac.map(asWritten),
        wyckoff: s.wyckoff,
      })),
    symprec: symmetry?.symprec ?? symprec,
    warnings,
  };
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
  const { geometry, centring, ...placement } = await placeStructure(structure, options);
  const functional = options.functional ?? "PBE";
  const d12 = writeD12({
    title: options.title ?? structure.title ?? "crystalmath",
    geometry,
    basis,
    functional: functional.toUpperCase() === "HF" ? null : functional,
    shrink: options.shrink ?? shrinkFor(geometry.lattice, centring),
    toldee: options.optimize ? 8 : 7,
    optimize: options.optimize ? { type: options.opt_type ?? "FULLOPTG" } : undefined,
  });
  const warnings = coverage === null ? placement.warnings : [...placement.warnings, coverage];
  return { d12, ...placement, warnings };
}
