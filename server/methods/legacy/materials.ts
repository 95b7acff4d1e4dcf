/**
 * The UI's materials methods (tui-contract §7): search, a structure preview and a deck, on the
 * dotted materials.* methods.
 *
 * @module
 */
import { z } from "zod";
import { ProviderFailedError } from "../../errors.ts";
import { generateD12 } from "../materials/generate_d12.ts";
import { get } from "../materials/get.ts";
import { search } from "../materials/search.ts";
import { CELL } from "../materials/shapes.ts";
import { latticeParameters } from "../../structures/symmetry.ts";
import { type Lattice, latticeDeterminant } from "../../structures/structure.ts";
import { defineLegacy, LegacyRefusal } from "./define_legacy.ts";
import { parsePayload } from "./shapes.ts";

/** An id the UI got from search_materials, or a bare Materials Project id. */
function materialId(id: string): string {
  return id.includes(":") ? id : `mp:${id}`;
}

/** `search_materials`: the editor's material search. */
export const searchMaterials = defineLegacy({
  name: "search_materials",
  summary: "The UI's material search by formula, over every OPTIMADE provider",
  description: 'materials.search. material_id is the daemon\'s "<provider>:<entry_id>"; ' +
    "metadata.space_group is the symbol the daemon found. Properties no provider serves are " +
    "left out. No results while a provider failed is SEARCH_FAILED, naming the failures.",
  backing: ["materials.search"],
  envelope: "api",
  params: z.strictObject({
    formula: z.string().describe("A formula, e.g. MgO"),
    limit: z.number().int().min(1).max(500).default(20).describe("At most this many"),
  }),
  value: z.array(z.strictObject({
    material_id: z.string(),
    formula: z.string().nullable(),
    formula_pretty: z.string().nullable(),
    source: z.string(),
    properties: z.record(z.string(), z.unknown()),
    metadata: z.record(z.string(), z.unknown()),
  })),
  errors: ["provider_failed"],
  examples: [{
    name: "MgO",
    params: { formula: "MgO", limit: 20 },
    value: [{
      material_id: "mp:mp-1265",
      formula: "MgO",
      formula_pretty: "MgO",
      source: "mp",
      properties: {},
      metadata: { space_group: "F m -3 m", space_group_number: 225, nsites: 2 },
    }],
  }],
  async run(params, call) {
    const { results, errors } = await call(search, {
      formula: params.formula,
      limit: params.limit,
    });
    // The UI shows only the list: an empty one while providers failed would read as "none".
    if (results.length === 0 && errors.length > 0) {
      throw new ProviderFailedError(
        `No results, and ${errors.length} provider(s) failed: ` +
          errors.map((e) => `${e.provider}: ${e.message}`).join("; "),
      );
    }
    return results.slice(0, params.limit).map((r) => ({
      material_id: r.id,
      formula: r.formula,
      formula_pretty: r.formula,
      source: r.provider,
      // What the Materials Project API added, when a key is configured.
      properties: {
        ...(typeof r.band_gap === "number" ? { band_gap: r.band_gap } : {}),
        ...(typeof r.energy_above_hull === "number"
          ? { energy_above_hull: r.energy_above_hull }
          : {}),
      },
      metadata: {
        ...(r.space_group
          ? { space_group: r.space_group.symbol, space_group_number: r.space_group.number }
          : {}),
        nsites: r.nsites,
      },
    }));
  },
});

