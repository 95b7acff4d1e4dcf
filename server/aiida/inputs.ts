/**
 * A CRYSTAL deck as the inputs of aiida-crystal-dft's BaseCrystalWorkChain (`crystal_dft.base`):
 * the structure as the launcher rebuilds it with ASE (space group, setting, cell parameters and
 * the irreducible atoms), the d12 parameters of the plugin's schema
 * (aiida_crystal_dft/schemas/validation/d12.schema.json), the basis family and the options.
 * Pure: no I/O. What the plugin's schema cannot say is refused, naming the keyword; what only
 * prints is dropped with a warning.
 *
 * @module
 */
import { RHOMBOHEDRAL_GROUPS } from "../crystal/_deck_geometry.ts";
import type { Deck, DeckKeyword } from "../crystal/deck.ts";
import { InvalidParamsError } from "../errors.ts";
import { TWO_ORIGIN_GROUPS } from "../structures/d12_writer.ts";
import { ELEMENTS } from "../structures/elements.ts";
import { CRYSTAL_DFT_WORKFLOW } from "./verdi.ts";

/** The studies launch_aiida runs, both through crystal_dft.base. */
export const AIIDA_STUDIES = ["geometry_optimisation", "single_point"] as const;
/** One of them. */
export type AiidaStudy = typeof AIIDA_STUDIES[number];

/** What launch_aiida takes beside the deck. */
export interface AiidaLaunchOptions {
  study: AiidaStudy;
  name: string;
  code_label: string;
  basis_family?: string | undefined;
  /** Overrides of the deck's OPTGEOM. */
  optimise?: {
    toldeg?: number | undefined;
    toldex?: number | undefined;
    maxcycle?: number | undefined;
  } | undefined;
  resources?: {
    num_machines?: number | undefined;
    num_mpiprocs_per_machine?: number | undefined;
  } | undefined;
  max_wallclock_seconds?: number | undefined;
}

/** The launcher's inputs file (launcher.py reads `format` 1). */
export interface LauncherInputs {
  format: 1;
  workflow: typeof CRYSTAL_DFT_WORKFLOW;
  label: string;
  code_label: string;
  structure: {
    spacegroup: number;
    setting: 1 | 2;
    cellpar: [number, number, number, number, number, number];
    symbols: string[];
    basis: [number, number, number][];
  };
  parameters: Record<string, unknown>;
  basis_family: string;
  options: Record<string, unknown>;
}

/*
 * For the groups with two origin choices (TWO_ORIGIN_GROUPS), CRYSTAL's IFSO 0 takes the second
 * (origin at the inversion centre), IFSO 1 the first: the mackinawite fixture (P4/nmm,
 * IFSO 1, FAILED_GEOM_mackinawite_opt.out) prints "SHIFT OF THE ORIGIN 3/4 1/4 0" and puts Fe
 * at 0 0 0 and 1/2 1/2 0, S at 0 1/2 z and 1/2 0 -z, the 2a and 2c orbits of origin choice 1.
 * ASE's crystal() numbers them the ITA way: setting 1 is origin choice 1, setting 2 choice 2.
 */

/** Functionals that are one keyword in CRYSTAL and in the plugin's schema. */
const FUNCTIONALS = new Set([
  "SVWN",
  "BLYP",
  "PBEXC",
  "PBESOLXC",
  "SOGGAXC",
  "B3PW",
  "B3LYP",
  "PBE0",
  "PBESOL0",
  "B1WC",
  "WC1LYP",
  "B97H",
  "PBE0-13",
  "HSE06",
  "HSESOL",
  "SC-BLYP",
  "HISS",
  "RSHXLDA",
  "WB97",
  "WB97X",
  "LC-WPBE",
  "LC-WPBESOL",
  "LC-WBLYP",
  "LC-BLYP",
  "CAM-B3LYP",
  "M06L",
  "B2PLYP",
  "B2GPPLYP",
  "MPW2PLYP",
  "DHYBRID",
]); // deno-fmt-ignore
/** The schema's spelling where CRYSTAL's keyword is upper case. */
const SPELLING: Record<string, string> = {
  WB97: "wB97",
  WB97X: "wB97X",
  "LC-WPBE": "LC-wPBE",
  "LC-WPBESOL": "LC-wPBESOL",
  "LC-WBLYP": "LC-wBLYP",
  MPW2PLYP: "mPW2PLYP",
};
/**
 * EXCHANGE + CORRELAT pairs, as the one keyword the plugin writes unambiguously (its template
 * writes a pair as CORRELAT first, EXCHANGE second, against its own schema's order).
 */
