/**
 * The phonon study: a FREQCALC job at Γ, optionally after an OPT job whose optimised geometry
 * (fort.34) it reads with EXTERNAL, optionally with a dispersion (SCELPHONO, DISPERSI); then the
 * modes, the imaginary ones and the zero-point energy, by phonon_analysis.ts.
 *
 * @module
 */
import { z } from "zod";
import { writeDeck } from "../crystal/deck.ts";
import { InvalidParamsError } from "../errors.ts";
import type { MemberPlan } from "../model/workflow.ts";
import { analysePhonons } from "./phonon_analysis.ts";
import {
  determinant,
  FREQCALC_TOLDEE,
  frequencyDeck,
  optimisationDeck,
  rigidModesOf,
  type Supercell,
} from "./phonon_decks.ts";
import { defineWorkflowType, memberStatus, WorkflowFailure } from "./workflow_type.ts";

const ROW = z.tuple([
  z.number().int().min(-16).max(16),
  z.number().int().min(-16).max(16),
  z.number().int().min(-16).max(16),
]);

const MODE = z.strictObject({
  mode: z.number().int().describe("First mode number of the row"),
  degeneracy: z.number().int().describe("Modes in the row (a degenerate set)"),
  frequency_cm1: z.number().describe("cm⁻¹, negative for an imaginary mode, as printed"),
  eigv_hartree2: z.number().nullable().describe("EIGV of the mass-weighted Hessian, Hartree²"),
  irrep: z.string().nullable().describe("Irreducible representation"),
  ir_intensity: z.number().nullable().describe("IR intensity of the row, km/mol (INTENS)"),
  ir_active: z.boolean().nullable().describe("IR active"),
  raman_active: z.boolean().nullable().describe("Raman active"),
  acoustic: z.boolean().describe("A rigid translation at Γ (ν ≈ 0)"),
  imaginary: z.boolean().describe("EIGV < 0 and |ν| above the threshold, not acoustic"),
});

/** The keys of the members. */
const OPT = "opt";
const FREQ = "freq";

