/**
 * The convergence study: one single point per value of SHRINK, TOLINTEG or the basis set, all at
 * once and everything else fixed, then the converged value by the rule of convergence_analysis.ts.
 *
 * @module
 */
import { z } from "zod";
import { writeDeck } from "../crystal/deck.ts";
import { InvalidParamsError } from "../errors.ts";
import type { MemberPlan } from "../model/workflow.ts";
import { analyseConvergence, type ScanPoint, type ScanValue } from "./convergence_analysis.ts";
import { asSinglePoint, shrinkOf, withBasisSet, withShrink, withTolinteg } from "./deck_edits.ts";
import { defineWorkflowType, memberStatus, WorkflowFailure } from "./workflow_type.ts";

const PARAMETERS = ["shrink", "tolinteg", "basis"] as const;
const VALUE = z.union([
  z.number().int().min(1).max(200),
  z.array(z.number().int().min(1).max(999)).length(5),
  z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_.+*()-]+$/, "must be a basis set name"),
]);
const POINT = z.strictObject({
  value: VALUE.describe("The scanned value"),
  pk: z.number().int().describe("Its job"),
  energy_ha: z.number().describe("Total energy, Ha per cell"),
  energy_per_atom_ha: z.number().describe("Total energy per atom, Ha"),
  delta_mev_per_atom: z.number().describe("E per atom minus that of the densest value, meV"),
  cpu_seconds: z.number().nullable().describe("CPU seconds CRYSTAL reports"),
});

function label(parameter: string, value: ScanValue): string {
  return `${parameter.toUpperCase()} ${Array.isArray(value) ? value.join(" ") : value}`;
}

/** The values in scan order, each checked against the parameter. */
function orderedValues(parameter: typeof PARAMETERS[number], values: readonly ScanValue[]) {
  const fits = {
    shrink: (v: ScanValue) => typeof v === "number",
    tolinteg: (v: ScanValue) => Array.isArray(v),
    basis: (v: ScanValue) => typeof v === "string",
  }[parameter];
  const wrong = values.find((v) => !fits(v));
  if (wrong !== undefined) {
    const what = { shrink: "an integer IS", tolinteg: "5 integers", basis: "a BASISSET name" };
    throw new InvalidParamsError(
      `Invalid values: ${JSON.stringify(wrong)} is not ${
        what[parameter]
      } for parameter ${parameter}`,
    );
  }
  const keys = values.map((v) => JSON.stringify(v));
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice !== undefined) throw new InvalidParamsError(`Invalid values: ${twice} is listed twice`);
  // SHRINK is ordered by density; TOLINTEG and basis sets are taken in the order given.
  return parameter === "shrink" ? [...values].sort((a, b) => Number(a) - Number(b)) : [...values];
}