const PAIRS: Record<string, string> = {
  "LDA/VWN": "SVWN",
  "BECKE/LYP": "BLYP",
  "PBE/PBE": "PBEXC",
  "PBESOL/PBESOL": "PBESOLXC",
};
const GRIDS = new Set(["OLDGRID", "LGRID", "XLGRID", "XXLGRID"]);
const OPT_TYPES = new Set(["FULLOPTG", "CELLONLY", "INTREDUN", "ITATOCEL", "CVOLOPT"]);
const FOCK_MIXING = new Set(["DIIS", "DIISALLK", "SLOSHING", "NODIIS", "ANDERSON"]);
const POST_SCF = new Set(["POSTSCF", "EXCHGENE", "GRADCAL", "PPAN"]);
/** Keywords that only change what is printed: dropped, with a warning. */
const PRINT_ONLY = new Set(["PRINTOUT", "NOPRINT", "PRINTOPT", "PRINTFORCES", "PRINTHESS", "TEST"]);

function refuse(message: string): never {
  throw new InvalidParamsError(`Cannot launch this deck in aiida-crystal-dft: ${message}`);
}

function integers(keyword: DeckKeyword, count: number): number[] {
  const values = (keyword.args[0] ?? "").trim().split(/\s+/).map(Number);
  if (values.length < count || values.slice(0, count).some((v) => !Number.isInteger(v))) {
    refuse(`${keyword.keyword} needs ${count} integer(s), got "${keyword.args[0] ?? ""}"`);
  }
  return values.slice(0, count);
}

function real(keyword: DeckKeyword): number {
  const value = Number((keyword.args[0] ?? "").trim().split(/\s+/)[0]);
  if (!Number.isFinite(value)) refuse(`${keyword.keyword} needs a number`);
  return value;
}

/** The structure record: ASE's crystal() rebuilds the cell from it. */
function structureOf(deck: Deck): LauncherInputs["structure"] {
  const g = deck.geometry;
  if (g.kind !== "CRYSTAL") {
    refuse(`its geometry is ${g.kind}; only a 3D CRYSTAL geometry given by space group is read`);
  }
  if (g.flags.iflag !== 0 || typeof g.space_group !== "number") {
    refuse("its space group is a symbol (IFLAG 1); give it by number");
  }
  const sg = g.space_group;
  if (g.flags.ifso > 1 || (g.flags.ifso === 1 && !TWO_ORIGIN_GROUPS.has(sg))) {
    refuse(`IFSO ${g.flags.ifso} (an origin shift) is not read for space group ${sg}; use 0`);
  }
  const rhombohedralAxes = RHOMBOHEDRAL_GROUPS.has(sg) && g.flags.ifhr === 1;
  const secondOrigin = TWO_ORIGIN_GROUPS.has(sg) && g.flags.ifso === 0;
  const setting: 1 | 2 = rhombohedralAxes || secondOrigin ? 2 : 1;
  const { a } = g.lattice;
  const b = g.lattice.b ?? a;
  const c = g.lattice.c ?? a;
  let cellpar: LauncherInputs["structure"]["cellpar"];
  if (sg <= 2) {
    cellpar = [a, b, c, g.lattice.alpha ?? 90, g.lattice.beta ?? 90, g.lattice.gamma ?? 90];
  } else if (sg <= 15) cellpar = [a, b, c, 90, g.lattice.beta ?? 90, 90];
  else if (sg <= 74) cellpar = [a, b, c, 90, 90, 90];
  else if (sg <= 142) cellpar = [a, a, c, 90, 90, 90];
  else if (rhombohedralAxes) {
    const alpha = g.lattice.alpha ?? 90;
    cellpar = [a, a, a, alpha, alpha, alpha];
  } else if (sg <= 194) cellpar = [a, a, c, 90, 90, 120];
  else cellpar = [a, a, a, 90, 90, 90];
  const symbols = g.atoms.map((atom) => {
    const z = atom.atomic_number % 100;
    const symbol = ELEMENTS[z - 1];
    if (symbol === undefined) refuse(`atom ${atom.atomic_number} is not an element (ghost atom)`);
    return symbol;
  });
  return {
    spacegroup: sg,
    setting,
    cellpar,
    symbols,
    basis: g.atoms.map((atom) => [atom.x, atom.y, atom.z]),
  };
}

