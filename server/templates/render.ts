/**
 * Rendering a template of the set: params checked against its parameters, the structure's
 * geometry filled in, the text rendered in the worker, then checked by the daemon's own deck
 * parser, which says whether CRYSTAL's reader would take it.
 *
 * @module
 */
import { parsePropertiesDeck, validateDeck } from "../crystal/deck.ts";
import { DeckSyntaxError } from "../crystal/deck.ts";
import { NotFoundError, TemplateError } from "../errors.ts";
import { checkBasisCoverage } from "../structures/generate_deck.ts";
import type { GeometryRoute } from "../structures/placement.ts";
import type { Structure } from "../structures/structure.ts";
import type { Catalog } from "./catalog.ts";
import { resolveParams } from "./params.ts";
import type { TemplateRenderer } from "./renderer.ts";
import { structureContext } from "./structure_context.ts";

/** A rendered template. */
export interface Rendered {
  text: string;
  /** True when the deck parser found nothing wrong. */
  valid: boolean;
  /** What the deck parser found, each with its line. */
  problems: string[];
  /** What to know about the structure as written (P1 fallback, basis coverage). */
  warnings: string[];
  /** The fort.34 the text's `EXTERNAL` geometry reads, else null. */
  fort34: string | null;
}

/** What the deck parser says of `text`: problems, empty when it reads. */
function deckProblems(text: string, deck: "d12" | "d3"): string[] {
  if (deck === "d12") {
    const result = validateDeck(text);
    return result.ok ? [] : [`line ${result.line}: ${result.reason}`];
  }
  try {
    parsePropertiesDeck(text);
    return [];
  } catch (error) {
    if (!(error instanceof DeckSyntaxError)) throw error;
    return [`line ${error.line}: ${error.reason}`];
  }
}

/**
 * Renders template `name`.
 * @throws {NotFoundError} for a name the set does not have
 * @throws {InvalidParamsError} naming a wrong parameter
 * @throws {TemplateError} for a broken template or a failed render
 */
export async function renderTemplate(
  set: { catalog: Catalog; renderer: TemplateRenderer },
  request: {
    name: string;
    params: Readonly<Record<string, unknown>>;
    structure?: Structure | undefined;
    symprec?: number | undefined;
    /** How the structure's geometry is written: "auto" (default) or "external". */
    geometry?: GeometryRoute | undefined;
  },
): Promise<Rendered> {
  const entry = set.catalog.entries.find((e) => e.name === request.name);
  if (entry === undefined) {
    throw new NotFoundError(`Template "${request.name}" does not exist`, {
      data: { name: request.name, known: set.catalog.entries.map((e) => e.name) },
    });
  }
  if (entry.template === null || entry.problems.length > 0) {
    throw new TemplateError(
      `Cannot render template "${request.name}": ${entry.problems.join("; ")}`,
      { data: { name: request.name, problems: entry.problems } },
    );
  }
  const template = entry.template;
  const values = resolveParams(template, request.params);
  const warnings: string[] = [];
  let structure = null;
  let fort34: string | null = null;
  if (request.structure !== undefined) {
    const built = await structureContext(request.structure, {
      symprec: request.symprec,
      geometry: request.geometry,
    });
    structure = built.context;
    fort34 = built.fort34;
    warnings.push(...built.warnings);
    if (typeof values.basis_set === "string") {
      const note = checkBasisCoverage(values.basis_set.toUpperCase(), request.structure);
      if (note !== null) warnings.push(note);
    }
  }
  const text = await set.renderer.render(set.catalog.files, {
    name: template.name,
    context: { ...values, structure },
  }).catch((error) => {
    throw new TemplateError(
      `Cannot render template "${request.name}": ${
        (error as Error).message.replace(/^Cannot render the template: /, "")
      }`,
      { data: { name: request.name }, cause: error },
    );
  });
  const problems = deckProblems(text, template.deck);
  return { text, valid: problems.length === 0, problems, warnings, fort34 };
}
