/**
 * Run-level trackers for the CRYSTAL output parser: the SCF cycles and verdict, the band gap
 * (per spin channel) and the cumulative timings. Each takes lines the parser has dispatched.
 *
 * @module
 */
import { matchGapEv, toNumber } from "./_output_markers.ts";
import type { ScfSummary } from "./output_parser.ts";

const TIMING = /^\s*T{10,}\s+(.*?)\s+TELAPSE\s+(\S+)\s+TCPU\s+(\S+)/;
const CYCLE = /^\s*CYC\s+(\d+)\s+ETOT\(AU\)\s+(\S+)/;
const SCF_ENDED = /SCF ENDED\s*-\s*(.*?)\s+E\(AU\)\s+(\S+)\s+CYCLES\s+(\d+)/;
const SCF_ENERGY_CAP = 1000;

function matchCycle(line: string): { cycle: number; energy: number } | null {
  const m = CYCLE.exec(line);
  const energy = toNumber(m?.[2]);
  return m && energy !== null ? { cycle: Number(m[1]), energy } : null;
}

function matchScfEnded(
  line: string,
): { verdict: string; energy: number | null; cycles: number } | null {
  const m = SCF_ENDED.exec(line);
  return m ? { verdict: m[1]!, energy: toNumber(m[2]), cycles: Number(m[3]) } : null;
}

/** The SCF as the main output shows it: `CYC` lines and the `== SCF ENDED` verdict of the latest SCF. */
export interface ScfTracker {
  /** Reads a `CYC n ETOT(AU) ...` line; false if it is not one. */
  cycle(line: string): boolean;
  /** Reads an `== SCF ENDED` line; returns the energy when the SCF converged. */
  ended(line: string): { isRead: boolean; convergedEnergy: number | null };
  setMaxCycles(cycles: number | null): void;
  isEnded(): boolean;
  isConverged(): boolean;
  /** The cycle count of a `TOO MANY CYCLES` ending, if any SCF ended so. */
  tooManyCycles(): number | null;
  lastCycle(): number | null;
  summary(): ScfSummary;
}

/** Creates an {@link ScfTracker}. */
export function createScfTracker(): ScfTracker {
  let energies: number[] = [];
  let lastCycle = -1;
  let isEnded = false;
  let isConverged = false;
  let cycles: number | null = null;
  let maxCycles: number | null = null;
  let tooManyCycles: number | null = null;
  return {
    cycle(line) {
      const cycle = matchCycle(line);
      if (!cycle) return false;
      if (cycle.cycle <= lastCycle) {
        // A new SCF starts: the summary follows the latest one.
        energies = [];
        isConverged = false;
        cycles = null;
      }
      lastCycle = cycle.cycle;
      energies.push(cycle.energy);
      if (energies.length >= 2 * SCF_ENERGY_CAP) energies = energies.slice(-SCF_ENERGY_CAP);
      return true;
    },
    ended(line) {
      const ended = matchScfEnded(line);
      if (!ended) return { isRead: false, convergedEnergy: null };
      isEnded = true;
      cycles = ended.cycles;
      isConverged = ended.verdict.startsWith("CONVERGENCE");
      if (ended.verdict.includes("TOO MANY CYCLES")) tooManyCycles = ended.cycles;
      return { isRead: true, convergedEnergy: isConverged ? ended.energy : null };
    },
    setMaxCycles(value) {
      maxCycles = value ?? maxCycles;
    },
    isEnded: () => isEnded,
    isConverged: () => isConverged,
    tooManyCycles: () => tooManyCycles,
    lastCycle: () => (lastCycle >= 0 ? lastCycle : null),
    summary: () => ({
      converged: isConverged,
      cycles,
      max_cycles: maxCycles,
      energies: energies.slice(-SCF_ENERGY_CAP),
    }),
  };
}

/** Which spin channel the band-gap lines that follow belong to (`ALPHA ELECTRONS` headers). */
type Spin = "alpha" | "beta" | null;

/** Tracks the band gap; for spin-polarised runs the gap is the smaller of the alpha and beta gaps. */
export interface GapTracker {
  /**
   * Reads a line that may bear on the gap: `DIRECT`/`INDIRECT ENERGY BAND GAP:`, `BAND GAP:` and
   * its `ALPHA`/`BETA` forms, the `ALPHA`/`BETA ELECTRONS` headers, a conducting state (gap 0) or
   * `SPIN LOCKING: NO ENERGY GAP COMPUTED` (no gap).
   */
  push(line: string, at: number): void;
  /** Forgets the spin channel (a new run starts). */
  reset(): void;
  value(): number | null;
}