/** `structures.preview`: the preview beside the search results. */
export const previewStructure = defineLegacy({
  name: "structures.preview",
  summary: "The UI's preview of a material: formula, sites, volume and cell",
  description: "materials.get; the cell is the provider's as given (Å, degrees), the volume " +
    "in Å³. Only source_type mp_id (an id from search_materials) is known.",
  backing: ["materials.get"],
  envelope: "api",
  params: z.strictObject({
    source_type: z.string().describe('Where the structure comes from: "mp_id"'),
    source_data: z.string().describe("The material id"),
  }),
  value: z.strictObject({
    formula: z.string(),
    reduced_formula: z.string(),
    num_sites: z.number().int(),
    volume: z.number(),
    lattice: CELL,
    species: z.array(z.string()),
    composition: z.record(z.string(), z.number().int()),
  }),
  errors: ["provider_failed"],
  examples: [{
    name: "rock salt",
    params: { source_type: "mp_id", source_data: "mp:mp-1265" },
    value: {
      formula: "MgO",
      reduced_formula: "MgO",
      num_sites: 2,
      volume: 18.65,
      lattice: { a: 2.977, b: 2.977, c: 2.977, alpha: 60, beta: 60, gamma: 60 },
      species: ["Mg", "O"],
      composition: { Mg: 1, O: 1 },
    },
  }],
  async run(params, call) {
    if (params.source_type !== "mp_id") {
      throw new LegacyRefusal(
        "VALIDATION_ERROR",
        `Cannot preview source_type "${params.source_type}": only mp_id is known`,
      );
    }
    const material = await call(get, { id: materialId(params.source_data) });
    const lattice = material.lattice as Lattice;
    const composition: Record<string, number> = {};
    for (const site of material.sites) {
      composition[site.element] = (composition[site.element] ?? 0) + 1;
    }
    const formula = material.formula ??
      Object.entries(composition).map(([el, n]) => (n === 1 ? el : `${el}${n}`)).join("");
    return {
      formula,
      reduced_formula: formula,
      num_sites: material.sites.length,
      volume: Math.abs(latticeDeterminant(lattice)),
      lattice: latticeParameters(lattice),
      species: Object.keys(composition),
      composition,
    };
  },
});

/** The UI's deck options, always the same four. */
const D12_CONFIG = z.looseObject({
  functional: z.string().optional(),
  basis_set: z.string().optional(),
  shrink: z.tuple([z.number().int(), z.number().int()]).optional(),
  optimize: z.boolean().optional(),
});

/** `generate_d12`: a deck for the editor. */
export const generateLegacyD12 = defineLegacy({
  name: "generate_d12",
  summary: "A complete .d12 deck for a material, for the UI's editor",
  description: "materials.generate_d12 with material_id from mp_id and the options in " +
    "config_json (functional, basis_set, shrink, optimize); answers the deck text. A structure " +
    "whose deck needs a fort.34 (EXTERNAL) is refused: the editor takes one file.",
  backing: ["materials.generate_d12"],
  envelope: "api",
  params: z.strictObject({
    mp_id: z.string().describe("A material id from search_materials"),
    config_json: z.string().default("{}").describe("Deck options as a JSON string"),
  }),
  value: z.string(),
  errors: ["invalid_input_file", "provider_failed"],
  examples: [{
    name: "rock salt",
    params: {
      mp_id: "mp:mp-1265",
      config_json: '{"functional":"PBE","basis_set":"POB-TZVP-REV2","shrink":[8,8],' +
        '"optimize":false}',
    },
    value: "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0 0 0\n8 0 0 0.5\nBASISSET\nPOB-TZVP-REV2\n" +
      "DFT\nPBE\nEND\nSHRINK\n8 8\nTOLDEE\n7\nEND\n",
  }],
  async run(params, call) {
    const config = parsePayload(D12_CONFIG, "config_json", params.config_json);
    const { d12, fort34, warnings } = await call(generateD12, {
      material_id: materialId(params.mp_id),
      ...(config.functional ? { functional: config.functional } : {}),
      ...(config.basis_set ? { basis_set: config.basis_set } : {}),
      ...(config.shrink ? { shrink: config.shrink } : {}),
      ...(config.optimize === undefined ? {} : { optimize: config.optimize }),
    });
    if (fort34 !== null) {
      throw new LegacyRefusal(
        "VALIDATION_ERROR",
        `Cannot open the deck of ${params.mp_id} in the editor: its geometry is EXTERNAL and ` +
          `needs a fort.34 beside it (${warnings.join("; ")}); use materials.generate_d12`,
      );
    }
    return d12;
  },
});
