/**
 * The `workflows.create_<type>` method of a workflow type, derived from its declaration: the
 * common params followed by the type's own, its description, and an example built from the
 * type's example.
 *
 * @module
 */
import type { z } from "zod";
import { parseDeck } from "../../crystal/deck.ts";
import { clusterFor } from "../../engine/submit_job.ts";
import { workflowIdOf } from "../../model/workflow.ts";
import { defineMethod, type MethodDef } from "../../rpc/define_method.ts";
import { loadSource } from "../../workflows/source_job.ts";
import { planWorkflow } from "../../workflows/types.ts";
import type { WorkflowType } from "../../workflows/workflow_type.ts";
import type { MethodContext } from "../context.ts";
import { checkOneBase, COMMON_PARAMS, CREATED } from "./_shapes.ts";

const EXAMPLE_DECK =
  "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\nBASISSET\nPOB-TZVP\n" +
  "SHRINK\n8 8\nTOLDEE\n8\nEND\n";

/** The params of a create method: the common ones, then the type's own. */
type CreateParams<P extends z.ZodObject> = ReturnType<typeof COMMON_PARAMS.extend<P["shape"]>>;

/** The create method of `type`. */
export function createMethodFor<
  const T extends string,
  P extends z.ZodObject,
  R extends z.ZodObject,
>(
  type: WorkflowType<T, P, R>,
): MethodDef<`workflows.create_${T}`, CreateParams<P>, typeof CREATED, MethodContext> {
  const params: CreateParams<P> = COMMON_PARAMS.extend(type.params.shape as P["shape"]);
  const own = Object.keys(type.params.shape);
  const count = type.plan(type.params.parse(type.example.params), {
    deck: parseDeck(EXAMPLE_DECK),
    name: "mgo",
  }).length;
  return defineMethod({
    name: `workflows.create_${type.type}` as `workflows.create_${T}`,
    summary: type.summary,
    description: `${type.description} Give exactly one of base_input and source_job_pk (that ` +
      "job's deck; when it is a geometry optimisation, at the optimised geometry its output " +
      "prints, and invalid_state until it has converged). Every member is a job carrying the workflow's id in workflow_id, on the " +
      "runner (and cluster) given; workflows.get shows the study and, once analysed, its result.",
    params,
    result: CREATED,
    errors: ["invalid_input_file", "not_found", "invalid_state", "ssh_failed", "slurm_rejected"],
    examples: [{
      name: `a ${type.type} study of MgO`,
      params: { name: "mgo", base_input: EXAMPLE_DECK, ...type.example.params } as z.input<
        typeof params
      >,
      result: { workflow_id: "wf-1", jobs: Array.from({ length: count }, (_, i) => i + 1) },
    }],
    async handler(params, ctx: MethodContext) {
      const input = params as unknown as z.output<typeof COMMON_PARAMS>;
      checkOneBase(input);
      const record = params as Record<string, unknown>;
      const typeParams = Object.fromEntries(own.map((key) => [key, record[key]]));
      const from = input.source_job_pk === undefined
        ? undefined
        : await loadSource(ctx.engine.store, input.source_job_pk);
      const base = input.base_input ?? from!.base_input;
      const target = {
        name: input.name,
        runner: input.runner,
        cluster_id: input.cluster_id,
        resources: input.resources,
        source_job_pk: input.source_job_pk,
      };
      // Refuse a wrong runner or cluster before anything is recorded.
      clusterFor(ctx.engine, { ...target, input: base });
      const plan = planWorkflow(type.type, {
        params: typeParams,
        base_input: base,
        name: input.name,
        source: from?.source,
      });
      const { row, jobs } = await ctx.workflows.create({
        type: type.type,
        target,
        params: plan.params,
        members: plan.members,
      });
      return { workflow_id: workflowIdOf(row.pk), jobs };
    },
  });
}
