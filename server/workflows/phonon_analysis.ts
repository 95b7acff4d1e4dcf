/**
 * Γ-point phonons from CRYSTAL's frequency table: which rows are the rigid (acoustic) modes,
 * which are imaginary, and the zero-point energy of the rest. Pure.
 *
 * @module
 */
import type { JobResults } from "../jobs/outcome.ts";

/** A row of the frequency table as a job's results store it (older results lack EIGV). */
type FrequencyMode = NonNullable<JobResults["frequencies"]>[number];

/**
 * One wavenumber as an energy: h·c = 1.239841984332e-4 eV·cm, exact since the 2019 SI fixed h, c
 * and e (CODATA 2018: hc = 1.239 841 984... × 10⁻⁶ eV m).
 */
export const EV_PER_CM1 = 1.239841984332e-4;

/** A row of the table as the study reports it: CRYSTAL's values and what the analysis made of it. */
export interface PhononMode {
  /** First mode number of the row. */
  mode: number;
  /** Modes in the row (CRYSTAL prints a degenerate set on one row, `4-   6`). */
  degeneracy: number;
  /** As printed: negative for an imaginary mode. */
  frequency_cm1: number;
  eigv_hartree2: number | null;
  irrep: string | null;
  /** Integrated IR intensity of the row, km/mol; null without INTENS. */
  ir_intensity: number | null;
  ir_active: boolean | null;
  raman_active: boolean | null;
  /** One of the rigid translations at Γ (frequency ≈ 0). */
  acoustic: boolean;
  /** EIGV < 0 and |ν| above the threshold, and not acoustic. */
  imaginary: boolean;
}

/** What the analysis of one table gives. */
export interface PhononAnalysis {
  modes: PhononMode[];
  imaginary: PhononMode[];
  zero_point_energy_ev: number;
  warnings: string[];
}

/** Whether a row's mode is imaginary-valued: EIGV < 0, or (EIGV not read) ν < 0. */
function isNegative(mode: FrequencyMode): boolean {
  return (mode.eigv_hartree2 ?? mode.frequency_cm1) < 0;
}

/**
 * The rows holding the `rigid` lowest |ν| modes: the 3 acoustic translations of a crystal or
 * slab (4 for a polymer, whose rotation about its axis is free too). Rows are taken whole.
 */
function rigidRows(modes: readonly FrequencyMode[], rigid: number): Set<number> {
  const order = modes.map((m, i) => ({ i, size: Math.abs(m.frequency_cm1) }))
    .sort((a, b) => a.size - b.size || a.i - b.i);
  const rows = new Set<number>();
  let count = 0;
  for (const { i } of order) {
    if (count >= rigid) break;
    rows.add(i);
    count += modes[i]!.degeneracy;
  }
  return rows;
}

/**
 * Classifies the rows and sums the zero-point energy ½ Σ d·h·c·ν over the real optical modes
 * (d: the row's degeneracy; acoustic, imaginary and small negative modes left out), in eV per
 * cell of the table.
 */
export function analysePhonons(
  table: readonly FrequencyMode[],
  options: { threshold_cm1: number; rigid_modes: number },
): PhononAnalysis {
  const rigid = rigidRows(table, options.rigid_modes);
  const modes = table.map((m, i): PhononMode => {
    const acoustic = rigid.has(i);
    return {
      mode: m.mode,
      degeneracy: m.degeneracy,
      frequency_cm1: m.frequency_cm1,
      eigv_hartree2: m.eigv_hartree2 ?? null,
      irrep: m.irrep ?? null,
      ir_intensity: m.ir_intensity_km_mol,
      ir_active: m.ir_active ?? null,
      raman_active: m.raman_active ?? null,
      acoustic,
      imaginary: !acoustic && isNegative(m) && Math.abs(m.frequency_cm1) > options.threshold_cm1,
    };
  });
  const sum = modes.filter((m, i) => !m.acoustic && !isNegative(table[i]!))
    .reduce((total, m) => total + m.degeneracy * m.frequency_cm1, 0);
  const warnings: string[] = [];
  const acoustic = modes.filter((m) => m.acoustic);
  const count = acoustic.reduce((n, m) => n + m.degeneracy, 0);
  if (count !== options.rigid_modes) {
    warnings.push(
      `The ${options.rigid_modes} lowest modes are not rows of their own: ${count} modes were ` +
        "flagged acoustic",
    );
  }
  const worst = Math.max(0, ...acoustic.map((m) => Math.abs(m.frequency_cm1)));
  if (worst > options.threshold_cm1) {
    warnings.push(
      `The acoustic modes reach ${worst.toFixed(1)} cm⁻¹ instead of about 0: tighten TOLINTEG ` +
        "and the DFT grid, or check the geometry is a minimum",
    );
  }
  const imaginary = modes.filter((m) => m.imaginary);
  if (imaginary.length > 0) {
    const lowest = Math.min(...imaginary.map((m) => m.frequency_cm1));
    warnings.push(
      `${imaginary.reduce((n, m) => n + m.degeneracy, 0)} imaginary modes (down to ` +
        `${lowest.toFixed(1)} cm⁻¹): the structure is not at a minimum; optimise it ` +
        "(optimize_first) or follow the mode; they are left out of the zero-point energy",
    );
  }
  return { modes, imaginary, zero_point_energy_ev: 0.5 * EV_PER_CM1 * sum, warnings };
}
