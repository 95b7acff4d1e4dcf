import { z } from "zod";
import { loadCatalog } from "../../templates/catalog.ts";
import { renderTemplate } from "../../templates/render.ts";
import { TEMPLATE_NAME } from "../../templates/template_file.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import { STRUCTURE_SOURCE, structureOf } from "../materials/structure_source.ts";

/** `templates.render`: a template's text, checked by the deck parser. */
export const render = defineMethod({
  name: "templates.render",
  summary: "Render a deck template with checked params, optionally on a structure",
  description: "Params are checked against the template's parameters (a wrong type, an " +
    "out-of-range value or an unknown name is -32602 naming it) and its defaults fill the rest. " +
    "With structure (exactly one of material_id, cif, poscar or structure, as " +
    "materials.generate_d12 takes them), the template's structure variable holds the geometry " +
    "block written the way generate_d12 writes it, the SHRINK for the cell and the default band " +
    "path of its lattice; a structure whose CRYSTAL-block geometry fails the round trip gets " +
    "EXTERNAL there, and fort34 holds the file the deck reads. Rendering is plain text (no HTML escaping), in a worker that sees no " +
    "file and is stopped past 2 s. The text is then checked by the daemon's deck parser: valid " +
    "and problems say what it found.",
  params: z.strictObject({
    name: z.string().regex(TEMPLATE_NAME, "expected a template name").describe(
      "The template, as templates.list names it",
    ),
    params: z.record(z.string(), z.unknown()).default({}).describe(
      "Values of the template's parameters, by name",
    ),
    structure: z.strictObject({
      ...STRUCTURE_SOURCE,
      symprec: z.number().positive().max(1).optional().describe("Symmetry tolerance in Å"),
      geometry: z.enum(["auto", "external"]).optional().describe(
        "auto (default): the CRYSTAL block when it rebuilds the structure, else EXTERNAL; " +
          "external: always EXTERNAL, with its fort34",
      ),
    }).optional().describe("The structure whose geometry the deck takes"),
  }),
  result: z.strictObject({
    text: z.string().describe("The rendered deck"),
    valid: z.boolean().describe("True when the deck parser found nothing wrong"),
    problems: z.array(z.string()).describe("What the deck parser found, with line numbers"),
    warnings: z.array(z.string()).describe("What to know about the structure as written"),
    fort34: z.string().nullable().describe(
      "The fort.34 an EXTERNAL geometry reads (give it to jobs.submit as fort34), else null",
    ),
  }),
  errors: ["not_found", "template_error", "invalid_input_file", "provider_failed"],
  examples: [{
    name: "a density of states on a 16 16 mesh",
    params: { name: "density_of_states", params: { shrink: 16 } },
    result: {
      text: "NEWK\n16 32\n1 0\nDOSS\n0 600 1 26 1 12 0\nEND\n",
      valid: true,
      problems: [],
      warnings: [],
      fort34: null,
    },
  }],
  async handler(params, ctx: MethodContext) {
    const catalog = await loadCatalog({ dir: ctx.config.templatesDir, renderer: ctx.templates });
    const structure = params.structure === undefined
      ? undefined
      : await structureOf(params.structure, ctx);
    return await renderTemplate({ catalog, renderer: ctx.templates }, {
      name: params.name,
      params: params.params,
      structure,
      symprec: params.structure?.symprec,
      geometry: params.structure?.geometry,
    });
  },
});