/** The phonon workflow type. */
export const PHONON = defineWorkflowType({
  type: "phonon",
  summary: "Phonons at Γ: a FREQCALC job, optionally after an OPT; modes, imaginary modes, ZPE",
  description: "Creates a FREQCALC job at Γ (FREQCALC ... ENDFREQ in the geometry block, with " +
    "INTENS unless ir_intensities is false), its SCF tightened to TOLDEE " +
    `${FREQCALC_TOLDEE} where the deck has less; the deck's own drivers (OPTGEOM, FREQCALC ...) ` +
    "are removed. With optimize_first, an OPT job (OPTGEOM FULLOPTG) runs first and the FREQCALC " +
    "job reads its optimised geometry from the fort.34 it wrote (EXTERNAL, restart_from): held " +
    "by the daemon until the OPT completes, or with sbatch afterok on one SLURM cluster. With " +
    "dispersion, SCELPHONO and the supercell matrix go before FREQCALC and DISPERSI inside it. " +
    "The analysis reads CRYSTAL's TO table: the 3 lowest |ν| modes are the acoustic ones (4 for " +
    "a POLYMER); a mode is imaginary when its EIGV is below 0 and |ν| exceeds " +
    "imaginary_threshold_cm1; the zero-point energy is ½ Σ d·h·c·ν over the other real modes (d " +
    "the row's degeneracy), in eV per cell of the table. A failed member fails the study, " +
    "naming it.",
  params: z.strictObject({
    optimize_first: z.boolean().default(false).describe(
      "Optimise atoms and cell first, and compute the frequencies on that geometry",
    ),
    dispersion: z.strictObject({
      supercell: z.tuple([ROW, ROW, ROW]).describe(
        "The SCELPHONO supercell matrix, 3 rows of 3 integers",
      ),
    }).optional().describe("Phonon dispersion from a supercell (SCELPHONO, DISPERSI)"),
    imaginary_threshold_cm1: z.number().min(0).max(1000).default(10).describe(
      "A mode with EIGV < 0 is imaginary when |ν| exceeds this, cm⁻¹",
    ),
    ir_intensities: z.boolean().default(true).describe(
      "Compute IR intensities (INTENS); turn off for a metal",
    ),
  }),
  result: z.strictObject({
    modes: z.array(MODE).describe("Every row of CRYSTAL's TO table, lowest mode first"),
    imaginary: z.array(MODE).describe("The imaginary modes"),
    zero_point_energy_ev: z.number().describe(
      "½ Σ d·h·c·ν over the real optical modes, eV per cell of the table",
    ),
    threshold_cm1: z.number().describe("The imaginary-mode threshold used, cm⁻¹"),
    pk: z.number().int().describe("The FREQCALC job"),
    optimised_by: z.number().int().nullable().describe(
      "The OPT job whose geometry it used, or null",
    ),
    warnings: z.array(z.string()).describe("Imaginary modes, acoustic modes far from 0"),
  }),
  plan(params, base) {
    rigidModesOf(base.deck); // A clear error for a molecule before anything.
    const supercell = params.dispersion?.supercell ?? null;
    if (supercell !== null && determinant(supercell as Supercell) < 2) {
      throw new InvalidParamsError(
        `Invalid dispersion.supercell: its determinant is ${
          determinant(supercell as Supercell)
        }; it must be at least 2 (a supercell of 1 cell samples Γ only: leave dispersion out)`,
      );
    }
    const members: MemberPlan[] = [];
    if (params.optimize_first) {
      members.push({
        key: OPT,
        name: `${base.name} OPT`.slice(0, 200),
        input: writeDeck(optimisationDeck(base.deck, `${base.name}: OPT before FREQCALC`)),
        depends_on: [],
        meta: { role: "opt" },
      });
    }
    const onOpt = params.optimize_first;
    members.push({
      key: FREQ,
      name: `${base.name} FREQCALC`.slice(0, 200),
      input: writeDeck(frequencyDeck(base.deck, {
        title: `${base.name}: FREQCALC${onOpt ? " on the OPT geometry" : ""}`,
        on_optimised_geometry: onOpt,
        ir_intensities: params.ir_intensities,
        supercell: supercell as Supercell | null,
      })),
      depends_on: onOpt ? [OPT] : [],
      ...(onOpt ? { restart_from: OPT } : {}),
      meta: { role: "freq", rigid_modes: rigidModesOf(base.deck) },
    });
    return members;
  },
  analyse(params, members) {
    const bad = members.filter((m) => m.job?.state !== "completed");
    if (bad.length > 0) {
      throw new WorkflowFailure(
        `Cannot analyse the phonons: ${
          bad.map((m) => `${m.name} (${memberStatus(m)})`).join("; ")
        }`,
      );
    }
    const freq = members.find((m) => m.key === FREQ)!;
    const table = freq.results.frequencies ?? [];
    if (table.length === 0) {
      throw new WorkflowFailure(
        `Cannot analyse the phonons: job ${freq.job!.pk} printed no frequency table`,
      );
    }
    const analysis = analysePhonons(table, {
      threshold_cm1: params.imaginary_threshold_cm1,
      rigid_modes: freq.meta["rigid_modes"] as number,
    });
    const warnings = [...analysis.warnings];
    if (params.dispersion) {
      warnings.push(
        "With a dispersion the zero-point energy sums the Γ table CRYSTAL printed last: check on " +
          "the output whether it is the primitive cell's or the supercell's",
      );
    }
    const opt = members.find((m) => m.key === OPT);
    return {
      result: {
        modes: analysis.modes,
        imaginary: analysis.imaginary,
        zero_point_energy_ev: analysis.zero_point_energy_ev,
        threshold_cm1: params.imaginary_threshold_cm1,
        pk: freq.job!.pk,
        optimised_by: opt?.job?.pk ?? null,
        warnings,
      },
      warnings,
    };
  },
  plot(result) {
    const optical = result.modes.filter((m) => !m.acoustic);
    const hasIntensity = optical.some((m) => m.ir_intensity !== null);
    const height = (m: typeof optical[number]) => hasIntensity ? m.ir_intensity ?? 0 : m.degeneracy;
    const nus = optical.map((m) => m.frequency_cm1);
    const [lo, hi] = [Math.min(0, ...nus), Math.max(0, ...nus)];
    const span = Math.max(hi - lo, 100);
    // Sticks on a baseline: up and down at each mode in order of frequency; the baseline runs
    // past the highest mode so the legend, top right, stays clear of it.
    const sticks = (modes: typeof optical, from: number, to: number) => [
      [from, 0] as const,
      ...[...modes].sort((a, b) => a.frequency_cm1 - b.frequency_cm1).flatMap((m) => [
        [m.frequency_cm1, 0] as const,
        [m.frequency_cm1, height(m)] as const,
        [m.frequency_cm1, 0] as const,
      ]),
      [to, 0] as const,
    ];
    const real = optical.filter((m) => !m.imaginary);
    return {
      title: `Phonons at Γ: zero-point energy ${result.zero_point_energy_ev.toFixed(4)} eV`,
      x_label: "Frequency (cm⁻¹; imaginary modes negative)",
      y_label: hasIntensity ? "IR intensity (km/mol)" : "Degeneracy (no IR intensities)",
      series: [
        {
          label: "modes",
          points: sticks(real, 0, hi + 0.35 * span),
          style: "line",
          color: "#1f77b4",
        },
        ...(result.imaginary.length === 0 ? [] : [{
          label: "imaginary",
          points: sticks(result.imaginary, lo - 0.05 * span, 0),
          style: "line" as const,
          color: "#d62728",
        }]),
      ],
    };
  },
  example: {
    params: { optimize_first: true },
    result: {
      modes: [
        {
          mode: 1,
          degeneracy: 3,
          frequency_cm1: 0,
          eigv_hartree2: -2.379e-22,
          irrep: "F1u",
          ir_intensity: 0,
          ir_active: true,
          raman_active: false,
          acoustic: true,
          imaginary: false,
        },
        {
          mode: 4,
          degeneracy: 3,
          frequency_cm1: 400,
          eigv_hartree2: 3.322e-6,
          irrep: "F1u",
          ir_intensity: 550,
          ir_active: true,
          raman_active: false,
          acoustic: false,
          imaginary: false,
        },
      ],
      imaginary: [],
      zero_point_energy_ev: 0.07439051905992,
      threshold_cm1: 10,
      pk: 2,
      optimised_by: 1,
      warnings: [],
    },
  },
});