/** Creates a {@link GapTracker}; `hartreeToEv` converts gaps printed in hartree. */
export function createGapTracker(hartreeToEv: number): GapTracker {
  let gap: number | null = null;
  let alphaGap: number | null = null;
  let spin: Spin = null;
  function record(value: number | null, channel: Spin): void {
    gap = channel === "beta" && alphaGap !== null && value !== null
      ? Math.min(alphaGap, value)
      : value;
    alphaGap = channel === "alpha" ? value : null;
    if (channel === "beta") spin = null;
  }
  return {
    push(line, at) {
      const isGap = line.includes("GAP:");
      if (isGap && line.startsWith("ALPHA", at)) record(matchGapEv(line, hartreeToEv), "alpha");
      else if (isGap && line.startsWith("BETA", at)) record(matchGapEv(line, hartreeToEv), "beta");
      else if (isGap && line.startsWith("BAND GAP", at)) {
        record(matchGapEv(line, hartreeToEv), null);
      } else if (isGap) record(matchGapEv(line, hartreeToEv), spin); // (IN)DIRECT ENERGY BAND GAP
      else if (line.includes("CONDUCTING STATE")) record(0, spin);
      else if (line.startsWith("SPIN LOCKING: NO ENERGY GAP", at)) record(null, null);
      else if (line.includes("ELECTRONS")) {
        // "ALPHA      ELECTRONS", not the "ALPHA+BETA ELECTRONS" of the Mulliken analysis.
        if (line.startsWith("ALPHA ", at)) spin = "alpha";
        else if (line.startsWith("BETA ", at)) spin = "beta";
      }
    },
    reset() {
      spin = null;
    },
    value: () => gap,
  };
}

/** Accumulates `TTTTTTTTTT <STEP> TELAPSE <wall> TCPU <cpu>` timings over the runs of one file. */
export interface TimingTracker {
  startRun(): void;
  /** Takes a timing line; returns true when its step is `ERR` (an error stop). */
  push(line: string): boolean;
  setAllRanksCpu(seconds: number): void;
  result(): { cpu_seconds: number | null; wall_seconds: number | null };
}

/**
 * Creates a {@link TimingTracker}. TELAPSE and TCPU are cumulative within a run, so only the last
 * line of each run counts: it is kept raw and parsed once, at the next run or at the end.
 */
export function createTimingTracker(): TimingTracker {
  let wallDone = 0;
  let cpuDone = 0;
  let hasTiming = false;
  let runLine: string | null = null;
  let allRanksCpu: number | null = null;
  const round = (seconds: number): number => Math.round(seconds * 1000) / 1000;
  function runTotals(): [number, number] {
    const m = runLine === null ? null : TIMING.exec(runLine);
    return [toNumber(m?.[2]) ?? 0, toNumber(m?.[3]) ?? 0];
  }
  return {
    startRun() {
      const [wall, cpu] = runTotals();
      wallDone += wall;
      cpuDone += cpu;
      runLine = null;
    },
    push(line) {
      runLine = line;
      hasTiming = true;
      return line.includes(" ERR ") && TIMING.exec(line)?.[1] === "ERR";
    },
    setAllRanksCpu(seconds) {
      allRanksCpu = seconds;
    },
    result() {
      const [wall, cpu] = runTotals();
      return {
        cpu_seconds: allRanksCpu ?? (hasTiming ? round(cpuDone + cpu) : null),
        wall_seconds: hasTiming ? round(wallDone + wall) : null,
      };
    },
  };
}

/** The primitive cell CRYSTAL last printed: its volume and its atom count. */
export interface CellTracker {
  /** Reads `PRIMITIVE CELL - CENTRING CODE 5/0 VOLUME=    18.747822 - DENSITY ...`. */
  primitive(line: string): void;
  /** Reads `ATOMS IN THE ASYMMETRIC UNIT    2 - ATOMS IN THE UNIT CELL:    2`. */
  atoms(line: string): void;
  result(): { primitive_volume_a3: number | null; atoms_in_cell: number | null };
}

/** Creates a tracker of the primitive cell; the last print wins (an optimisation reprints it). */
export function createCellTracker(): CellTracker {
  let volume: number | null = null;
  let atoms: number | null = null;
  return {
    primitive(line) {
      const match = /VOLUME=\s*([0-9.]+)/.exec(line);
      if (match) volume = Number(match[1]);
    },
    atoms(line) {
      const match = /ATOMS IN THE UNIT CELL:\s*([0-9]+)/.exec(line);
      if (match) atoms = Number(match[1]);
    },
    result: () => ({ primitive_volume_a3: volume, atoms_in_cell: atoms }),
  };
}
