/**
 * Where a structure's atoms go in a deck: refuse what CRYSTAL cannot take, find the symmetry,
 * and choose how the geometry is written (docs/materials-workflows.md §2.2):
 * - Route A, the `CRYSTAL` block with one atom per orbit, when the written atoms, expanded by the
 *   group's operations, rebuild the standardized cell (the round-trip check);
 * - Route B, `EXTERNAL` with a `fort.34` that keeps the group's operators, when that check fails
 *   or the caller asks for it;
 * - P1 with every atom, with a warning, when no symmetry is found or neither route holds.
 * The deck never means something else than the structure.
 *
 * @module
 */
import { CrystalInputInvalidError } from "../errors.ts";
import { asWritten, cellAsWritten, type Centring, type GeometrySpec } from "./d12_writer.ts";
import { atomicNumber } from "./elements.ts";
import { externalGeometry } from "./external_geometry.ts";
import { writeFort34 } from "./fort34.ts";
import { roundTripProblem } from "./round_trip.ts";
import { kindOfSpin, spinOfKind, type SpinSign } from "./spin.ts";
import type { Structure } from "./structure.ts";
import {
  analyzeSymmetry,
  DEFAULT_SYMPREC,
  latticeParameters,
  operationsOf,
  SymmetryError,
  type SymmetryOperation,
  type SymmetryResult,
} from "./symmetry.ts";

/** How the geometry may be written: "auto" (Route A, else B, else P1) or "external" (B, else P1). */
export type GeometryRoute = "auto" | "external";

/** Options of `placeStructure`. */
export interface PlaceOptions {
  /** Symmetry tolerance in Å (default 1e-3). */
  symprec?: number | undefined;
  geometry?: GeometryRoute | undefined;
  /** One initial spin per site: sites with different spins are never made equivalent. */
  spins?: readonly SpinSign[] | undefined;
}

/** Where the atoms go, and what was found on the way. */
export interface Placement {
  /** The CRYSTAL-block geometry (Route A or P1); for Route B the cell it stands for. */
  geometry: GeometrySpec;
  /** The fort.34 text of Route B, else null: the deck then says EXTERNAL. */
  fort34: string | null;
  /** The centring letter of the group written (P for P1), for SHRINK. */
  centring: Centring;
  space_group: { number: number; symbol: string; hall_number: number | null };
  crystal_system: SymmetryResult["crystal_system"];
  lattice: SymmetryResult["lattice"];
  asymmetric_unit: {
    element: string;
    atomic_number: number;
    frac: number[];
    wyckoff: string | null;
    /** The initial spin, when spins were given. */
    spin?: SpinSign;
  }[];
  symprec: number;
  /** The spin of each atom in CRYSTAL's list of the primitive cell, when spins were given. */
  atom_spins: SpinSign[] | null;
  warnings: string[];
}

/** Lattice points per conventional cell of each centring. */
const CENTRING_POINTS: Record<Centring, number> = { P: 1, A: 2, B: 2, C: 2, I: 2, F: 4, R: 3 };

