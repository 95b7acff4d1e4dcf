/**
 * The equation-of-state study: one job per volume (lattice lengths scaled by s^(1/3), SHRINK and
 * every setting the same), relaxed at constant volume where the space group leaves the cell
 * shape or the positions free; then BM3 and Vinet fits of E(V) per primitive cell, as CRYSTAL
 * prints them.
 *
 * @module
 */
import { z } from "zod";
import { writeDeck } from "../crystal/deck.ts";
import { InvalidParamsError } from "../errors.ts";
import type { MemberPlan } from "../model/workflow.ts";
import { asSinglePoint, volumeRelaxation, withVolumeScaled } from "./deck_edits.ts";
import {
  birchMurnaghanEnergy,
  type EosFit,
  fitBirchMurnaghan,
  fitVinet,
  HARTREE_IN_MEV,
  MIN_EOS_POINTS,
} from "./eos_fit.ts";
import { defineWorkflowType, memberStatus, WorkflowFailure } from "./workflow_type.ts";

const FIT = z.strictObject({
  v0: z.number().describe("Å³ per primitive cell"),
  e0: z.number().describe("Ha per primitive cell"),
  b0_gpa: z.number().describe("Bulk modulus, GPa"),
  b0_prime: z.number().describe("dB/dP"),
  rms_residual_ha: z.number().describe("RMS of the fit's residuals, Ha"),
  max_residual_ha: z.number().describe("Largest |residual|, Ha"),
});

function scaleLabel(scale: number): string {
  return scale.toFixed(4);
}

/** The volume scale factors of the scan, evenly spaced. */
export function eosScales(count: number, range: readonly [number, number]): number[] {
  const [lo, hi] = range;
  return Array.from({ length: count }, (_, i) => lo + (hi - lo) * i / (count - 1));
}

