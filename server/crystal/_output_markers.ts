/**
 * Line matchers and small collectors for the CRYSTAL output parser (`output_parser.ts`). Each
 * matcher takes one line that the parser has already dispatched on its first characters, so at
 * most one or two regexes run per line. Regexes are anchored on the text, never on column
 * positions: spacing varies between versions (domain brief §4).
 *
 * @module
 */
import type {
  CrystalError,
  CrystalWarning,
  FinalGeometry,
  FrequencyMode,
  GeometryAtom,
  ScfSummary,
} from "./output_parser.ts";

const BANNER = /^\s*\*\s+(CRYSTAL\d\d)\s+\*/;
const RELEASE = /public\s*:\s*(\S+)\s*-\s*(.*?)\s*\*?\s*$/;
const TIMING = /^\s*T{10,}\s+(.*?)\s+TELAPSE\s+(\S+)\s+TCPU\s+(\S+)/;
const CYCLE = /^\s*CYC\s+(\d+)\s+ETOT\(AU\)\s+(\S+)/;
const SCF_ENDED = /SCF ENDED\s*-\s*(.*?)\s+E\(AU\)\s+(\S+)\s+CYCLES\s+(\d+)/;
const OPT_END = /OPT END\s*-\s*(\w+)\s*\*\s*E\(AU\):\s*(\S+)\s+POINTS\s+(\d+)/;
const OPT_POINT = /OPTIMIZATION\s*-\s*POINT\s+(\d+)/;
const OPT_STEP_ENERGY = /^\s*TOTAL ENERGY\([^)]*\)\(AU\)\(\s*\d+\)\s+(\S+)\s+DE \(AU\)/;
const DISPERSION_ENERGY = /^\s*TOTAL ENERGY \+ DISP(?: \+ GCP)? \(AU\)\s+(\S+)/;
const ROUTINE_LINE = /^\s*(?:ERROR|WARNING)\s*\*+\s*(.*?)\s*\*+\s*(.*?)\s*$/;
const GAP = /GAP:\s*(-?\d+(?:\.\d*)?)\s*(\S*)/;
const FREQUENCY_ROW =
  /^\s*(\d+)-\s*(\d+)\s+\S+\s+(-?\d+\.\d+)\s+-?\d+\.\d+\s*(?:\(\s*([^)]*?)\s*\))?\s*([AI])?\s*(?:\(\s*(-?\d+(?:\.\d*)?)\s*\))?\s*([AI])?\s*$/;
const ATOM_ROW = /^\s*\d+\s+([TF])\s+(\d+)\s+([A-Za-z]{1,2})\s+(\S+)\s+(\S+)\s+(\S+)\s*$/;
const SPACES = /\s+/g;
const SCF_ENERGY_CAP = 1000;
const WARNING_CAP = 50;
const ERROR_CAP = 100;
const WARNING_BOX_MAX_LINES = 8;

