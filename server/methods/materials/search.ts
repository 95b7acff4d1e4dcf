import { z } from "zod";
import { InvalidParamsError } from "../../errors.ts";
import { FormulaError, parseFormula, reducedFormula } from "../../materials/formula.ts";
import { providersOf } from "../../materials/providers.ts";
import { searchMaterials } from "../../materials/search.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import { atomicNumber } from "../../structures/elements.ts";
import type { MethodContext } from "../context.ts";
import { cacheOf } from "./_cache.ts";
import { CELL } from "./shapes.ts";

/** `materials.search`: structures from every configured OPTIMADE provider at once. */
export const search = defineMethod({
  name: "materials.search",
  summary: "Search the OPTIMADE providers for structures by formula or elements",
  description: "Asks every provider at once, each within [materials] timeout_s, following " +
    "links.next, honouring meta.request_delay and retrying a 429 up to 3 times; a provider " +
    "that fails is an entry in errors and does not spoil the others. A formula is matched as " +
    "the reduced formula and its elements (HAS ALL plus nelements, which every provider " +
    "serves); a query needing a property a provider's /v1/info/structures does not list fails " +
    "for that provider. space_group and lattice are the daemon's (moyo, conventional cell), " +
    "not the provider's; a disordered entry is listed with a warning and no space group. " +
    "With a Materials Project API key (MP_API_KEY or [materials] mp_api_key), the hits of " +
    "provider mp gain energy_above_hull and band_gap from its API; without one it is never asked. " +
    "Answers are cached for [materials] cache_days (30) and reused without asking, also " +
    "offline, unless refresh is set. HTTPS_PROXY and NO_PROXY are honoured.",
  params: z.strictObject({
    formula: z.string().min(1).max(200).optional().describe('A formula, e.g. "MgO" or "Fe2O3"'),
    elements: z.array(z.string()).min(1).max(20).optional().describe(
      "Elements every result contains",
    ),
    nelements: z.number().int().min(1).max(20).optional().describe("The exact number of elements"),
    providers: z.array(z.string()).min(1).optional().describe("Ask only these provider ids"),
    limit: z.number().int().min(1).max(500).default(20).describe("At most this many per provider"),
    refresh: z.boolean().default(false).describe(
      "Ask the providers even when the cache holds a fresh answer",
    ),
  }),
  result: z.strictObject({
    results: z.array(z.strictObject({
      id: z.string().describe('"<provider>:<entry_id>", for materials.get'),
      provider: z.string(),
      entry_id: z.string(),
      formula: z.string().nullable().describe("The provider's reduced formula"),
      nsites: z.number().int(),
      space_group: z.strictObject({ number: z.number().int(), symbol: z.string() }).nullable(),
      lattice: CELL.describe(
        "Conventional cell, Å and degrees (the given cell without symmetry)",
      ),
      warnings: z.array(z.string()),
      energy_above_hull: z.number().nullable().optional().describe(
        "eV per atom above the convex hull, from the Materials Project API (with a key, mp only)",
      ),
      band_gap: z.number().nullable().optional().describe(
        "Band gap in eV, from the Materials Project API (with a key, mp only)",
      ),
    })),
    errors: z.array(z.strictObject({ provider: z.string(), message: z.string() })),
  }),
  errors: [],
  examples: [{
    name: "rock salt, one provider answering",
    params: { formula: "MgO", providers: ["mp"], limit: 5 },
    result: {
      results: [{
        id: "mp:mp-1265",
        provider: "mp",
        entry_id: "mp-1265",
        formula: "MgO",
        nsites: 2,
        space_group: { number: 225, symbol: "F m -3 m" },
        lattice: { a: 4.21, b: 4.21, c: 4.21, alpha: 90, beta: 90, gamma: 90 },
        warnings: [],
      }],
      errors: [],
    },
  }],
  async handler(params, ctx: MethodContext) {
    if (params.formula === undefined && params.elements === undefined) {
      throw new InvalidParamsError("Cannot search: give a formula, elements, or both");
    }
    const bad = params.elements?.find((e) => atomicNumber(e) === undefined);
    if (bad !== undefined) {
      throw new InvalidParamsError(`Cannot search: "${bad}" is not an element symbol`);
    }
    let formula: string | undefined;
    let elements = params.elements;
    let nelements = params.nelements;
    if (params.formula !== undefined) {
      try {
        formula = reducedFormula(params.formula);
        const own = [...parseFormula(params.formula).keys()].sort();
        elements = [...new Set([...own, ...(elements ?? [])])].sort();
        nelements ??= own.length;
      } catch (error) {
        if (error instanceof FormulaError) throw new InvalidParamsError(error.message);
        throw error;
      }
    }
    const { providers } = providersOf(ctx.config.materials);
    const unknown = params.providers?.find((id) => !providers.some((p) => p.id === id));
    if (unknown !== undefined) {
      throw new InvalidParamsError(
        `Cannot search: no provider "${unknown}" (known: ${providers.map((p) => p.id).join(", ")})`,
      );
    }
    return await searchMaterials({ formula, elements, nelements, limit: params.limit }, {
      providers: providers.filter((p) => params.providers?.includes(p.id) ?? true),
      timeoutMs: ctx.config.materials.timeoutMs,
      cache: cacheOf(ctx),
      refresh: params.refresh,
      mpApi: ctx.config.materials.mpApi,
    });
  },
});