/** Refuses a structure CRYSTAL cannot take as it is, naming why. */
export function checkUsable(structure: Structure): void {
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

/**
 * Finds the symmetry of `structure` and how its geometry is written.
 * @throws {CrystalInputInvalidError} for what CRYSTAL cannot take, naming it
 */
export async function placeStructure(
  structure: Structure,
  options: PlaceOptions = {},
): Promise<Placement> {
  checkUsable(structure);
  const warnings = [...structure.warnings];
  const symprec = options.symprec ?? DEFAULT_SYMPREC;
  const spins = options.spins ?? null;
  const kinds = spins?.some((s) => s !== 0) ? spins.map(kindOfSpin) : undefined;
  let found: { symmetry: SymmetryResult; operations: SymmetryOperation[] } | undefined;
  try {
    const symmetry = await analyzeSymmetry(structure, { symprec, kinds });
    found = { symmetry, operations: await operationsOf(symmetry.hall_number) };
    if (kinds !== undefined) {
      const note = await loweredBySpins(structure, symprec, symmetry);
      if (note !== null) warnings.push(note);
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
  if (found === undefined) return p1(structure, { symprec, spins, warnings });
  return placeFound(structure, found, { geometry: options.geometry, spins, warnings });
}

/**
 * The route for a structure whose symmetry was found: A when its round trip holds (and EXTERNAL
 * was not asked for), else B, else P1, with a warning saying why.
 */
export function placeFound(
  structure: Structure,
  { symmetry, operations }: { symmetry: SymmetryResult; operations: readonly SymmetryOperation[] },
  options: {
    geometry?: GeometryRoute | undefined;
    spins: readonly SpinSign[] | null;
    warnings: string[];
  },
): Placement {
  const { spins, warnings } = options;
  const tolerance = Math.max(symmetry.symprec, 1e-3) * 10;
  const problem = roundTripProblem(symmetry.asymmetric_unit, symmetry.conventional, {
    operations,
    tolerance,
  });
  if (problem === null && options.geometry !== "external") {
    return routeA(symmetry, warnings, spins !== null);
  }
  const ext = externalGeometry(
    {
      ...symmetry,
      lattice: cellAsWritten(symmetry.lattice),
      centring: centringOf(symmetry),
      sites: symmetry.conventional.sites,
    },
    operations,
    tolerance,
  );
  if (!("problem" in ext)) {
    warnings.push(
      problem === null
        ? "geometry written as EXTERNAL, as asked: the job needs the fort.34 beside the deck"
        : "geometry written as EXTERNAL with a fort.34 (submit both): the CRYSTAL-block " +
          `geometry did not rebuild the structure (${problem})`,
    );
    return {
      ...routeA(symmetry, warnings, spins !== null),
      fort34: writeFort34(ext.fort34),
      atom_spins: spins === null
        ? null
        : ext.site_of_atom.map((i) => spinOfKind(symmetry.conventional.sites[i]!.kind)),
    };
  }
  warnings.push(
    "written in P1 with every atom: " +
      (problem === null
        ? ""
        : `the symmetric geometry did not rebuild the structure (${problem}) and `) +
      `no fort.34 could be written (${ext.problem})`,
  );
  return p1(structure, { symprec: symmetry.symprec, spins, warnings });
}

function centringOf(symmetry: SymmetryResult): Centring {
  return symmetry.symbol[0] as Centring;
}

/** Route A: the group, the conventional cell and one atom per orbit. */
function routeA(symmetry: SymmetryResult, warnings: string[], hasSpins: boolean): Placement {
  const centring = centringOf(symmetry);
  const geometry: GeometrySpec = {
    space_group: symmetry.number,
    crystal_system: symmetry.crystal_system,
    lattice: symmetry.lattice,
    atoms: symmetry.asymmetric_unit.map((s) => ({ atomic_number: s.atomic_number, frac: s.frac })),
  };
  return {
    geometry,
    fort34: null,
    centring,
    space_group: {
      number: symmetry.number,
      symbol: symmetry.symbol,
      hall_number: symmetry.hall_number,
    },
    crystal_system: symmetry.crystal_system,
    lattice: cellAsWritten(symmetry.lattice),
    asymmetric_unit: symmetry.asymmetric_unit.map((s) => ({
      element: s.element,
      atomic_number: s.atomic_number,
      frac: s.frac.map(asWritten),
      wyckoff: s.wyckoff,
      ...(hasSpins ? { spin: spinOfKind(s.kind) } : {}),
    })),
    symprec: symmetry.symprec,
    // CRYSTAL lists each irreducible atom followed by its equivalents in the primitive cell.
    atom_spins: hasSpins
      ? symmetry.asymmetric_unit.flatMap((s) =>
        Array<SpinSign>(s.multiplicity / CENTRING_POINTS[centring]).fill(spinOfKind(s.kind))
      )
      : null,
    warnings,
  };
}

/** The P1 geometry: the cell as given, every atom, in the structure's order. */
function p1(
  structure: Structure,
  found: { symprec: number; spins: readonly SpinSign[] | null; warnings: string[] },
): Placement {
  const geometry: GeometrySpec = {
    space_group: 1,
    crystal_system: "triclinic",
    lattice: latticeParameters(structure.lattice),
    atoms: structure.sites.map((s) => ({ atomic_number: atomicNumber(s.element)!, frac: s.frac })),
  };
  return {
    geometry,
    fort34: null,
    centring: "P",
    space_group: { number: 1, symbol: "P 1", hall_number: null },
    crystal_system: "triclinic",
    lattice: cellAsWritten(geometry.lattice),
    asymmetric_unit: structure.sites.map((s, i) => ({
      element: s.element,
      atomic_number: atomicNumber(s.element)!,
      frac: s.frac.map(asWritten),
      wyckoff: null,
      ...(found.spins === null ? {} : { spin: found.spins[i]! }),
    })),
    symprec: found.symprec,
    atom_spins: found.spins === null ? null : [...found.spins],
    warnings: found.warnings,
  };
}

/**
 * A warning when the spins lower the symmetry (an antiferromagnetic order does: up and down atoms
 * cannot be equivalent), naming both groups; null when they keep it.
 */
async function loweredBySpins(
  structure: Structure,
  symprec: number,
  withSpins: SymmetryResult,
): Promise<string | null> {
  const plain = await analyzeSymmetry(structure, { symprec }).catch(() => null);
  if (plain === null || plain.number === withSpins.number) return null;
  return `the spins lower the symmetry from ${plain.symbol_compact} (${plain.number}) to ` +
    `${withSpins.symbol_compact} (${withSpins.number}): atoms with different spins are kept ` +
    "symmetry-inequivalent";
}