/** The geometry.optimise record of the schema, from OPTGEOM and the overrides. */
function optimiseOf(deck: Deck, options: AiidaLaunchOptions, warnings: string[]) {
  const optgeom = deck.geometry_keywords.find((k) => k.keyword === "OPTGEOM");
  const optimise: Record<string, unknown> = {};
  const convergence: Record<string, number> = {};
  for (const keyword of optgeom?.block?.keywords ?? []) {
    const name = keyword.keyword;
    if (OPT_TYPES.has(name)) optimise.type = name;
    else if (name === "TOLDEG" || name === "TOLDEX") convergence[name] = real(keyword);
    else if (name === "TOLDEE" || name === "MAXCYCLE" || name === "FINALRUN") {
      convergence[name] = integers(keyword, 1)[0]!;
    } else if (name === "PRINTOPT" || name === "PRINTFORCES" || name === "PRINTHESS") {
      optimise.info_print = [...(optimise.info_print as string[] ?? []), name];
    } else refuse(`OPTGEOM option ${name} has no counterpart in the plugin's schema`);
  }
  if (optgeom === undefined) optimise.type = "FULLOPTG";
  if (options.optimise?.toldeg !== undefined) convergence.TOLDEG = options.optimise.toldeg;
  if (options.optimise?.toldex !== undefined) convergence.TOLDEX = options.optimise.toldex;
  if (options.optimise?.maxcycle !== undefined) convergence.MAXCYCLE = options.optimise.maxcycle;
  if (Object.keys(convergence).length > 0) optimise.convergence = convergence;
  if (optgeom === undefined) warnings.push("The deck has no OPTGEOM: FULLOPTG (atoms and cell)");
  return optimise;
}

/** Block 3 as the schema's scf record. */
function scfOf(deck: Deck, warnings: string[]): Record<string, unknown> {
  const scf: Record<string, unknown> = {};
  const numerical: Record<string, unknown> = {};
  const postScf: string[] = [];
  let spin = false;
  for (const keyword of deck.hamiltonian) {
    const name = keyword.keyword;
    if (name === "SHRINK") {
      const [is, isp] = integers(keyword, 2) as [number, number];
      if (is <= 0) refuse("SHRINK with IS 0 (anisotropic k-points) is not in the plugin's schema");
      scf.k_points = [is, isp];
    } else if (name === "DFT") scf.dft = dftOf(keyword, warnings);
    else if (name === "UHF" || name === "RHF") spin = spin || name === "UHF";
    else if (name === "TOLINTEG") numerical.TOLINTEG = integers(keyword, 5);
    else if (name === "TOLDEE" || name === "MAXCYCLE" || name === "FMIXING") {
      numerical[name] = integers(keyword, 1)[0];
    } else if (name === "LEVSHIFT") numerical.LEVSHIFT = integers(keyword, 2);
    else if (name === "SMEAR") numerical.SMEAR = real(keyword);
    else if (FOCK_MIXING.has(name)) scf.fock_mixing = name;
    else if (POST_SCF.has(name)) postScf.push(name);
    else if (PRINT_ONLY.has(name)) warnings.push(`${name} (printing only) is not carried over`);
    else refuse(`${name} has no counterpart in the plugin's schema`);
  }
  if (scf.k_points === undefined) refuse("it has no SHRINK");
  if (scf.dft === undefined) scf.single = spin ? "UHF" : "RHF";
  else if (spin) (scf.dft as Record<string, unknown>).SPIN = true;
  if (Object.keys(numerical).length > 0) scf.numerical = numerical;
  if (postScf.length > 0) scf.post_scf = postScf;
  return scf;
}

