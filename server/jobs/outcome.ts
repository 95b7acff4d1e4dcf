/**
 * From a run's parsed output and exit code to the job's outcome: its final state, the reason, the
 * results stored with it, and its progress while it runs. Pure.
 *
 * @module
 */
import { z } from "zod";
import { DEFAULT_MAX_OPT_CYCLES, DEFAULT_MAX_SCF_CYCLES, validateDeck } from "../crystal/deck.ts";
import type { CrystalOutput } from "../crystal/output_parser.ts";
import type { JobUpdate } from "../model/job.ts";

/** The two programs a local job may run, in order. */
export type RunPhase = "crystal" | "properties";

const ERROR = z.strictObject({ routine: z.string(), message: z.string(), line: z.number().int() });

/** The parsed results of a job, as jobs.get returns them beside the listing fields. */
export const JOB_RESULTS = z.strictObject({
  final_energy_ev: z.number().nullable().describe("Final total energy, eV"),
  convergence_met: z.boolean().nullable().describe("True when the last SCF converged on energy"),
  scf_cycles: z.number().int().nullable().describe("Cycles of the last SCF"),
  optimization: z.strictObject({
    converged: z.boolean().nullable(),
    steps: z.number().int(),
    final_geometry: z.unknown().optional(),
  }).nullable().describe("Geometry optimisation outcome, for OPTGEOM runs"),
  frequencies: z.array(z.strictObject({
    mode: z.number().int(),
    degeneracy: z.number().int(),
    eigv_hartree2: z.number().nullable().optional().describe(
      "EIGV (Hartree²), below 0 for an imaginary mode; absent in results stored before it was read",
    ),
    frequency_cm1: z.number(),
    ir_intensity_km_mol: z.number().nullable(),
    irrep: z.string().optional(),
    ir_active: z.boolean().optional(),
    raman_active: z.boolean().optional(),
  })).nullable().describe("Harmonic frequencies (cm⁻¹) with IR intensities where printed"),
  band_gap_ev: z.number().nullable().describe("Band gap, eV, when the output prints one"),
  primitive_volume_a3: z.number().nullable().describe(
    "Volume of the primitive cell CRYSTAL last printed, Å³",
  ),
  atoms_in_cell: z.number().int().nullable().describe("Atoms in that cell, as CRYSTAL prints"),
  cpu_time_seconds: z.number().nullable().describe("CPU seconds CRYSTAL reports"),
  crystal_version: z.string().nullable().describe("The version banner (it can lie: see README)"),
  termination: z.enum(["normal", "error", "none"]).nullable().describe("How the output ends"),
  status_reason: z.string().nullable().describe("Why the run was classified as it was"),
  warnings: z.array(z.string()).describe("Warnings CRYSTAL printed, deduplicated"),
  errors: z.array(ERROR).describe("ERROR **** routine **** lines"),
  properties: z.looseObject({
    status: z.string(),
    band_gap_ev: z.number().nullable(),
  }).nullable().describe("The properties run, when a .d3 was given"),
});

/** Parsed results, as stored in `results_json`. */
export type JobResults = z.infer<typeof JOB_RESULTS> & { wall_time_seconds: number | null };

const EMPTY: JobResults = {
  final_energy_ev: null,
  convergence_met: null,
  scf_cycles: null,
  optimization: null,
  frequencies: null,
  band_gap_ev: null,
  primitive_volume_a3: null,
  atoms_in_cell: null,
  cpu_time_seconds: null,
  wall_time_seconds: null,
  crystal_version: null,
  termination: null,
  status_reason: null,
  warnings: [],
  errors: [],
  properties: null,
};

/** Reads stored results; a job without any gets empty ones. */
export function parseStoredResults(json: string | null): JobResults {
  return json === null ? { ...EMPTY } : { ...EMPTY, ...JSON.parse(json) as Partial<JobResults> };
}

function resultsOf(output: CrystalOutput): JobResults {
  return {
    final_energy_ev: output.final_energy_ev,
    convergence_met: output.scf.cycles === null ? null : output.scf.converged,
    scf_cycles: output.scf.cycles,
    optimization: output.optimization.requested
      ? {
        converged: output.optimization.converged,
        steps: output.optimization.steps,
        ...(output.optimization.final_geometry
          ? { final_geometry: output.optimization.final_geometry }
          : {}),
      }
      : null,
    frequencies: output.frequencies.length ? output.frequencies : null,
    band_gap_ev: output.band_gap_ev,
    primitive_volume_a3: output.cell.primitive_volume_a3,
    atoms_in_cell: output.cell.atoms_in_cell,
    cpu_time_seconds: output.timings.cpu_seconds,
    wall_time_seconds: output.timings.wall_seconds,
    crystal_version: output.crystal_version,
    termination: output.termination,
    status_reason: output.status_reason,
    warnings: output.warnings.map((w) => w.message),
    errors: output.errors,
    properties: null,
  };
}

