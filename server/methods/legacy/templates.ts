/**
 * The UI's template methods (tui-contract §7): the template browser's list and a render, on
 * templates.list and templates.render.
 *
 * @module
 */
import { z } from "zod";
import { list } from "../templates/list.ts";
import { render } from "../templates/render.ts";
import { defineLegacy } from "./define_legacy.ts";
import { parsePayload } from "./shapes.ts";

const PARAMETER = z.strictObject({
  name: z.string(),
  type: z.string(),
  description: z.string(),
  default: z.union([z.number(), z.string(), z.boolean()]).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  options: z.array(z.string()).optional(),
  required: z.boolean(),
});

const TEMPLATE = z.strictObject({
  name: z.string(),
  version: z.string(),
  description: z.string(),
  author: z.string(),
  input_template: z.string(),
  tags: z.array(z.string()),
  parameters: z.record(z.string(), PARAMETER),
  includes: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
});

/** `list_templates`: the template browser. */
export const listLegacyTemplates = defineLegacy({
  name: "list_templates",
  summary: "The UI's template browser: every template that can be rendered",
  description: "templates.list, without the templates that have problems (the UI has nowhere to " +
    "show them). parameters is a map by name; options are strings; a parameter without a " +
    "default is required; input_template, which the UI never shows, is empty; " +
    "metadata holds title, source and deck.",
  backing: ["templates.list"],
  envelope: "api",
  params: z.strictObject({}),
  value: z.array(TEMPLATE),
  errors: ["template_error"],
  examples: [{
    name: "one built-in",
    params: {},
    value: [{
      name: "density_of_states",
      version: "1",
      description: "A properties (.d3) deck for the total density of states",
      author: "",
      input_template: "",
      tags: ["properties", "dos"],
      parameters: {
        shrink: {
          name: "shrink",
          type: "integer",
          description: "NEWK IS (ISP = 2 IS)",
          default: 12,
          min: 1,
          max: 64,
          required: false,
        },
      },
      includes: [],
      metadata: { title: "Density of states", source: "builtin", deck: "d3" },
    }],
  }],
  async run(_params, call) {
    const { templates } = await call(list, {});
    return templates.filter((t) => t.problems === undefined).map((t) => ({
      name: t.name,
      version: "1",
      description: t.description,
      author: "",
      input_template: "",
      tags: t.tags,
      parameters: Object.fromEntries(
        Object.entries(t.parameters).map(([name, p]) => [name, {
          name,
          type: p.type,
          description: p.description,
          ...(p.default === undefined ? {} : { default: p.default }),
          ...(p.min === undefined ? {} : { min: p.min }),
          ...(p.max === undefined ? {} : { max: p.max }),
          ...(p.options === undefined ? {} : { options: p.options.map(String) }),
          required: p.default === undefined,
        }]),
      ),
      includes: [],
      metadata: { title: t.title, source: t.source, deck: t.deck },
    }));
  },
});

/** `render_template`: a template's text. */
export const renderLegacyTemplate = defineLegacy({
  name: "render_template",
  summary: "The UI's template render: the deck text",
  description: "templates.render with the params given as a JSON object in params_json; answers " +
    "the text alone.",
  backing: ["templates.render"],
  envelope: "api",
  params: z.strictObject({
    template_name: z.string().describe("The template's name"),
    params_json: z.string().max(1024 * 1024).describe("Its params, a JSON object as text"),
  }),
  value: z.string(),
  errors: ["not_found", "template_error"],
  examples: [{
    name: "a density of states",
    params: { template_name: "density_of_states", params_json: '{"shrink":16}' },
    value: "NEWK\n16 32\n1 0\nDOSS\n0 600 1 26 1 12 0\nEND\n",
  }],
  async run(params, call) {
    const values = parsePayload(
      z.record(z.string(), z.unknown()),
      "params_json",
      params.params_json,
    );
    const out = await call(render, { name: params.template_name, params: values });
    return out.text;
  },
});
