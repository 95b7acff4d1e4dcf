import { z } from "zod";
import { providersOf } from "../../materials/providers.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";

/** `materials.providers`: the OPTIMADE databases materials.search asks. */
export const providers = defineMethod({
  name: "materials.providers",
  summary: "List the OPTIMADE providers materials.search asks",
  description: "The built-in list (mp, oqmd, cod, alexandria-pbe, jarvis), or the one " +
    "[materials] optimade_providers in config.toml replaces it with.",
  params: z.strictObject({}),
  result: z.strictObject({
    providers: z.array(z.strictObject({ id: z.string(), base_url: z.string() })),
    source: z.enum(["builtin", "config"]).describe("Where the list comes from"),
    timeout_s: z.number().describe("How long each provider gets for one search"),
  }),
  errors: [],
  examples: [{
    name: "the built-in list",
    params: {},
    result: {
      providers: [
        { id: "mp", base_url: "https://optimade.materialsproject.org" },
        { id: "oqmd", base_url: "https://oqmd.org/optimade/" },
        { id: "cod", base_url: "https://www.crystallography.net/cod/optimade" },
        { id: "alexandria-pbe", base_url: "https://alexandria.icams.rub.de/pbe" },
        { id: "jarvis", base_url: "https://jarvis.nist.gov/optimade/jarvisdft" },
      ],
      source: "builtin",
      timeout_s: 10,
    },
  }],
  handler(_params, ctx: MethodContext) {
    const { providers, source } = providersOf(ctx.config.materials);
    return Promise.resolve({
      providers: providers.map((p) => ({ id: p.id, base_url: p.baseUrl })),
      source,
      timeout_s: ctx.config.materials.timeoutMs / 1000,
    });
  },
});