/** The convergence workflow type. */
export const CONVERGENCE = defineWorkflowType({
  type: "convergence",
  summary: "Converge SHRINK, TOLINTEG or the basis set: one single point per value",
  description: "Creates one single-point job per value, all at once, with everything else in the " +
    "deck kept fixed (drivers such as OPTGEOM are removed). shrink sets SHRINK IS ISP keeping the " +
    "deck's ISP/IS ratio, and is scanned from the smallest IS up; tolinteg takes five integers and " +
    "basis BASISSET names, both from the cheapest to the most accurate, in the order given. The " +
    "energy per atom uses the atom count CRYSTAL prints. The converged value is the smallest v_i " +
    "such that |E_j - E_i| <= threshold for every denser v_j; if only the densest qualifies the " +
    "scan is not converged and the recommendation says to extend it. A failed point fails the " +
    "study, naming it.",
  params: z.strictObject({
    parameter: z.enum(PARAMETERS).describe("What to scan: shrink, tolinteg or basis"),
    values: z.array(VALUE).min(2).max(50).describe(
      "The values: IS integers for shrink, arrays of 5 integers for tolinteg, names for basis",
    ),
    threshold_mev_per_atom: z.number().positive().max(1000).default(1).describe(
      "Converged when every denser value is within this many meV per atom",
    ),
  }),
  result: z.strictObject({
    points: z.array(POINT).describe("The scan, coarsest first"),
    converged_value: VALUE.nullable().describe("The converged value, or null when not converged"),
    recommendation: z.string().describe("What to use, or how to extend the scan"),
  }),
  plan(params, base) {
    const values = orderedValues(params.parameter, params.values);
    if (params.parameter === "shrink") shrinkOf(base.deck); // A clear error before anything.
    return values.map((value, i): MemberPlan => {
      const title = `${base.name}: ${label(params.parameter, value)}`;
      const single = asSinglePoint(base.deck, title);
      const deck = params.parameter === "shrink"
        ? withShrink(single, value as number)
        : params.parameter === "tolinteg"
        ? withTolinteg(single, value as number[])
        : withBasisSet(single, value as string);
      return {
        key: `point-${i}`,
        name: `${base.name} ${label(params.parameter, value)}`.slice(0, 200),
        input: writeDeck(deck),
        depends_on: [],
        meta: { value },
      };
    });
  },
  analyse(params, members) {
    const bad = members.filter((m) =>
      m.job?.state !== "completed" || m.job.final_energy === null || !m.results.atoms_in_cell
    );
    if (bad.length > 0) {
      throw new WorkflowFailure(
        `Cannot analyse the scan: ${
          bad.map((m) =>
            `${label(params.parameter, m.meta["value"] as ScanValue)} (${memberStatus(m)})`
          )
            .join("; ")
        }`,
      );
    }
    const points = members.map((m): ScanPoint => ({
      value: m.meta["value"] as ScanValue,
      pk: m.job!.pk,
      energy_ha: m.job!.final_energy!,
      atoms: m.results.atoms_in_cell!,
      cpu_seconds: m.results.cpu_time_seconds,
    }));
    return { result: analyseConvergence(points, params), warnings: [] };
  },
  plot(result, params) {
    const isNumeric = params.parameter === "shrink";
    const xOf = (value: ScanValue, i: number) => isNumeric ? Number(value) : i + 1;
    const points = result.points.map((p, i) => [xOf(p.value, i), p.delta_mev_per_atom] as const);
    const converged = result.points.findIndex((p) =>
      JSON.stringify(p.value) === JSON.stringify(result.converged_value)
    );
    const t = params.threshold_mev_per_atom;
    return {
      title: `Convergence of ${params.parameter.toUpperCase()}`,
      x_label: params.parameter === "shrink" ? "SHRINK IS" : params.parameter.toUpperCase(),
      y_label: "E - E(densest) (meV/atom)",
      series: [
        { label: "ΔE per atom", points, style: "line", color: "#1f77b4" },
        { label: "points", points, style: "points", color: "#1f77b4" },
      ],
      band: { y0: -t, y1: t, label: `±${t} meV/atom` },
      ...(converged < 0 ? {} : {
        markers: [{ x: points[converged]![0], label: "converged" }],
      }),
      ...(isNumeric ? {} : {
        x_ticks: result.points.map((p, i) => ({
          x: i + 1,
          label: Array.isArray(p.value) ? p.value.join(" ") : String(p.value),
        })),
      }),
    };
  },
  example: {
    params: { parameter: "shrink", values: [4, 6, 8, 10, 12] },
    result: {
      points: [4, 6, 8, 10, 12].map((value, i) => ({
        value,
        pk: i + 1,
        energy_ha: [-275.4480, -275.44855, -275.44859, -275.448591, -275.4485911][i]!,
        energy_per_atom_ha: [-137.724, -137.724275, -137.724295, -137.7242955, -137.72429555][i]!,
        delta_mev_per_atom: [7.9, 0.41, 0.0014, 0.0001, 0][i]!,
        cpu_seconds: [3.1, 5.2, 8.5, 13.0, 19.4][i]!,
      })),
      converged_value: 6,
      recommendation: "Use SHRINK 6: every denser value in the scan is within 1 meV/atom of it",
    },
  },
});
