import { z } from "zod";
import { loadCatalog } from "../../templates/catalog.ts";
import { PARAMETER_TYPES } from "../../templates/template_file.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";

const SCALAR = z.union([z.number(), z.string(), z.boolean()]);

/** A template's declared parameter, as listed. */
export const PARAMETER = z.strictObject({
  type: z.enum(PARAMETER_TYPES),
  default: SCALAR.optional(),
  description: z.string(),
  min: z.number().optional(),
  max: z.number().optional(),
  options: z.array(z.union([z.string(), z.number()])).optional(),
});

/** `templates.list`: the built-in and user templates, broken ones with their problems. */
export const list = defineMethod({
  name: "templates.list",
  summary: "List the deck templates: built-in and the user's, broken ones with their problems",
  description: "Built-in templates are part of the daemon. User templates are the <name>.yml " +
    "files of the templates directory ([templates] dir, by default crystalmath/templates/ " +
    "under XDG_CONFIG_HOME), and override a built-in of the same name. A template that cannot " +
    "be read, checked or parsed is listed with its problems and cannot be rendered. The " +
    "directory is read at each call, so an edited file counts at once.",
  params: z.strictObject({}),
  result: z.strictObject({
    templates: z.array(z.strictObject({
      name: z.string().describe("The file's stem; what templates.render takes"),
      title: z.string().describe("A short title"),
      description: z.string().describe("What the deck computes"),
      source: z.enum(["builtin", "user"]).describe("Where it comes from"),
      deck: z.enum(["d12", "d3"]).describe("The deck it writes: a .d12 or a properties .d3"),
      parameters: z.record(z.string(), PARAMETER).describe("Its parameters, by name"),
      tags: z.array(z.string()).describe("Free-form labels"),
      problems: z.array(z.string()).optional().describe("Why it cannot be rendered"),
    })).describe("Every template, by name"),
    dir: z.string().nullable().describe("The user templates directory read; null: none"),
    dir_problem: z.string().optional().describe("Why the directory could not be read"),
  }),
  errors: ["template_error"],
  examples: [{
    name: "the built-ins and one broken user file",
    params: {},
    result: {
      templates: [{
        name: "my_scan",
        title: "my_scan",
        description: "",
        source: "user",
        deck: "d12",
        parameters: {},
        tags: [],
        problems: ["template: Invalid input: expected string, received undefined"],
      }, {
        name: "single_point",
        title: "Single point",
        description: "One SCF energy at a fixed geometry",
        source: "builtin",
        deck: "d12",
        parameters: {
          shrink: {
            type: "integer",
            default: 0,
            description: "SHRINK IS (ISP = 2 IS); 0 takes it from the structure's cell",
            min: 0,
            max: 64,
          },
        },
        tags: ["scf"],
      }],
      dir: "/home/user/.config/crystalmath/templates",
    },
  }],
  async handler(_params, ctx: MethodContext) {
    const catalog = await loadCatalog({ dir: ctx.config.templatesDir, renderer: ctx.templates });
    return {
      templates: catalog.entries.map((entry) => ({
        name: entry.name,
        title: entry.template?.title ?? entry.name,
        description: entry.template?.description ?? "",
        source: entry.source,
        deck: entry.template?.deck ?? "d12",
        parameters: entry.template?.parameters ?? {},
        tags: entry.template?.tags ?? [],
        ...(entry.problems.length > 0 ? { problems: entry.problems } : {}),
      })),
      dir: catalog.dir.path,
      ...(catalog.dir.problem === null ? {} : { dir_problem: catalog.dir.problem }),
    };
  },
});