/** How a run ended, for the store. */
export interface RunOutcome {
  state: "completed" | "failed";
  reason: string;
  results_json: string;
  error_snippet: string | null;
  final_energy: number | null;
}

function exitNote(exitCode: number | undefined): string {
  if (exitCode === undefined) {
    return "the process left no exit code (killed, or the machine stopped)";
  }
  if (exitCode === 137) return "exit code 137 (SIGKILL: out of memory, or killed)";
  if (exitCode > 128) return `exit code ${exitCode} (signal ${exitCode - 128})`;
  return `exit code ${exitCode}`;
}

/**
 * Classifies a finished phase, following the domain rules: a normal termination alone is not
 * success (TOO MANY CYCLES ends normally too); no termination and no error means killed.
 */
export function classifyRun(
  run: {
    output: CrystalOutput;
    exitCode: number | undefined;
    phase: RunPhase;
    previous: string | null;
    /** The job ran properties alone (no SCF of its own). */
    isPropertiesOnly?: boolean;
  },
): RunOutcome {
  const { output, exitCode, phase } = run;
  const isCleanExit = exitCode === 0 || (exitCode === undefined && output.termination === "normal");
  const isSuccess = output.status === "completed" && isCleanExit;
  let reason: string;
  const wasKilled = output.termination === "none" && output.errors.length === 0;
  if (isSuccess) reason = output.status_reason || "normal termination";
  else if (wasKilled) reason = `the run ended without a termination line: ${exitNote(exitCode)}`;
  else if (output.status === "failed") reason = output.status_reason;
  else reason = `CRYSTAL finished but ${exitNote(exitCode)}`;
  const firstError = output.errors[0];
  const snippet = isSuccess
    ? null
    : firstError
    ? `ERROR **** ${firstError.routine} **** ${firstError.message}`
    : reason;

  if (phase === "properties") {
    const previous = parseStoredResults(run.previous);
    const results: JobResults = {
      ...previous,
      properties: {
        status: isSuccess ? "completed" : "failed",
        band_gap_ev: output.band_gap_ev,
        reason,
      },
    };
    return {
      state: isSuccess ? "completed" : "failed",
      reason: isSuccess
        ? run.isPropertiesOnly ? "properties completed" : "crystal and properties completed"
        : `properties failed: ${reason}`,
      results_json: JSON.stringify(results),
      error_snippet: snippet,
      final_energy: null,
    };
  }
  return {
    state: isSuccess ? "completed" : "failed",
    reason,
    results_json: JSON.stringify(resultsOf(output)),
    error_snippet: snippet,
    final_energy: output.final_energy,
  };
}

/** The job columns a finished run's outcome writes, with the exit code it left (if any). */
export function outcomeFields(outcome: RunOutcome, exitCode: number | undefined): JobUpdate {
  return {
    results_json: outcome.results_json,
    error_snippet: outcome.error_snippet,
    exit_code: exitCode ?? null,
    ...(outcome.final_energy === null ? {} : { final_energy: outcome.final_energy }),
    ...(outcome.state === "completed" ? { progress_percent: 100 } : {}),
  };
}

/** The cycle limits progress is measured against, read once from the deck. */
export interface ProgressLimits {
  maxScfCycles: number;
  maxOptSteps: number | null;
}

/** Reads the limits from a deck (the defaults when it does not parse). */
export function progressLimits(input: string): ProgressLimits {
  const deck = validateDeck(input);
  if (!deck.ok) return { maxScfCycles: DEFAULT_MAX_SCF_CYCLES, maxOptSteps: null };
  return {
    maxScfCycles: deck.deck.max_scf_cycles ?? DEFAULT_MAX_SCF_CYCLES,
    maxOptSteps: deck.deck.optgeom ? deck.deck.optgeom.max_cycles ?? DEFAULT_MAX_OPT_CYCLES : null,
  };
}

/**
 * A running job's progress in percent: optimisation steps against OPTGEOM's MAXCYCLE, or SCF
 * cycles against MAXCYCLE for a single point. Never 100 before the run has ended.
 */
export function progressOf(output: CrystalOutput, limits: ProgressLimits, phase: RunPhase): number {
  if (phase === "properties") return 99;
  const ratio = limits.maxOptSteps !== null
    ? (output.progress.opt_step ?? 0) / limits.maxOptSteps
    : (output.progress.scf_cycle ?? 0) / (output.scf.max_cycles ?? limits.maxScfCycles);
  // A limit of 0 (MAXCYCLE 0, which CRYSTAL accepts) gives 0/0 before the first step.
  if (Number.isNaN(ratio)) return 0;
  return Math.round(Math.min(99, Math.max(0, ratio * 100)) * 10) / 10;
}