/** The EOS workflow type. */
export const EOS = defineWorkflowType({
  type: "eos",
  summary: "Equation of state: energies at scaled volumes, Birch-Murnaghan and Vinet fits",
  description: "Creates one job per volume scale factor s (num_points evenly spaced over " +
    "volume_range), all at once: the lattice lengths are scaled by s^(1/3), angles, fractional " +
    "positions, SHRINK and every other setting kept. Where the space group leaves the cell shape " +
    "free (not cubic), each point relaxes at constant volume (OPTGEOM FULLOPTG CVOLOPT); in a " +
    "cubic group with a free atomic coordinate (one that is not a multiple of 1/8), the atoms " +
    "relax (OPTGEOM ATOMONLY). Volumes and energies are per primitive cell as CRYSTAL prints " +
    "them, in Å³ and Hartree. Fits: third-order Birch-Murnaghan by linear least squares in " +
    "V^(-2/3), and Vinet by Levenberg-Marquardt from it. With at least 4 completed points the " +
    "study is analysed and warns which points are missing; below that it fails, naming them. " +
    "It warns when V0 falls outside the sampled volumes.",
  params: z.strictObject({
    num_points: z.number().int().min(MIN_EOS_POINTS).max(50).default(7).describe(
      "Volumes to compute, at least 4",
    ),
    volume_range: z.tuple([z.number().min(0.5).max(2), z.number().min(0.5).max(2)]).default([
      0.94,
      1.06,
    ]).describe("Smallest and largest volume scale factor"),
  }),
  result: z.strictObject({
    v0: z.number().describe("Equilibrium volume (BM3), Å³ per primitive cell"),
    e0: z.number().describe("Energy at V0 (BM3), Ha per primitive cell"),
    b0_gpa: z.number().describe("Bulk modulus (BM3), GPa"),
    b0_prime: z.number().describe("Its pressure derivative (BM3)"),
    fits: z.strictObject({
      birch_murnaghan: FIT.describe("Third-order Birch-Murnaghan"),
      vinet: FIT.nullable().describe("Vinet, or null when it did not converge"),
    }),
    rms_residual_mev_per_atom: z.number().describe("RMS residual of the BM3 fit, meV per atom"),
    max_residual_mev_per_atom: z.number().describe("Largest BM3 residual, meV per atom"),
    points: z.array(z.strictObject({
      scale: z.number().describe("Volume scale factor"),
      volume: z.number().describe("Å³ per primitive cell, as CRYSTAL printed it"),
      energy_ha: z.number().describe("Ha per primitive cell"),
      pk: z.number().int().describe("Its job"),
    })).describe("The completed points"),
    warnings: z.array(z.string()).describe("Missing points, V0 outside the scan"),
  }),
  plan(params, base) {
    const [lo, hi] = params.volume_range;
    if (!(lo < hi)) {
      throw new InvalidParamsError(
        `Invalid volume_range: [${lo}, ${hi}] must go from the smaller factor to the larger`,
      );
    }
    const relaxed = volumeRelaxation(base.deck) !== "none";
    return eosScales(params.num_points, params.volume_range).map((scale): MemberPlan => {
      const title = `${base.name}: volume x ${scaleLabel(scale)}${relaxed ? " (relaxed)" : ""}`;
      return {
        key: `v-${scaleLabel(scale)}`,
        name: `${base.name} V x ${scaleLabel(scale)}`.slice(0, 200),
        input: writeDeck(withVolumeScaled(asSinglePoint(base.deck, title), scale)),
        depends_on: [],
        meta: { scale },
      };
    });
  },
  analyse(_params, members) {
    const isGood = (m: typeof members[number]) =>
      m.job?.state === "completed" && m.job.final_energy !== null &&
      m.results.primitive_volume_a3 !== null && m.results.atoms_in_cell !== null;
    const good = members.filter(isGood);
    const missing = members.filter((m) => !isGood(m)).map((m) =>
      `scale ${scaleLabel(m.meta["scale"] as number)} (${memberStatus(m)})`
    );
    if (good.length < MIN_EOS_POINTS) {
      throw new WorkflowFailure(
        `Cannot fit the equation of state: ${good.length} of ${members.length} points completed, ` +
          `at least ${MIN_EOS_POINTS} are needed; missing: ${missing.join("; ")}`,
      );
    }
    const points = good.map((m) => ({
      scale: m.meta["scale"] as number,
      volume: m.results.primitive_volume_a3!,
      energy_ha: m.job!.final_energy!,
      pk: m.job!.pk,
    }));
    const atoms = good[0]!.results.atoms_in_cell!;
    const volumes = points.map((p) => p.volume);
    const energies = points.map((p) => p.energy_ha);
    let bm: EosFit;
    try {
      bm = fitBirchMurnaghan(volumes, energies);
    } catch (error) {
      throw new WorkflowFailure(`Cannot fit the equation of state: ${(error as Error).message}`);
    }
    const warnings = missing.length === 0 ? [] : [
      `${missing.length} of ${members.length} points are missing from the fit: ${
        missing.join("; ")
      }`,
    ];
    let vinet: EosFit | null = null;
    try {
      vinet = fitVinet(volumes, energies, bm);
    } catch (error) {
      warnings.push(`The Vinet fit failed: ${(error as Error).message}`);
    }
    const [vMin, vMax] = [Math.min(...volumes), Math.max(...volumes)];
    if (bm.v0 < vMin || bm.v0 > vMax) {
      warnings.push(
        `V0 = ${bm.v0.toFixed(4)} Å³ is outside the sampled volumes [${vMin.toFixed(4)}, ` +
          `${vMax.toFixed(4)}]: center the scan on it`,
      );
    }
    const perAtom = (ha: number) => ha * HARTREE_IN_MEV / atoms;
    return {
      result: {
        v0: bm.v0,
        e0: bm.e0,
        b0_gpa: bm.b0_gpa,
        b0_prime: bm.b0_prime,
        fits: { birch_murnaghan: bm, vinet },
        rms_residual_mev_per_atom: perAtom(bm.rms_residual_ha),
        max_residual_mev_per_atom: perAtom(bm.max_residual_ha),
        points,
        warnings,
      },
      warnings,
    };
  },
  plot(result) {
    const volumes = result.points.map((p) => p.volume);
    const lo = Math.min(...volumes, result.v0);
    const hi = Math.max(...volumes, result.v0);
    const curve = Array.from({ length: 101 }, (_, i) => {
      const v = lo + (hi - lo) * i / 100;
      return [
        v,
        (birchMurnaghanEnergy(result.fits.birch_murnaghan, v) - result.e0) * 1000,
      ] as const;
    });
    return {
      title: "Equation of state",
      x_label: "Volume per primitive cell (Å³)",
      y_label: "E - E0 (mHa per cell)",
      series: [
        { label: "Birch-Murnaghan", points: curve, style: "line", color: "#1f77b4" },
        {
          label: "CRYSTAL",
          points: result.points.map((p) => [p.volume, (p.energy_ha - result.e0) * 1000] as const),
          style: "points",
          color: "#ff7f0e",
        },
      ],
      markers: [{ x: result.v0, label: `V0 ${result.v0.toFixed(3)}` }],
    };
  },
  example: {
    params: { num_points: 7, volume_range: [0.94, 1.06] },
    result: {
      v0: 18.75,
      e0: -275.4485911,
      b0_gpa: 160,
      b0_prime: 4.1,
      fits: {
        birch_murnaghan: {
          v0: 18.75,
          e0: -275.4485911,
          b0_gpa: 160,
          b0_prime: 4.1,
          rms_residual_ha: 1e-11,
          max_residual_ha: 2e-11,
        },
        vinet: {
          v0: 18.7501,
          e0: -275.4485911,
          b0_gpa: 160.1,
          b0_prime: 4.12,
          rms_residual_ha: 2e-8,
          max_residual_ha: 4e-8,
        },
      },
      rms_residual_mev_per_atom: 1.4e-7,
      max_residual_mev_per_atom: 2.7e-7,
      points: [0.94, 0.96, 0.98, 1, 1.02, 1.04, 1.06].map((scale, i) => ({
        scale,
        volume: 18.65 * scale,
        energy_ha: [
          -275.44744,
          -275.44818,
          -275.44851,
          -275.44859,
          -275.44844,
          -275.4481,
          -275.44758,
        ][i]!,
        pk: i + 1,
      })),
      warnings: [],
    },
  },
});
