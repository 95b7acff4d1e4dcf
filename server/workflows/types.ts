/**
 * Every workflow type, declared once each, and the pure "prepare only" path that builds the
 * member decks of a study without creating anything.
 *
 * @module
 */
import type { z } from "zod";
import { validateDeck } from "../crystal/deck.ts";
import { CrystalInputInvalidError, InvalidParamsError } from "../errors.ts";
import type { MemberPlan } from "../model/workflow.ts";
import { CONVERGENCE } from "./convergence.ts";
import { BANDS } from "./bands.ts";
import { EOS } from "./eos.ts";
import { PHONON } from "./phonon.ts";
import type { SourceJob, WorkflowType } from "./workflow_type.ts";

/** Every workflow type, in the order workflows.available lists them. */
export const WORKFLOW_TYPES = [CONVERGENCE, EOS, PHONON, BANDS] as const;

/** The name of a workflow type. */
export type WorkflowTypeName = typeof WORKFLOW_TYPES[number]["type"];

/** Whether `type` is declared here (workflows of other types, AiiDA's, run elsewhere). */
export function isDeclaredType(type: string): boolean {
  return WORKFLOW_TYPES.some((t) => t.type === type);
}

/** The declaration of `type`. @throws {InvalidParamsError} for an unknown type */
export function workflowTypeOf(type: string): WorkflowType {
  const found = WORKFLOW_TYPES.find((t) => t.type === type);
  if (found === undefined) {
    throw new InvalidParamsError(
      `Unknown workflow type "${type}": use one of ${WORKFLOW_TYPES.map((t) => t.type).join(", ")}`,
    );
  }
  return found as unknown as WorkflowType;
}

/** A type's params, parsed and with defaults. @throws {InvalidParamsError} naming the issue */
export function parseTypeParams(type: WorkflowType, params: unknown): z.output<z.ZodObject> {
  const parsed = type.params.safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidParamsError(
      `Invalid ${type.type} params: ${issue.path.join(".") || "params"}: ${issue.message}`,
      { data: { issues: parsed.error.issues } },
    );
  }
  return parsed.data;
}

/**
 * Plans a study's members from its type, its own params and the base deck. Pure: nothing is
 * recorded and no job is made, so it also serves "prepare only" clients.
 * @throws {CrystalInputInvalidError} when the base deck cannot be read
 * @throws {InvalidParamsError} when the params are wrong or do not fit the deck
 */
export function planWorkflow(
  type: string,
  options: { params: unknown; base_input: string; name: string; source?: SourceJob | undefined },
): { type: WorkflowType; params: z.output<z.ZodObject>; members: MemberPlan[] } {
  const declared = workflowTypeOf(type);
  const params = parseTypeParams(declared, options.params);
  const checked = validateDeck(options.base_input);
  if (!checked.ok) {
    throw new CrystalInputInvalidError(
      `Invalid base deck: line ${checked.line}: ${checked.reason}`,
      { data: { line: checked.line, reason: checked.reason } },
    );
  }
  const members = declared.plan(params, {
    deck: checked.deck,
    name: options.name,
    source: options.source,
  });
  const earlier = new Set<string>();
  for (const member of members) {
    // The engine makes members in plan order: a member depends on earlier ones only, and takes
    // restart files from one it waits for. Anything else is a bug in the type's plan.
    const wrong = member.depends_on.find((key) => !earlier.has(key));
    if (
      wrong !== undefined ||
      (member.restart_from !== undefined && !member.depends_on.includes(member.restart_from))
    ) {
      throw new Error(
        `Member "${member.key}" depends on or restarts from a member not planned before it`,
      );
    }
    earlier.add(member.key);
    const again = validateDeck(member.input);
    if (!again.ok) {
      // The edits keep a readable deck readable; this would be a bug in a deck edit.
      throw new CrystalInputInvalidError(
        `Cannot build member "${member.name}": line ${again.line}: ${again.reason}`,
      );
    }
  }
  return { type: declared, params, members };
}

/** The member decks of a study, as files a client can write: `{name, content}` each. */
export function prepareWorkflowInputs(
  type: string,
  options: { params: unknown; base_input: string; name: string },
): { inputs: { name: string; content: string }[] } {
  const { members } = planWorkflow(type, options);
  // A properties-only member is no deck to run alone: it reads its SCF's fort.9.
  return {
    inputs: members.filter((m) => !m.properties_only).map((m) => ({
      name: m.name,
      content: m.input,
    })),
  };
}
