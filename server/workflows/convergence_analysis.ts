/**
 * The analysis of a convergence scan, pure: energies per atom, each point's difference to the
 * densest one, and the converged value. The rule (issue 11): the converged value is the smallest
 * v_i such that |E_j − E_i| ≤ threshold for every denser v_j in the scan; when only the densest
 * value qualifies, the scan is not converged.
 *
 * @module
 */
import { HARTREE_IN_MEV } from "./eos_fit.ts";

/** A scanned value: a SHRINK IS, five TOLINTEG integers or a basis set name. */
export type ScanValue = number | number[] | string;

/** One finished point of the scan, in scan order (coarsest first). */
export interface ScanPoint {
  value: ScanValue;
  pk: number;
  energy_ha: number;
  /** The atoms in the cell CRYSTAL prints (ATOMS IN THE UNIT CELL). */
  atoms: number;
  cpu_seconds: number | null;
}

/** The analysed scan. */
export interface ConvergenceResult {
  points: {
    value: ScanValue;
    pk: number;
    energy_ha: number;
    energy_per_atom_ha: number;
    delta_mev_per_atom: number;
    cpu_seconds: number | null;
  }[];
  converged_value: ScanValue | null;
  recommendation: string;
}

function show(value: ScanValue): string {
  return Array.isArray(value) ? value.join(" ") : String(value);
}

/**
 * Analyses a scan ordered from the cheapest value to the most accurate.
 * @throws {RangeError} for an empty scan
 */
export function analyseConvergence(
  points: readonly ScanPoint[],
  options: { threshold_mev_per_atom: number; parameter: string },
): ConvergenceResult {
  const last = points.at(-1);
  if (last === undefined) throw new RangeError("A convergence scan needs at least one point");
  const perAtom = points.map((p) => p.energy_ha / p.atoms);
  const mev = perAtom.map((e) => e * HARTREE_IN_MEV);
  const densest = mev.at(-1)!;
  const threshold = options.threshold_mev_per_atom;
  const first = mev.findIndex((e, i) =>
    mev.slice(i + 1).every((later) => Math.abs(later - e) <= threshold)
  );
  const isConverged = first < points.length - 1;
  const value = isConverged ? points[first]!.value : null;
  const name = options.parameter.toUpperCase();
  const recommendation = value !== null
    ? `Use ${name} ${
      show(value)
    }: every denser value in the scan is within ${threshold} meV/atom of it`
    : points.length === 1
    ? `Not converged: a scan of one value proves nothing; add denser values of ${name}`
    : `Not converged: ${name} ${show(points.at(-2)!.value)} and ${show(last.value)} differ by ` +
      `${Math.abs(mev.at(-2)! - densest).toFixed(3)} meV/atom; extend the scan beyond ${
        show(last.value)
      }`;
  return {
    points: points.map((p, i) => ({
      value: p.value,
      pk: p.pk,
      energy_ha: p.energy_ha,
      energy_per_atom_ha: perAtom[i]!,
      delta_mev_per_atom: mev[i]! - densest,
      cpu_seconds: p.cpu_seconds,
    })),
    converged_value: value,
    recommendation,
  };
}
