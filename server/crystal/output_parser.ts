/**
 * Parser for CRYSTAL (14/17/23) `.out` files, whole or as a stream of lines, following the
 * markers and classification rules of `../shared/docs/crystal-domain.md` §4. It is pure: no I/O.
 *
 * Each line is dispatched on its first non-blank character and a fixed prefix before any regex
 * runs, so the cost per line stays close to that of reading it.
 *
 * @module
 */
import {
  createFrequencyTable,
  createGeometryCollector,
  createMessageLog,
} from "./_output_collectors.ts";
import {
  firstInteger,
  firstNonBlank,
  matchBanner,
  matchDispersionEnergy,
  matchKillHint,
  matchOptEnd,
  matchOptPoint,
  matchOptStepEnergy,
  matchRelease,
  toNumber,
  trailingInteger,
} from "./_output_markers.ts";
import type { CellParameters } from "../model/cell.ts";
import { createGapTracker, createScfTracker, createTimingTracker } from "./_output_trackers.ts";
import { createCellTracker } from "./_output_trackers.ts";

/** Hartree to electronvolt (CODATA 2018; the domain brief rounds it to 27.211386). */
export const HARTREE_TO_EV = 27.211386245988;

/** What the run computed, from the strongest driver marker seen. */
export type CalculationKind =
  | "scf"
  | "optimization"
  | "frequency"
  | "elastic"
  | "eos"
  | "properties"
  | "unknown";

/** How the last run ended: `EEEEEEEEEE TERMINATION`, an error stop, or no end line at all. */
export type Termination = "normal" | "error" | "none";

/** The classification of a finished output (domain brief §4). */
export type OutputStatus = "completed" | "failed" | "unknown";

/** The latest SCF the main output shows (later OPT/FREQ points log theirs to SCFOUT.LOG). */
export interface ScfSummary {
  converged: boolean;
  cycles: number | null;
  max_cycles: number | null;
  /** ETOT(AU) of each printed cycle of that SCF, the last 1000 at most. */
  energies: number[];
}

/** An atom of the asymmetric unit: the first `dimensionality` coordinates are fractional, the rest Angstrom. */
export interface GeometryAtom {
  atomic_number: number;
  symbol: string;
  is_irreducible: boolean;
  x: number;
  y: number;
  z: number;
}

/** The `FINAL OPTIMIZED GEOMETRY` block. */
export interface FinalGeometry {
  dimensionality: number;
  cell: CellParameters | null;
  volume_a3: number | null;
  atoms: GeometryAtom[];
}

/** Geometry optimisation (OPTGEOM) outcome. */
export interface OptimizationSummary {
  requested: boolean;
  converged: boolean | null;
  steps: number;
  max_steps: number | null;
  final_energy: number | null;
  final_geometry?: FinalGeometry;
}

/** A row of the harmonic (TO) frequency table: a mode, or degenerate modes from `mode` on; EIGV in Hartree². */
export interface FrequencyMode {
  mode: number;
  degeneracy: number;
  eigv_hartree2: number | null;
  frequency_cm1: number;
  /** Integrated intensity of the whole degenerate set, as printed. */
  ir_intensity_km_mol: number | null;
  irrep?: string;
  ir_active?: boolean;
  raman_active?: boolean;
}

/** An `ERROR **** ROUTINE **** message` line (1-based line number). */
export interface CrystalError {
  routine: string;
  message: string;
  line: number;
}

/** A warning, deduplicated by message (1-based line number of its first occurrence). */
export interface CrystalWarning {
  message: string;
  line: number;
}

