/**
 * Equation-of-state fits, pure: the third-order Birch–Murnaghan curve by linear least squares in
 * x = V^(-2/3) (BM3 is exactly a cubic in x, so the linear fit is the exact least-squares BM3
 * fit), and the Vinet curve by a small Levenberg–Marquardt solve started from the BM3 answer.
 * Energies in Hartree and volumes in Å³, both for the same cell; B0 is returned in GPa.
 *
 * The formulas for V0, B0 and B0' from the cubic's derivatives are pymatgen's (analysis/eos.py,
 * `DeltaFactor`/`NumericalEOS`); the Vinet form is Vinet et al., J. Phys. C 19, L467 (1986), as
 * pymatgen writes it. See ../shared/docs/materials-workflows.md §3.2.
 *
 * @module
 */

/** Hartree per Å³ in GPa: 4.3597447222071e-18 J / 1e-30 m³ (CODATA 2018). */
export const HA_PER_A3_IN_GPA = 4359.7447222071;
/** Hartree in meV (CODATA 2018). */
export const HARTREE_IN_MEV = 27211.386245988;
/** The fewest points a fit takes: four parameters. */
export const MIN_EOS_POINTS = 4;

/** One fitted curve. */
export interface EosParameters {
  /** Volume at the minimum, Å³ per cell. */
  v0: number;
  /** Energy at the minimum, Ha per cell. */
  e0: number;
  /** Bulk modulus at V0, GPa. */
  b0_gpa: number;
  /** Its pressure derivative, dimensionless. */
  b0_prime: number;
}

/** A fit and how well it matches. */
export interface EosFit extends EosParameters {
  /** Root mean square of E(fit) − E, Ha per cell. */
  rms_residual_ha: number;
  /** Largest |E(fit) − E|, Ha per cell. */
  max_residual_ha: number;
}

/** Third-order Birch–Murnaghan energy at `v` (B0 in GPa). */
export function birchMurnaghanEnergy(p: EosParameters, v: number): number {
  const b0 = p.b0_gpa / HA_PER_A3_IN_GPA;
  const f = (p.v0 / v) ** (2 / 3) - 1;
  return p.e0 + (9 * p.v0 * b0 / 16) * (f ** 3 * p.b0_prime + f ** 2 * (6 - 4 * (f + 1)));
}

/** Vinet energy at `v` (B0 in GPa). */
export function vinetEnergy(p: EosParameters, v: number): number {
  const b0 = p.b0_gpa / HA_PER_A3_IN_GPA;
  const eta = (v / p.v0) ** (1 / 3);
  const k = p.b0_prime - 1;
  return p.e0 + (2 * b0 * p.v0 / (k * k)) *
      (2 - (5 + 3 * p.b0_prime * (eta - 1) - 3 * eta) * Math.exp(-1.5 * k * (eta - 1)));
}

function checkPoints(volumes: readonly number[], energies: readonly number[]): void {
  if (volumes.length !== energies.length) {
    throw new RangeError(`${volumes.length} volumes but ${energies.length} energies`);
  }
  if (volumes.length < MIN_EOS_POINTS) {
    throw new RangeError(
      `An EOS fit needs at least ${MIN_EOS_POINTS} points, not ${volumes.length}`,
    );
  }
  const bad = volumes.findIndex((v, i) => !(v > 0) || !Number.isFinite(energies[i]!));
  if (bad >= 0) throw new RangeError(`Point ${bad + 1} has no positive volume and finite energy`);
  if (new Set(volumes).size < MIN_EOS_POINTS) {
    throw new RangeError(`An EOS fit needs at least ${MIN_EOS_POINTS} different volumes`);
  }
}

/**
 * Least squares min |A c − b| by Householder QR; `columns` holds A's columns. Normal equations
 * would square the condition number of the polynomial basis and lose the digits that matter.
 */