function dftOf(block: DeckKeyword, warnings: string[]): Record<string, unknown> {
  const dft: Record<string, unknown> = {};
  let exchange: string | undefined;
  let correlation: string | undefined;
  for (const keyword of block.block?.keywords ?? []) {
    const name = keyword.keyword;
    if (FUNCTIONALS.has(name)) dft.xc = SPELLING[name] ?? name;
    else if (name === "EXCHANGE") exchange = (keyword.args[0] ?? "").trim().toUpperCase();
    else if (name === "CORRELAT") correlation = (keyword.args[0] ?? "").trim().toUpperCase();
    else if (name === "SPIN") dft.SPIN = true;
    else if (GRIDS.has(name)) dft.grid = name;
    else if (PRINT_ONLY.has(name)) warnings.push(`DFT ${name} (printing only) is not carried over`);
    else refuse(`DFT option ${name} has no counterpart in the plugin's schema`);
  }
  if (exchange !== undefined || correlation !== undefined) {
    const pair = PAIRS[`${exchange}/${correlation}`];
    if (pair === undefined) {
      refuse(
        `EXCHANGE ${exchange ?? "(none)"} with CORRELAT ${correlation ?? "(none)"} is not ` +
          `one of the pairs carried over (${Object.keys(PAIRS).join(", ")}); name the functional`,
      );
    }
    dft.xc = pair;
  }
  if (dft.xc === undefined) refuse("its DFT block names no functional");
  return dft;
}

/**
 * The launcher's inputs for `deck`, and what was dropped.
 * @throws {InvalidParamsError} naming what the plugin cannot take
 */
export function launcherInputsOf(
  deck: Deck,
  options: AiidaLaunchOptions,
): { inputs: LauncherInputs; warnings: string[] } {
  const warnings: string[] = [];
  const structure = structureOf(deck);
  for (const keyword of deck.geometry_keywords) {
    if (keyword.keyword === "OPTGEOM") {
      if (options.study === "single_point") {
        refuse('it optimises (OPTGEOM) but workflow is "single_point"');
      }
    } else if (PRINT_ONLY.has(keyword.keyword)) {
      warnings.push(`${keyword.keyword} (printing only) is not carried over`);
    } else refuse(`geometry keyword ${keyword.keyword} is not carried over; only OPTGEOM is`);
  }
  const parameters: Record<string, unknown> = { label: options.name, scf: scfOf(deck, warnings) };
  if (options.study === "geometry_optimisation") {
    parameters.geometry = { optimise: optimiseOf(deck, options, warnings) };
  }
  let basisFamily = options.basis_family;
  if (deck.basis.kind === "builtin") {
    if (basisFamily !== undefined && basisFamily !== deck.basis.name) {
      warnings.push(`basis_family ${basisFamily} replaces the deck's BASISSET ${deck.basis.name}`);
    }
    basisFamily ??= deck.basis.name;
  } else if (basisFamily === undefined) {
    refuse(
      "its basis set is written out; name a basis family stored in the profile with " +
        "basis_family (verdi data crystal_dft), or use BASISSET <name>",
    );
  }
  const resources = {
    num_machines: options.resources?.num_machines ?? 1,
    num_mpiprocs_per_machine: options.resources?.num_mpiprocs_per_machine ?? 1,
  };
  return {
    inputs: {
      format: 1,
      workflow: CRYSTAL_DFT_WORKFLOW,
      label: options.name,
      code_label: options.code_label,
      structure,
      parameters,
      basis_family: basisFamily,
      options: {
        resources,
        ...(options.max_wallclock_seconds === undefined
          ? {}
          : { max_wallclock_seconds: options.max_wallclock_seconds }),
      },
    },
    warnings,
  };
}
