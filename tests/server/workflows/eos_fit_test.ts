import assert from "node:assert/strict";
import {
  birchMurnaghanEnergy,
  type EosParameters,
  fitBirchMurnaghan,
  fitVinet,
  HA_PER_A3_IN_GPA,
  leastSquares,
  vinetEnergy,
} from "../../../server/workflows/eos_fit.ts";

/** MgO-like: the values of materials-workflows.md §3.2. */
const TRUE: EosParameters = { v0: 18.75, e0: -275.4485911, b0_gpa: 160, b0_prime: 4.1 };

function volumesAround(v0: number, count: number, from = 0.94, to = 1.06): number[] {
  return Array.from({ length: count }, (_, i) => v0 * (from + (to - from) * i / (count - 1)));
}

function close(actual: number, expected: number, relative: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= relative * Math.abs(expected),
    `${what}: ${actual} is not within ${relative} of ${expected}`,
  );
}

Deno.test("birchMurnaghanEnergy() is E0 at V0 and has curvature B0/V0 there", () => {
  assert.equal(birchMurnaghanEnergy(TRUE, TRUE.v0), TRUE.e0);
  // d²E/dV² at V0 = B0/V0 (B0 in Ha/Å³), by a central second difference.
  const h = 1e-3;
  const second = (birchMurnaghanEnergy(TRUE, TRUE.v0 + h) - 2 * TRUE.e0 +
    birchMurnaghanEnergy(TRUE, TRUE.v0 - h)) / (h * h);
  close(second, TRUE.b0_gpa / HA_PER_A3_IN_GPA / TRUE.v0, 1e-5, "curvature");
});

Deno.test("vinetEnergy() is E0 at V0 and has curvature B0/V0 there", () => {
  close(vinetEnergy(TRUE, TRUE.v0), TRUE.e0, 1e-15, "E0");
  const h = 1e-3;
  const second = (vinetEnergy(TRUE, TRUE.v0 + h) - 2 * vinetEnergy(TRUE, TRUE.v0) +
    vinetEnergy(TRUE, TRUE.v0 - h)) / (h * h);
  close(second, TRUE.b0_gpa / HA_PER_A3_IN_GPA / TRUE.v0, 1e-5, "curvature");
});

Deno.test("leastSquares() solves an exactly determined line and the mean of a constant fit", () => {
  // y = 2 + 3t through t = 0, 1: exact.
  const [a, b] = leastSquares([Float64Array.of(1, 1), Float64Array.of(0, 1)], [2, 5]);
  close(a!, 2, 1e-15, "intercept");
  close(b!, 3, 1e-15, "slope");
  // A constant fitted to 1, 2, 6 is their mean, 3.
  const [c] = leastSquares([Float64Array.of(1, 1, 1)], [1, 2, 6]);
  close(c!, 3, 1e-15, "mean");
});

Deno.test("fitBirchMurnaghan() recovers exact BM3 points to 1e-6", () => {
  for (const count of [4, 7, 1000]) {
    const volumes = volumesAround(TRUE.v0, count);
    const fit = fitBirchMurnaghan(volumes, volumes.map((v) => birchMurnaghanEnergy(TRUE, v)));
    close(fit.v0, TRUE.v0, 1e-6, `V0 (${count} points)`);
    close(fit.e0, TRUE.e0, 1e-12, `E0 (${count} points)`);
    close(fit.b0_gpa, TRUE.b0_gpa, 1e-6, `B0 (${count} points)`);
    close(fit.b0_prime, TRUE.b0_prime, 1e-6, `B0' (${count} points)`);
    assert.ok(fit.max_residual_ha < 1e-10, `residual ${fit.max_residual_ha}`);
  }
});

Deno.test("fitBirchMurnaghan() finds a minimum outside the sampled volumes", () => {
  const volumes = volumesAround(TRUE.v0, 6, 1.01, 1.08);
  const fit = fitBirchMurnaghan(volumes, volumes.map((v) => birchMurnaghanEnergy(TRUE, v)));
  close(fit.v0, TRUE.v0, 1e-6, "V0");
  assert.ok(fit.v0 < volumes[0]!);
});

Deno.test("fitBirchMurnaghan() refuses fewer than 4 points and 4 points on 3 volumes", () => {
  assert.throws(() => fitBirchMurnaghan([18, 19, 20], [-1, -1.1, -1]), /at least 4 points, not 3/);
  assert.throws(
    () => fitBirchMurnaghan([18, 19, 19, 20], [-1, -1.1, -1.1, -1]),
    /at least 4 different volumes/,
  );
});

Deno.test("fitBirchMurnaghan() refuses a curve with no minimum", () => {
  const volumes = [18, 19, 20, 21, 22];
  assert.throws(() => fitBirchMurnaghan(volumes, volumes.map((v) => -v)), /no minimum/);
});

Deno.test("fitVinet() recovers exact Vinet points from the BM3 fit as its start", () => {
  const volumes = volumesAround(TRUE.v0, 9);
  const energies = volumes.map((v) => vinetEnergy(TRUE, v));
  const start = fitBirchMurnaghan(volumes, energies);
  assert.ok(Math.abs(start.b0_prime - TRUE.b0_prime) > 1e-4, "the BM3 start is not the answer");
  const fit = fitVinet(volumes, energies, start);
  close(fit.v0, TRUE.v0, 1e-6, "V0");
  close(fit.e0, TRUE.e0, 1e-12, "E0");
  close(fit.b0_gpa, TRUE.b0_gpa, 1e-5, "B0");
  close(fit.b0_prime, TRUE.b0_prime, 1e-4, "B0'");
});

Deno.test("fitVinet() on BM3 points stays close to the BM3 parameters", () => {
  // Near V0 the two forms agree to second order: same V0 and B0 within a few tenths of a percent.
  const volumes = volumesAround(TRUE.v0, 7);
  const energies = volumes.map((v) => birchMurnaghanEnergy(TRUE, v));
  const fit = fitVinet(volumes, energies, fitBirchMurnaghan(volumes, energies));
  close(fit.v0, TRUE.v0, 1e-4, "V0");
  close(fit.b0_gpa, TRUE.b0_gpa, 5e-3, "B0");
  assert.ok(fit.rms_residual_ha < 1e-6);
});
