import { z } from "zod";
import { fetchMaterial } from "../../materials/material.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import { cacheOf } from "./_cache.ts";

const VEC3 = z.array(z.number()).length(3);

/** `materials.get`: one material's whole structure, from its provider. */
export const get = defineMethod({
  name: "materials.get",
  summary: "Fetch one material's structure by the id materials.search gave",
  description: "Asks the provider for /v1/structures/<entry_id> and answers the cell (rows a, " +
    "b, c in Å) and every site in fractional coordinates, with what would stop a CRYSTAL deck " +
    "(problems) and where it came from (url). Entries seen by materials.search or fetched " +
    "before are answered from the cache for [materials] cache_days unless refresh is set.",
  params: z.strictObject({
    id: z.string().min(3).max(300).describe('"<provider>:<entry_id>", as materials.search gives'),
    refresh: z.boolean().default(false).describe("Ask the provider even when the entry is cached"),
  }),
  result: z.strictObject({
    id: z.string(),
    provider: z.string(),
    entry_id: z.string(),
    url: z.string().describe("Where the entry was read"),
    formula: z.string().nullable().describe("The provider's reduced formula"),
    lattice: z.array(VEC3).length(3).describe("Rows a, b, c, Å"),
    sites: z.array(z.strictObject({ element: z.string(), frac: VEC3 })),
    problems: z.array(z.string()).describe("What CRYSTAL cannot take: disorder, not_3d, ..."),
    warnings: z.array(z.string()),
  }),
  errors: ["provider_failed"],
  examples: [{
    name: "rock salt from mp",
    params: { id: "mp:mp-1265" },
    result: {
      id: "mp:mp-1265",
      provider: "mp",
      entry_id: "mp-1265",
      url: "https://optimade.materialsproject.org/v1/structures/mp-1265",
      formula: "MgO",
      lattice: [[0, 2.105, 2.105], [2.105, 0, 2.105], [2.105, 2.105, 0]],
      sites: [{ element: "Mg", frac: [0, 0, 0] }, { element: "O", frac: [0.5, 0.5, 0.5] }],
      problems: [],
      warnings: [],
    },
  }],
  async handler(params, ctx: MethodContext) {
    const material = await fetchMaterial(params.id, ctx.config.materials, {
      cache: cacheOf(ctx),
      refresh: params.refresh,
    });
    const formula = material.attributes.chemical_formula_reduced;
    return {
      id: material.id,
      provider: material.provider,
      entry_id: material.entry_id,
      url: material.url,
      formula: typeof formula === "string" ? formula : null,
      lattice: material.structure.lattice.map((row) => [...row]),
      sites: material.structure.sites.map((s) => ({ element: s.element, frac: [...s.frac] })),
      problems: [...material.structure.problems],
      warnings: [...material.structure.warnings],
    };
  },
});
