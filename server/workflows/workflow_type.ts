/**
 * The declaration of a workflow type: its params, summary, members and analysis, in one place.
 * `workflows.available`, the `workflows.create_*` methods (and so discovery, CLI help and the
 * README table) and the engine all read it.
 *
 * @module
 */
import type { BandsPlotSpec } from "../plots/bands_plot.ts";
import type { PlotSpec } from "../plots/svg_plot.ts";
import type { z } from "zod";
import type { Deck } from "../crystal/deck.ts";
import type { JobResults } from "../jobs/outcome.ts";
import type { JobRow } from "../model/job.ts";
import type { MemberPlan } from "../model/workflow.ts";

/** A member once its job has ended (or vanished), for the analysis. */
export interface MemberOutcome {
  key: string;
  name: string;
  meta: Record<string, unknown>;
  /** Its job; undefined when the job was deleted. */
  job: JobRow | undefined;
  results: JobResults;
  /** The files of the type's `reads` found in the job's directory, by the names as declared. */
  files?: Record<string, string>;
}

/** The job a study starts from (source_job_pk), for a type that can build on what it left. */
export interface SourceJob {
  job: JobRow;
  results: JobResults;
  /** Its wave function (fort.9) is there to restart from: here, or on its cluster. */
  has_wave_function: boolean;
}

/** What an analysis gives: the result and the warnings to show beside it. */
export interface Analysis<R = Record<string, unknown>> {
  result: R;
  warnings: string[];
}

/** The study cannot be analysed; the message names the members at fault. */
export class WorkflowFailure extends Error {
  override name = "WorkflowFailure";
}

/** One workflow type. */
export interface WorkflowType<
  T extends string = string,
  P extends z.ZodObject = z.ZodObject,
  R extends z.ZodObject = z.ZodObject,
> {
  /** The type's name: `workflows.create_<type>` creates one. */
  type: T;
  /** One line. */
  summary: string;
  /** What it runs and how it analyses, for discovery and help. */
  description: string;
  /** The params of this type, beside the common ones (name, base_input ...). */
  params: P;
  /** The analysed result. */
  result: R;
  /**
   * The members, from the params and the base deck. Pure.
   * @throws {InvalidParamsError} when the params do not fit the deck
   */
  plan(
    params: z.output<P>,
    base: { deck: Deck; name: string; source?: SourceJob | undefined },
  ): MemberPlan[];
  /**
   * Files the analysis reads from each member's job directory, `{output}` standing for the job's
   * output name: they come to `analyse` and `plot` in MemberOutcome.files.
   */
  reads?: readonly string[];
  /**
   * Analyses the study once every member has ended.
   * @throws {WorkflowFailure} naming the members when it cannot be analysed
   */
  analyse(params: z.output<P>, members: readonly MemberOutcome[]): Analysis<z.output<R>>;
  /** What the plot of a result shows; workflows.plot draws it as SVG. */
  plot(
    result: z.output<R>,
    params: z.output<P>,
    members?: readonly MemberOutcome[],
  ): PlotSpec | BandsPlotSpec;
  /** A worked example of the type's own params and its result. */
  example: { params: z.input<P>; result: z.output<R> };
}

/** Declares a workflow type: an identity function for inference. */
export function defineWorkflowType<
  const T extends string,
  P extends z.ZodObject,
  R extends z.ZodObject,
>(
  def: WorkflowType<T, P, R>,
): WorkflowType<T, P, R> {
  return def;
}

/** "job 12 (failed: SCF not converged)", or "no job" for a member whose job is gone. */
export function memberStatus(member: MemberOutcome): string {
  const { job } = member;
  if (job === undefined) return "its job was deleted";
  const why = job.state_reason ?? job.error_snippet;
  return `job ${job.pk} ${job.state}${why ? `: ${why}` : ""}`;
}