export function leastSquares(columns: readonly Float64Array[], b: ArrayLike<number>): number[] {
  const n = b.length;
  const m = columns.length;
  const a = columns.map((c) => Float64Array.from(c));
  const y = Float64Array.from(b);
  for (let k = 0; k < m; k++) {
    const col = a[k]!;
    let norm = 0;
    for (let i = k; i < n; i++) norm += col[i]! * col[i]!;
    norm = Math.sqrt(norm);
    if (norm === 0) throw new RangeError("The fit's design matrix is rank deficient");
    const alpha = col[k]! > 0 ? -norm : norm;
    const v = new Float64Array(n);
    for (let i = k; i < n; i++) v[i] = col[i]!;
    v[k]! -= alpha;
    let vv = 0;
    for (let i = k; i < n; i++) vv += v[i]! * v[i]!;
    const reflect = (x: Float64Array) => {
      let dot = 0;
      for (let i = k; i < n; i++) dot += v[i]! * x[i]!;
      const s = 2 * dot / vv;
      for (let i = k; i < n; i++) x[i]! -= s * v[i]!;
    };
    for (let j = k; j < m; j++) reflect(a[j]!);
    reflect(y);
  }
  const c = new Array<number>(m).fill(0);
  for (let k = m - 1; k >= 0; k--) {
    let s = y[k]!;
    for (let j = k + 1; j < m; j++) s -= a[j]![k]! * c[j]!;
    c[k] = s / a[k]![k]!;
  }
  return c;
}

function residuals(
  model: (v: number) => number,
  volumes: readonly number[],
  energies: readonly number[],
): { rms: number; max: number } {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < volumes.length; i++) {
    const r = Math.abs(model(volumes[i]!) - energies[i]!);
    sum += r * r;
    max = Math.max(max, r);
  }
  return { rms: Math.sqrt(sum / volumes.length), max };
}

/**
 * The third-order Birch–Murnaghan fit, exact in the least-squares sense.
 * @throws {RangeError} with fewer than 4 points, or when the cubic has no minimum
 */
export function fitBirchMurnaghan(volumes: readonly number[], energies: readonly number[]): EosFit {
  checkPoints(volumes, energies);
  const n = volumes.length;
  const x = volumes.map((v) => v ** (-2 / 3));
  const mean = x.reduce((s, value) => s + value, 0) / n;
  const eMean = energies.reduce((s, value) => s + value, 0) / n;
  // A centred, scaled variable keeps the columns of similar size and well conditioned.
  const t = x.map((value) => value / mean - 1);
  const columns = [0, 1, 2, 3].map((k) => Float64Array.from(t, (value) => value ** k));
  const [c0, c1, c2, c3] = leastSquares(columns, energies.map((e) => e - eMean)) as [
    number,
    number,
    number,
    number,
  ];
  // p'(t) = c1 + 2 c2 t + 3 c3 t²: the minimum is the root where p''(t) = 2 c2 + 6 c3 t > 0.
  const roots = quadraticRoots(3 * c3, 2 * c2, c1).filter((r) => 2 * c2 + 6 * c3 * r > 0 && r > -1);
  const t0 = roots.sort((p, q) => Math.abs(p) - Math.abs(q))[0];
  if (t0 === undefined) throw new RangeError("The Birch-Murnaghan cubic has no minimum");
  const x0 = mean * (1 + t0);
  const d2x = (2 * c2 + 6 * c3 * t0) / (mean * mean);
  const d3x = 6 * c3 / (mean * mean * mean);
  const d2v = (4 / 9) * x0 ** 5 * d2x;
  const d3v = (-20 / 9) * x0 ** 6.5 * d2x - (8 / 27) * x0 ** 7.5 * d3x;
  const v0 = x0 ** -1.5;
  const params: EosParameters = {
    v0,
    e0: eMean + c0 + c1 * t0 + c2 * t0 * t0 + c3 * t0 ** 3,
    b0_gpa: d2v * v0 * HA_PER_A3_IN_GPA,
    b0_prime: -1 - v0 * d3v / d2v,
  };
  const r = residuals((v) => birchMurnaghanEnergy(params, v), volumes, energies);
  return { ...params, rms_residual_ha: r.rms, max_residual_ha: r.max };
}

function quadraticRoots(a: number, b: number, c: number): number[] {
  if (a === 0) return b === 0 ? [] : [-c / b];
  const disc = b * b - 4 * a * c;
  if (disc < 0) return [];
  // The stable form: no cancellation between b and the square root.
  const q = -0.5 * (b + Math.sign(b || 1) * Math.sqrt(disc));
  return q === 0 ? [0] : [q / a, c / q];
}

