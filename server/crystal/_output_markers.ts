/**
 * Line matchers for the CRYSTAL output parser (`output_parser.ts`): numbers, the banner, the
 * optimisation and energy markers, band gaps and kill hints. Each matcher takes one line that the
 * parser has already dispatched on its first characters, so at most one or two regexes run per
 * line. Regexes are anchored on the text, never on column positions: spacing varies between
 * versions (domain brief §4).
 *
 * @module
 */

const BANNER = /^\s*\*\s+(CRYSTAL\d\d)\s+\*/;
const RELEASE = /public\s*:\s*(\S+)\s*-\s*(.*?)\s*\*?\s*$/;
const OPT_END = /OPT END\s*-\s*(\w+)\s*\*\s*E\(AU\):\s*(\S+)\s+POINTS\s+(\d+)/;
const OPT_POINT = /OPTIMIZATION\s*-\s*POINT\s+(\d+)/;
const OPT_STEP_ENERGY = /^\s*TOTAL ENERGY\([^)]*\)\(AU\)\(\s*\d+\)\s+(\S+)\s+DE \(AU\)/;
const DISPERSION_ENERGY = /^\s*TOTAL ENERGY \+ DISP(?: \+ GCP)? \(AU\)\s+(\S+)/;
const GAP = /GAP:\s*(-?\d+(?:\.\d*)?)\s*(\S*)/;

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

/** The index of a line's first character that is not a space or a tab, or -1. */
export function firstNonBlank(line: string): number {
  for (let i = 0; i < line.length; i++) {
    const code = line.charCodeAt(i);
    if (code !== 32 && code !== 9) return i;
  }
  return -1;
}