/** Parses a Fortran-printed number; null when it is not one. */
export function toNumber(text: string | undefined): number | null {
  if (text === undefined || text === "") return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** The integer that ends a line (`MAX NUMBER OF SCF CYCLES SET TO  200`). */
export function trailingInteger(line: string): number | null {
  return toNumber(/(-?\d+)\s*$/.exec(line)?.[1]);
}

/** The first integer in a text (`     50  CONVERGENCE ON DELTAP ...`). */
export function firstInteger(text: string): number | null {
  return toNumber(/-?\d+/.exec(text)?.[0]);
}

/** The program name of the boxed banner (`CRYSTAL17`), or null. */
export function matchBanner(line: string): string | null {
  return BANNER.exec(line)?.[1] ?? null;
}

/** The `public : 1.0.2 - March 1st, 2018` banner line: release and date. */
export function matchRelease(line: string): { release: string; date: string } | null {
  const m = RELEASE.exec(line);
  return m ? { release: m[1]!, date: m[2]! } : null;
}

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

/** A `* OPT END - CONVERGED * E(AU): <energy> POINTS <n> *` line. */
export function matchOptEnd(
  line: string,
): { isConverged: boolean; energy: number | null; points: number } | null {
  const m = OPT_END.exec(line);
  return m
    ? { isConverged: m[1] === "CONVERGED", energy: toNumber(m[2]), points: Number(m[3]) }
    : null;
}

/** The point number of a `... OPTIMIZATION - POINT   20` header. */
export function matchOptPoint(line: string): number | null {
  return toNumber(OPT_POINT.exec(line)?.[1]);
}

/** The energy of an optimisation step: `TOTAL ENERGY(HF)(AU)(   6) <energy> DE (AU) ...`. */
export function matchOptStepEnergy(line: string): number | null {
  return toNumber(OPT_STEP_ENERGY.exec(line)?.[1]);
}

/** The dispersion-corrected total: `TOTAL ENERGY + DISP (AU) <energy>` (also `+ DISP + GCP`). */
export function matchDispersionEnergy(line: string): number | null {
  return toNumber(DISPERSION_ENERGY.exec(line)?.[1]);
}

/** A band-gap line (`DIRECT ENERGY BAND GAP:   7.1237 eV`), converted to eV when printed in hartree. */
export function matchGapEv(line: string, hartreeToEv: number): number | null {
  const m = GAP.exec(line);
  const value = toNumber(m?.[1]);
  if (value === null) return null;
  const unit = m![2]!.toUpperCase();
  return unit === "AU" || unit.startsWith("HARTREE") ? value * hartreeToEv : value;
}

/** Why the run was killed, from a runtime or scheduler line (`forrtl: ... process killed (SIGTERM)`). */
export function matchKillHint(line: string, at: number): string | null {
  if (line.startsWith("forrtl", at) && line.includes("killed")) {
    return `the process was killed (${/\b(SIG[A-Z]+)\b/.exec(line)?.[1] ?? "signal"})`;
  }
  if (line.startsWith("=>>", at) && line.includes("walltime")) {
    return "the scheduler killed the job at its walltime";
  }
  if (!line.startsWith("slurmstepd", at)) return null;
  if (line.includes("TIME LIMIT")) return "SLURM cancelled the job at its time limit";
  return line.includes("oom-kill") ? "SLURM reported an out-of-memory kill" : null;
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

function collapse(text: string): string {
  return text.replace(SPACES, " ").trim();
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

/** Collects `ERROR ****` lines and warnings, deduplicated (every MPI rank may print them) and capped. */
export interface MessageLog {
  /** Reads an `ERROR **** ROUTINE **** message` line; false if it is not one. */
  error(line: string, lineNo: number): boolean;
  /** Reads a line starting with WARNING; a `WARNINGWARNING...` box opens, see {@link MessageLog.boxLine}. */
  warning(line: string, at: number, lineNo: number): void;
  isInBox(): boolean;
  /** Feeds a line inside a `WARNINGWARNING` box; the box becomes one warning. */
  boxLine(line: string, at: number): void;
  errors(): CrystalError[];
  warnings(): CrystalWarning[];
}

/** Creates a {@link MessageLog}. */
export function createMessageLog(): MessageLog {
  const errors: CrystalError[] = [];
  const errorKeys = new Set<string>();
  const warnings: CrystalWarning[] = [];
  const warningKeys = new Set<string>();
  let box: string[] | null = null;
  let boxStart = 0;

  function addWarning(message: string, line: number): void {
    if (message === "" || warningKeys.has(message) || warnings.length >= WARNING_CAP) return;
    warningKeys.add(message);
    warnings.push({ message, line });
  }

  return {
    error(line, lineNo) {
      const m = ROUTINE_LINE.exec(line);
      if (!m) return false;
      const [routine, message] = [m[1]!, collapse(m[2]!)];
      const key = `${routine}\u0000${message}`;
      if (!errorKeys.has(key) && errors.length < ERROR_CAP) {
        errorKeys.add(key);
        errors.push({ routine, message, line: lineNo });
      }
      return true;
    },
    warning(line, at, lineNo) {
      if (line.startsWith("WARNINGWARNING", at)) {
        box = [];
        boxStart = lineNo;
        return;
      }
      const m = ROUTINE_LINE.exec(line);
      const text = m
        ? [m[1]!, collapse(m[2]!)].filter((part) => part !== "").join(": ")
        : collapse(line.slice(at + 7).replace(/^[\s!:.-]+/, ""));
      addWarning(text, lineNo);
    },
    isInBox: () => box !== null,
    boxLine(line, at) {
      if (box === null || at < 0) return;
      const isClosing = line.startsWith("WARNINGWARNING", at);
      if (!isClosing) box.push(collapse(line));
      if (isClosing || box.length >= WARNING_BOX_MAX_LINES) {
        addWarning(box.join("; "), boxStart);
        box = null;
      }
    },
    errors: () => errors.map((error) => ({ ...error })),
    warnings: () => warnings.map((warning) => ({ ...warning })),
  };
}

/** The rows of the last harmonic (TO) frequency table: `4- 6 0.1156E-06 74.6367 2.2376 (Fu ) A ( 2.07) I`. */
export interface FrequencyTable {
  /** Starts a new table at its `MODES EIGV FREQUENCIES ...` header. */
  start(): void;
  isOpen(): boolean;
  /** Reads a line while the table is open; false (and the table closes) at its first non-row line. */
  push(line: string, at: number): boolean;
  modes(): FrequencyMode[];
}

/** Creates a {@link FrequencyTable}. */
export function createFrequencyTable(): FrequencyTable {
  let modes: FrequencyMode[] = [];
  let isOpen = false;
  return {
    start() {
      modes = [];
      isOpen = true;
    },
    isOpen: () => isOpen,
    push(line, at) {
      if (at < 0) {
        if (modes.length > 0) isOpen = false;
        return true;
      }
      if (line.charCodeAt(at) === 40) return true; // the "(HARTREE**2) (CM**-1) ..." units line
      const m = FREQUENCY_ROW.exec(line);
      const frequency = toNumber(m?.[3]);
      if (!m || frequency === null) {
        isOpen = false;
        return false;
      }
      const [first, last] = [Number(m[1]), Number(m[2])];
      const mode: FrequencyMode = {
        mode: first,
        degeneracy: last - first + 1,
        frequency_cm1: frequency,
        ir_intensity_km_mol: toNumber(m[6]),
      };
      if (m[4]) mode.irrep = m[4];
      if (m[5]) mode.ir_active = m[5] === "A";
      if (m[7]) mode.raman_active = m[7] === "A";
      modes.push(mode);
      return true;
    },
    modes: () => modes.map((mode) => ({ ...mode })),
  };
}

/** Reads the `FINAL OPTIMIZED GEOMETRY` block: primitive cell, volume and the asymmetric unit. */
export interface GeometryCollector {
  /** Starts at the `FINAL OPTIMIZED GEOMETRY - DIMENSIONALITY OF THE SYSTEM n` line. */
  start(line: string): void;
  isOpen(): boolean;
  /** Reads a line of the block; false if the line is not part of it (the caller dispatches it). */
  push(line: string, at: number): boolean;
  result(): FinalGeometry | null;
}

function atomRow(line: string): GeometryAtom | null {
  const m = ATOM_ROW.exec(line);
  const [x, y, z] = [toNumber(m?.[4]), toNumber(m?.[5]), toNumber(m?.[6])];
  if (!m || x === null || y === null || z === null) return null;
  const raw = m[3]!;
  return {
    atomic_number: Number(m[2]),
    symbol: raw.charAt(0).toUpperCase() + raw.slice(1).toLowerCase(),
    is_irreducible: m[1] === "T",
    x,
    y,
    z,
  };
}

/** Creates a {@link GeometryCollector}. */
export function createGeometryCollector(): GeometryCollector {
  let geometry: FinalGeometry | null = null;
  let state: "off" | "header" | "awaiting_atoms" | "atoms" = "off";
  let isCellNext = false;
  return {
    start(line) {
      geometry = {
        dimensionality: trailingInteger(line) ?? 3,
        cell: null,
        volume_a3: null,
        atoms: [],
      };
      state = "header";
      isCellNext = false;
    },
    isOpen: () => state !== "off",
    push(line, at) {
      if (geometry === null) return false;
      if (state === "atoms" || state === "awaiting_atoms") {
        const code = at >= 0 ? line.charCodeAt(at) : 0;
        const atom = code >= 48 && code <= 57 ? atomRow(line) : null;
        if (atom) geometry.atoms.push(atom);
        // The asymmetric unit ends at the first other line after its rows; the conventional
        // cell that follows repeats the atoms.
        if (atom) state = "atoms";
        else if (state === "atoms") state = "off";
        return atom !== null;
      }
      if (at < 0) return false;
      const values = isCellNext ? line.trim().split(SPACES).map(Number) : [];
      isCellNext = false;
      if (values.length === 6 && values.every(Number.isFinite)) {
        const [a, b, c, alpha, beta, gamma] = values as [
          number,
          number,
          number,
          number,
          number,
          number,
        ];
        geometry.cell = { a, b, c, alpha, beta, gamma };
      } else if (line.startsWith("PRIMITIVE CELL", at)) {
        geometry.volume_a3 = toNumber(/VOLUME=\s*(\S+)/.exec(line)?.[1]);
      } else if (line.startsWith("A ", at) && line.includes("ALPHA")) isCellNext = true;
      else if (line.startsWith("ATOMS IN THE ASYMMETRIC UNIT", at)) state = "awaiting_atoms";
      else return false;
      return true;
    },
    result() {
      if (geometry === null) return null;
      const { cell, atoms } = geometry;
      return { ...geometry, cell: cell && { ...cell }, atoms: atoms.map((atom) => ({ ...atom })) };
    },
  };
}