/** Solves the 4x4 (or any small) system M d = g by Gaussian elimination with pivoting. */
function solveSmall(m: number[][], g: number[]): number[] | undefined {
  const n = g.length;
  const a = m.map((row, i) => [...row, g[i]!]);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i]![k]!) > Math.abs(a[p]![k]!)) p = i;
    if (a[p]![k] === 0) return undefined;
    [a[k], a[p]] = [a[p]!, a[k]!];
    for (let i = k + 1; i < n; i++) {
      const f = a[i]![k]! / a[k]![k]!;
      for (let j = k; j <= n; j++) a[i]![j]! -= f * a[k]![j]!;
    }
  }
  const d = new Array<number>(n).fill(0);
  for (let k = n - 1; k >= 0; k--) {
    let s = a[k]![n]!;
    for (let j = k + 1; j < n; j++) s -= a[k]![j]! * d[j]!;
    d[k] = s / a[k]![k]!;
  }
  return d;
}

/**
 * The Vinet fit by Levenberg–Marquardt (Marquardt's diagonal scaling, numerical Jacobian),
 * started from `start` (the BM3 fit).
 * @throws {RangeError} with fewer than 4 points, or when the solve does not converge
 */
export function fitVinet(
  volumes: readonly number[],
  energies: readonly number[],
  start: EosParameters,
): EosFit {
  checkPoints(volumes, energies);
  const n = volumes.length;
  const eMean = energies.reduce((s, value) => s + value, 0) / n;
  const y = energies.map((e) => e - eMean);
  // Parameters: e0 (shifted), v0, b0 (GPa), b0'. The shift keeps residual digits.
  const toParams = (q: readonly number[]): EosParameters => ({
    e0: q[0]!,
    v0: q[1]!,
    b0_gpa: q[2]!,
    b0_prime: q[3]!,
  });
  const cost = (q: readonly number[]) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (vinetEnergy(toParams(q), volumes[i]!) - y[i]!) ** 2;
    return s;
  };
  let q = [start.e0 - eMean, start.v0, start.b0_gpa, start.b0_prime];
  let current = cost(q);
  let lambda = 1e-3;
  let isConverged = false;
  for (let iteration = 0; iteration < 200 && !isConverged; iteration++) {
    const jac = q.map((value, k) => {
      const h = 1e-7 * Math.max(Math.abs(value), 1e-3);
      const up = [...q];
      const down = [...q];
      up[k] = value + h;
      down[k] = value - h;
      return volumes.map((v) =>
        (vinetEnergy(toParams(up), v) - vinetEnergy(toParams(down), v)) / (2 * h)
      );
    });
    const r = volumes.map((v, i) => vinetEnergy(toParams(q), v) - y[i]!);
    const jtj = jac.map((a) => jac.map((b) => a.reduce((s, value, i) => s + value * b[i]!, 0)));
    const jtr = jac.map((a) => -a.reduce((s, value, i) => s + value * r[i]!, 0));
    for (let tries = 0; tries < 30; tries++) {
      const damped = jtj.map((row, i) =>
        row.map((value, j) => i === j ? value * (1 + lambda) : value)
      );
      const step = solveSmall(damped, jtr);
      const next = step === undefined ? undefined : q.map((value, k) => value + step[k]!);
      const nextCost = next === undefined || !(next[1]! > 0) ? Infinity : cost(next);
      if (next !== undefined && nextCost <= current) {
        const relative = Math.max(
          ...step!.map((d, k) => Math.abs(d) / Math.max(Math.abs(q[k]!), 1e-12)),
        );
        isConverged = relative < 1e-12 || current - nextCost <= 1e-15 * Math.max(current, 1e-300);
        q = next;
        current = nextCost;
        lambda = Math.max(lambda / 10, 1e-12);
        break;
      }
      lambda *= 10;
      if (tries === 29) isConverged = true; // No step lowers the cost: a minimum, to precision.
    }
  }
  const params = toParams([q[0]! + eMean, q[1]!, q[2]!, q[3]!]);
  if (!Object.values(params).every(Number.isFinite)) {
    throw new RangeError("The Vinet fit did not converge");
  }
  const res = residuals((v) => vinetEnergy(params, v), volumes, energies);
  return { ...params, rms_residual_ha: res.rms, max_residual_ha: res.max };
}
