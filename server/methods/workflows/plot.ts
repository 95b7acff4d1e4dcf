import { z } from "zod";
import { findJob } from "../../db/jobs.ts";
import { getWorkflow, membersOf } from "../../db/workflows.ts";
import { InvalidParamsError, InvalidStateError } from "../../errors.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import { memberOutcomes } from "../../workflows/member_files.ts";
import {
  isDeclaredType,
  parseTypeParams,
  WORKFLOW_TYPES,
  workflowTypeOf,
} from "../../workflows/types.ts";
import type { MethodContext } from "../context.ts";
import { pkOfId, WORKFLOW_ID_PARAM } from "./_shapes.ts";

/** `workflows.plot`: the SVG of a completed study. */
export const plot = defineMethod({
  name: "workflows.plot",
  summary: "Plot a completed workflow's result as SVG",
  description: "EOS: the computed points, the Birch-Murnaghan curve and a V0 marker. " +
    "Convergence: E - E(densest) per atom against the value, with the threshold band and the " +
    "converged value marked. Phonon: a stick spectrum, IR intensity (or degeneracy without " +
    "INTENS) against frequency, imaginary modes in red at negative frequencies. Bands: E - E_F " +
    "along the k-path with its labels, the band edges marked, and the DOS beside it when there " +
    "is one (it reads the properties job's fort.25, so that job's directory must still be " +
    "there). The SVG is deterministic (fixed decimals, no random ids) and has xmlns and viewBox " +
    "set. A workflow without a result is invalid_state.",
  params: z.strictObject({
    id: WORKFLOW_ID_PARAM,
    kind: z.enum(WORKFLOW_TYPES.map((t) => t.type) as [string, ...string[]]).optional().describe(
      "The plot kind; each type has one, its own name",
    ),
  }),
  result: z.strictObject({ svg: z.string().describe("A standalone SVG document") }),
  errors: ["not_found", "invalid_state"],
  examples: [{
    name: "an EOS plot",
    params: { id: "wf-2" },
    result: { svg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 400">…</svg>\n' },
  }],
  async handler(params, ctx: MethodContext) {
    const row = getWorkflow(ctx.db, pkOfId(params.id));
    if (params.kind !== undefined && params.kind !== row.type) {
      throw new InvalidParamsError(
        `Cannot plot workflow "${params.id}" as ${params.kind}: it is a ${row.type} study`,
      );
    }
    if (row.result_json === null) {
      throw new InvalidStateError(
        `Cannot plot workflow "${params.id}": it is ${row.state} and has no result`,
        { data: { id: params.id, state: row.state } },
      );
    }
    if (!isDeclaredType(row.type)) {
      throw new InvalidStateError(
        `Cannot plot workflow "${params.id}": it ran in AiiDA (type ${row.type}); its outputs ` +
          "are in the AiiDA profile",
        { data: { id: params.id, type: row.type } },
      );
    }
    const type = workflowTypeOf(row.type);
    const stored = JSON.parse(row.params_json) as { params: unknown };
    const result = type.result.parse(JSON.parse(row.result_json));
    const members = type.reads === undefined ? [] : await memberOutcomes(
      membersOf(ctx.db, row.pk),
      (pk) => findJob(ctx.db, pk),
      type.reads,
    );
    // The drawing code (d3) is loaded by the first plot, not at start-up.
    const { renderPlot } = await import("../../plots/svg_plot.ts");
    return { svg: renderPlot(type.plot(result, parseTypeParams(type, stored.params), members)) };
  },
});
