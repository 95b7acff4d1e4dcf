import { z } from "zod";
import { generateDeck } from "../../structures/generate_deck.ts";
import { BASIS_SETS } from "../../structures/basis_sets.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import { STRUCTURE_SOURCE, structureOf } from "./structure_source.ts";
import { CELL } from "./shapes.ts";

const VEC3 = z.array(z.number()).length(3);
const SPIN_SIGN = z.union([z.literal(1), z.literal(0), z.literal(-1)]);
/** `materials.generate_d12`: a complete CRYSTAL deck from a CIF, a POSCAR or OPTIMADE attributes. */
export const generateD12 = defineMethod({
  name: "materials.generate_d12",
  summary: "Write a complete .d12 deck from a CIF, a POSCAR or OPTIMADE structure attributes",
  description: "Finds the symmetry (moyo, symprec in Å), writes the CRYSTAL geometry with the " +
    "conventional cell's minimal parameters and one atom per orbit, checks that the written atoms " +
    "rebuild the structure (else writes P1 with every atom and says why), then the basis " +
    "(BASISSET), the functional, SHRINK from the cell (IS samples each reciprocal axis of the " +
    "primitive cell at 0.2 Å⁻¹ or finer; ISP = 2 IS) and TOLDEE, with " +
    "OPTGEOM inside the geometry block when optimising. Disordered, partially occupied or " +
    "non-3D structures, and elements the basis set lacks, are refused naming the cause. Give " +
    "exactly one of material_id, cif, poscar and structure. The 24 groups with two origin " +
    "choices are written in origin choice 1 with IFSO = 1 (0 0 1), which CRYSTAL reads as origin " +
    "choice 1 (its default, 0 0 0, is origin choice 2). When " +
    "the written atoms do not rebuild the structure, or with geometry external, the deck says " +
    "EXTERNAL and fort34 holds the geometry with the group's operators (submit it with " +
    "jobs.submit fort34). spin makes the run spin-polarised with an initial guess: ATOMSPIN lists " +
    "every atom of the cell that starts up or down, and the symmetry is found with up and down " +
    "atoms told apart, so an antiferromagnetic order lowers it (a warning names both groups).",
  params: z.strictObject({
    ...STRUCTURE_SOURCE,
    functional: z.string().regex(/^[A-Za-z0-9+-]{1,32}$/, "expected a CRYSTAL functional keyword")
      .default("PBE").describe('DFT functional keyword (PBE, B3LYP, PBE0, HSE06, ...) or "HF"'),
    basis_set: z.string().regex(/^[A-Za-z0-9-]{1,40}$/, "expected a basis-set library name")
      .default("POB-TZVP-REV2").describe(`CRYSTAL basis-set library: ${BASIS_SETS.join(", ")}`),
    shrink: z.tuple([z.number().int().min(1).max(64), z.number().int().min(1).max(128)])
      .optional().describe("SHRINK IS ISP; default from the cell"),
    optimize: z.boolean().default(false).describe("Optimise the geometry (OPTGEOM)"),
    opt_type: z.enum(["FULLOPTG", "ATOMONLY", "CELLONLY"]).default("FULLOPTG").describe(
      "What the optimisation moves",
    ),
    title: z.string().max(200).regex(/^[^\r\n]*$/, "must be one line").optional().describe(
      "The deck's title line (default: the structure's)",
    ),
    symprec: z.number().positive().max(1).default(1e-3).describe("Symmetry tolerance in Å"),
    geometry: z.enum(["auto", "external"]).default("auto").describe(
      "auto: the CRYSTAL block when it rebuilds the structure, else EXTERNAL with a fort.34, " +
        "else P1; external: always EXTERNAL with a fort.34",
    ),
    spin: z.strictObject({
      moments: z.union([
        z.record(z.string().min(1).max(64), SPIN_SIGN),
        z.array(SPIN_SIGN).min(1).max(100_000),
      ]).describe(
        "Initial spins, 1 (up, α), -1 (down, β) or 0: by element or site label " +
          '({"Fe": 1} or {"Ni1": 1, "Ni2": -1}; a label wins over an element), or one per site ' +
          "of the structure in its order",
      ),
      spinlock: z.strictObject({
        n: z.number().int().min(-10_000).max(10_000).describe("nα − nβ per cell"),
        cycles: z.number().int().min(1).max(10_000).describe("SCF cycles it is held for"),
      }).optional().describe("SPINLOCK: hold nα − nβ for the first cycles"),
    }).optional().describe(
      "A spin-polarised run (SPIN in the DFT block, UHF for HF) with this initial guess",
    ),
  }),
  result: z.strictObject({
    d12: z.string().describe("The deck"),
    space_group: z.strictObject({
      number: z.number().int(),
      symbol: z.string(),
      hall_number: z.number().int().nullable(),
    }).describe("The space group written"),
    crystal_system: z.string().describe("Its crystal system"),
    lattice: CELL.describe("The cell written: Å and degrees"),
    asymmetric_unit: z.array(z.strictObject({
      element: z.string(),
      atomic_number: z.number().int(),
      frac: VEC3,
      wyckoff: z.string().nullable(),
      spin: SPIN_SIGN.optional().describe("Its initial spin, when spin was given"),
    })).describe("The atoms written, one per orbit"),
    symprec: z.number().describe("The tolerance used, in Å"),
    fort34: z.string().nullable().describe(
      "The geometry file of a deck that says EXTERNAL (give it to jobs.submit as fort34), else null",
    ),
    warnings: z.array(z.string()).describe("What to know about the deck"),
  }),
  errors: ["invalid_input_file", "provider_failed"],
  examples: [{
    name: "rock salt from a POSCAR",
    params: {
      poscar: "MgO\n1.0\n4.21 0 0\n0 4.21 0\n0 0 4.21\nMg O\n4 4\nDirect\n0 0 0\n0 0.5 0.5\n" +
        "0.5 0 0.5\n0.5 0.5 0\n0.5 0.5 0.5\n0.5 0 0\n0 0.5 0\n0 0 0.5\n",
    },
    result: {
      d12: "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0 0 0\n8 0 0 0.5\nBASISSET\n" +
        "POB-TZVP-REV2\nDFT\nPBE\nEND\nSHRINK\n13 26\nTOLDEE\n7\nEND\n",
      space_group: { number: 225, symbol: "F m -3 m", hall_number: 523 },
      crystal_system: "cubic",
      lattice: { a: 4.21, b: 4.21, c: 4.21, alpha: 90, beta: 90, gamma: 90 },
      asymmetric_unit: [
        { element: "Mg", atomic_number: 12, frac: [0, 0, 0], wyckoff: "a" },
        { element: "O", atomic_number: 8, frac: [0, 0, 0.5], wyckoff: "b" },
      ],
      symprec: 0.001,
      fort34: null,
      warnings: [],
    },
  }],
  async handler(params, ctx: MethodContext) {
    const structure = await structureOf(params, ctx);
    return await generateDeck(structure, {
      ...params,
      ...(params.shrink ? { shrink: params.shrink as [number, number] } : {}),
    });
  },
});