/** Everything the parser extracts from one output. Keys are snake_case: they go to clients. */
export interface CrystalOutput {
  /** The banner as printed, e.g. "CRYSTAL17 v1.0.2". It can lie (domain brief §1). */
  crystal_version: string | null;
  crystal_release_date: string | null;
  calculation: CalculationKind;
  final_energy: number | null;
  final_energy_ev: number | null;
  scf: ScfSummary;
  optimization: OptimizationSummary;
  frequencies: FrequencyMode[];
  band_gap_ev: number | null;
  /** The primitive cell as CRYSTAL last printed it: volume (Å³) and atoms. */
  cell: { primitive_volume_a3: number | null; atoms_in_cell: number | null };
  timings: { cpu_seconds: number | null; wall_seconds: number | null };
  errors: CrystalError[];
  warnings: CrystalWarning[];
  termination: Termination;
  status: OutputStatus;
  status_reason: string;
  progress: { scf_cycle: number | null; opt_step: number | null };
}

/** A streaming parser: push lines (without their newline) as they arrive, read the result any time. */
export interface OutputParser {
  pushLine(line: string): void;
  result(): CrystalOutput;
}

interface OptEnd {
  isConverged: boolean;
  energy: number | null;
  points: number;
}

/** Creates a streaming parser for one CRYSTAL output. */
export function createOutputParser(): OutputParser {
  const gap = createGapTracker(HARTREE_TO_EV);
  const timing = createTimingTracker();
  const log = createMessageLog();
  const frequencies = createFrequencyTable();
  const geometry = createGeometryCollector();
  const scf = createScfTracker();
  const cell = createCellTracker();
  let lineNo = 0;
  let hasCrystalText = false;
  let program: string | null = null;
  let release: { release: string; date: string } | null = null;
  let hasOptSetup = false;
  let hasElastic = false;
  let hasEos = false;
  let hasFrequency = false;
  let hasProperties = false;
  let hasScfRun = false;
  let lastEnergy: number | null = null;
  let optPoint = 0;
  let optMax: number | null = null;
  let optEnd: OptEnd | null = null;
  let isTerminated = false;
  let hasErrorStop = false;
  let killHint: string | null = null;

  function onScfEnded(line: string): void {
    const { isRead, convergedEnergy } = scf.ended(line);
    if (isRead) hasCrystalText = hasScfRun = true;
    lastEnergy = convergedEnergy ?? lastEnergy;
  }

  function onStar(line: string, at: number): void {
    if (program === null) program = matchBanner(line);
    else if (release === null && line.includes("public")) release = matchRelease(line);
    if (line.startsWith("* OPT END", at)) {
      optEnd = matchOptEnd(line) ?? optEnd;
      if (optEnd) hasOptSetup = hasCrystalText = true;
    }
  }

  function onEeee(line: string, at: number): void {
    const rest = line.slice(at + 10).trimStart();
    if (rest.startsWith("STARTING")) {
      // A file may hold several runs (crystal + properties): the last one decides the end.
      hasCrystalText = true;
      isTerminated = false;
      timing.startRun();
      gap.reset();
    } else if (rest.startsWith("TERMINATION")) isTerminated = hasCrystalText = true;
  }

  function onTotal(line: string, at: number): void {
    if (line.startsWith("TOTAL ENERGY +", at)) {
      const energy = matchDispersionEnergy(line);
      if (energy !== null && scf.isConverged()) lastEnergy = energy;
    } else if (line.startsWith("TOTAL ENERGY", at) && line.includes("DE (AU)")) {
      lastEnergy = matchOptStepEnergy(line) ?? lastEnergy;
    } else if (line.startsWith("TOTAL CPU TIME", at)) {
      const seconds = toNumber(line.slice(line.indexOf("=") + 1).trim());
      if (seconds !== null) timing.setAllRanksCpu(seconds);
    }
  }

  function onInformation(line: string): void {
    if (line.includes("MAXCYCLE")) {
      if (line.includes("OPTIMIZATION")) optMax = trailingInteger(line) ?? optMax;
      else if (line.includes("SCF CYCLES")) scf.setMaxCycles(trailingInteger(line));
    } else if (line.includes("FINALRUN") && line.includes("GEOMETRY OPTIMIZATION")) {
      hasOptSetup = true;
    }
  }

  function onMax(line: string, at: number): void {
    if (line.startsWith("MAX NUMBER OF SCF CYCLES", at)) {
      scf.setMaxCycles(firstInteger(line.slice(at + 24)));
    } else if (line.startsWith("MAXIMUM ALLOWED NUMBER OF STEPS", at)) {
      hasOptSetup = true;
      const steps = firstInteger(line.slice(at + 31));
      if (steps !== null && steps > 0) optMax = steps; // -1 stands for the default, not printed
    } else if (line.startsWith("MODES", at) && line.includes("EIGV") && !line.includes("SHIFTS")) {
      frequencies.start(); // the TO table; the LO table (with SHIFTS) is skipped
      hasFrequency = true;
    }
  }

  function dispatch(line: string, at: number): void {
    switch (line.charCodeAt(at)) {
      case 42: // *
        return onStar(line, at);
      case 61: // =
        if (line.startsWith("== SCF ENDED", at)) onScfEnded(line);
        else killHint = matchKillHint(line, at) ?? killHint;
        return;
      case 65: // A
      case 80: // P
        if (line.startsWith("ATOMS IN THE ASYMMETRIC UNIT", at)) cell.atoms(line);
        else if (line.startsWith("PRIMITIVE CELL - CENTRING", at)) cell.primitive(line);
        else gap.push(line, at);
        return;
      case 66: // B
      case 68: // D
      case 83: // S
        return gap.push(line, at);
      case 67: // C
        if (line.startsWith("CYC ", at) && scf.cycle(line)) hasCrystalText = hasScfRun = true;
        else if (line.startsWith("CRYSTAL - PROPERTIES", at)) hasProperties = hasCrystalText = true;
        else if (line.startsWith("CRYSTAL - SCF", at)) hasScfRun = hasCrystalText = true;
        else if (line.startsWith("CALCULATION OF PHONON", at)) hasFrequency = true;
        else if (line.startsWith("CONDUCTING STATE", at)) gap.push(line, at);
        else if (line.includes("OPTIMIZATION - POINT")) optPoint = matchOptPoint(line) ?? optPoint;
        return;
      case 69: // E
        if (line.startsWith("EEEEEEEEEE", at)) onEeee(line, at);
        else if (line.startsWith("ERROR", at) && log.error(line, lineNo)) {
          hasCrystalText = hasErrorStop = true;
        } else if (line.startsWith("ELAELA", at) || line.startsWith("ELASTIC CALCULATION", at)) {
          hasElastic = true;
        } else if (line.startsWith("EOSEOS", at)) hasEos = true;
        return;
      case 70: // F
        if (line.startsWith("FINAL OPTIMIZED GEOMETRY", at)) geometry.start(line);
        else if (line.startsWith("FREQUENCY CALCULATION", at) || line.startsWith("FRQFRQ", at)) {
          hasFrequency = true;
        }
        return;
      case 73: // I
        if (line.startsWith("INFORMATION", at)) onInformation(line);
        else if (line.startsWith("INDIRECT ENERGY BAND GAP", at)) gap.push(line, at);
        else if (line.includes("OPTIMIZATION - POINT")) optPoint = matchOptPoint(line) ?? optPoint;
        return;
      case 77: // M
        return onMax(line, at);
      case 79: // O
        if (line.startsWith("OPTOPT", at)) hasOptSetup = true;
        return;
      case 84: // T
        if (line.startsWith("TTTTTTTTTT", at)) {
          hasCrystalText = true;
          if (timing.push(line)) hasErrorStop = true;
        } else if (line.startsWith("TOTAL ", at)) onTotal(line, at);
        return;
      case 87: // W
        if (line.startsWith("WARNING", at)) log.warning(line, at, lineNo);
        return;
      case 102: // f
      case 115: // s
        killHint = matchKillHint(line, at) ?? killHint;
        return;
    }
  }

  function pushLine(raw: string): void {
    lineNo++;
    const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    const at = firstNonBlank(line);
    if (log.isInBox()) return log.boxLine(line, at);
    if (frequencies.isOpen() && frequencies.push(line, at)) return;
    if (geometry.isOpen() && geometry.push(line, at)) return;
    if (at >= 0) dispatch(line, at);
  }

  function isOptRequested(): boolean {
    return (hasOptSetup && !hasElastic && !hasEos) || optPoint > 0 || optEnd !== null;
  }

  function calculation(): CalculationKind {
    if (hasElastic) return "elastic";
    if (hasEos) return "eos";
    if (hasFrequency) return "frequency";
    if (isOptRequested()) return "optimization";
    if (hasProperties && !hasScfRun) return "properties";
    return hasCrystalText ? "scf" : "unknown";
  }

  function classify(errors: CrystalError[]): [OutputStatus, string] {
    if (!hasCrystalText) return ["unknown", "No CRYSTAL output yet"];
    const tooManyCycles = scf.tooManyCycles();
    if (tooManyCycles !== null) {
      return ["failed", `SCF not converged: TOO MANY CYCLES after ${tooManyCycles} cycles`];
    }
    if (optEnd && !optEnd.isConverged) {
      return [
        "failed",
        `Geometry optimisation not converged: OPT END - FAILED after ${optEnd.points} points`,
      ];
    }
    const error = errors[0];
    if (error) return ["failed", `CRYSTAL error in ${error.routine}: ${error.message}`];
    if (isTerminated) {
      if (scf.isEnded() && !scf.isConverged()) return ["failed", "SCF not converged"];
      if (isOptRequested() && !optEnd?.isConverged) {
        return ["failed", "Normal termination without OPT END - CONVERGED"];
      }
      return ["completed", "Normal termination"];
    }
    if (hasErrorStop) return ["failed", "Error termination without an ERROR message"];
    const cause = killHint ??
      "the run was killed (walltime, signal or out of memory) or is still running";
    return ["failed", `No termination line: ${cause}`];
  }

  function result(): CrystalOutput {
    const errors = log.errors();
    const [status, statusReason] = classify(errors);
    const finalEnergy = optEnd?.energy ?? lastEnergy;
    const isOpt = isOptRequested();
    const optimization: OptimizationSummary = {
      requested: isOpt,
      converged: optEnd ? optEnd.isConverged : null,
      steps: optEnd?.points ?? optPoint,
      max_steps: optMax,
      final_energy: optEnd?.energy ?? null,
    };
    const finalGeometry = geometry.result();
    if (finalGeometry) optimization.final_geometry = finalGeometry;
    return {
      crystal_version: program && (release ? `${program} v${release.release}` : program),
      crystal_release_date: release?.date ?? null,
      calculation: calculation(),
      final_energy: finalEnergy,
      final_energy_ev: finalEnergy === null ? null : finalEnergy * HARTREE_TO_EV,
      scf: scf.summary(),
      optimization,
      frequencies: frequencies.modes(),
      band_gap_ev: gap.value(),
      cell: cell.result(),
      timings: timing.result(),
      errors,
      warnings: log.warnings(),
      termination: isTerminated ? "normal" : hasErrorStop ? "error" : "none",
      status,
      status_reason: statusReason,
      progress: {
        scf_cycle: scf.lastCycle(),
        opt_step: isOpt && optPoint > 0 ? optPoint : null,
      },
    };
  }

  return { pushLine, result };
}

/** Parses a whole CRYSTAL output held in memory. */
export function parseCrystalOutput(text: string): CrystalOutput {
  const parser = createOutputParser();
  const lines = text.split("\n");
  const end = lines[lines.length - 1] === "" ? lines.length - 1 : lines.length;
  for (let i = 0; i < end; i++) parser.pushLine(lines[i]!);
  return parser.result();
}
