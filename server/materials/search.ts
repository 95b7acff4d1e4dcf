/**
 * A materials search across OPTIMADE providers: every provider at once, each under its own
 * deadline, so one that hangs or answers HTML is an entry in `errors` and never delays or spoils
 * the others. Space group and lattice are ours (moyo, conventional cell), not the provider's.
 *
 * @module
 */
import { cellAsWritten } from "../structures/d12_writer.ts";
import { MP_API_NAME, MP_ID, type MpApi, mpSummaries } from "./mp_api.ts";
import { entryKey, type MaterialsCache, searchKey, throughCache } from "./cache.ts";
import { structureFromOptimade } from "../structures/optimade.ts";
import { analyzeSymmetry, latticeParameters, SymmetryError } from "../structures/symmetry.ts";
import type { LatticeParameters } from "../structures/symmetry.ts";
import {
  type Entry,
  type Provider,
  ProviderError,
  searchProvider,
  type SearchQuery,
} from "./optimade_client.ts";

/** One material found. */
export interface MaterialHit {
  id: string;
  provider: string;
  entry_id: string;
  formula: string | null;
  nsites: number;
  space_group: { number: number; symbol: string } | null;
  lattice: LatticeParameters;
  warnings: string[];
  /** From the Materials Project API, when a key is configured: eV per atom. */
  energy_above_hull?: number | null;
  /** From the Materials Project API, when a key is configured: eV. */
  band_gap?: number | null;
}

/** What a search found, and which providers failed. */
export interface SearchResult {
  results: MaterialHit[];
  errors: { provider: string; message: string }[];
}

/** One entry as a hit, or why it cannot be one. */
async function hitOf(provider: string, entry: Entry): Promise<MaterialHit> {
  const structure = structureFromOptimade(entry.attributes);
  const formula = entry.attributes.chemical_formula_reduced;
  const base = {
    id: `${provider}:${entry.id}`,
    provider,
    entry_id: entry.id,
    formula: typeof formula === "string" ? formula : null,
    nsites: structure.sites.length,
    warnings: [...structure.warnings],
  };
  if (structure.problems.length > 0) {
    return {
      ...base,
      space_group: null,
      lattice: cellAsWritten(latticeParameters(structure.lattice)),
      warnings: [
        ...base.warnings,
        `not usable for a CRYSTAL deck as it is: ${
          structure.problems.join(", ")
        } (no symmetry found)`,
      ],
    };
  }
  try {
    const symmetry = await analyzeSymmetry(structure);
    return {
      ...base,
      space_group: { number: symmetry.number, symbol: symmetry.symbol },
      lattice: cellAsWritten(symmetry.lattice),
    };
  } catch (error) {
    if (!(error instanceof SymmetryError)) throw error;
    return {
      ...base,
      space_group: null,
      lattice: cellAsWritten(latticeParameters(structure.lattice)),
      warnings: [...base.warnings, error.message],
    };
  }
}

/** Asks every provider for `query` and gathers what they found and how they failed. */
export async function searchMaterials(
  query: SearchQuery,
  options: {
    providers: readonly Provider[];
    timeoutMs: number;
    cache?: MaterialsCache | undefined;
    refresh?: boolean | undefined;
    /** The Materials Project API, asked for the hits of provider "mp" when set. */
    mpApi?: MpApi | null | undefined;
  },
): Promise<SearchResult> {
  const answers = await Promise.all(options.providers.map(async (provider) => {
    try {
      const entries = await throughCache(
        options.cache,
        searchKey(provider, query),
        options.refresh ?? false,
        async () => {
          const value = await searchProvider(provider, query, { timeoutMs: options.timeoutMs });
          return { value, also: value.map((e) => ({ key: entryKey(provider, e.id), value: e })) };
        },
      );
      const results: MaterialHit[] = [];
      const errors: SearchResult["errors"] = [];
      for (const entry of entries) {
        try {
          results.push(await hitOf(provider.id, entry));
        } catch (error) {
          if (!(error instanceof TypeError)) throw error;
          errors.push({ provider: provider.id, message: `entry "${entry.id}": ${error.message}` });
        }
      }
      return { results, errors };
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      return { results: [], errors: [{ provider: provider.id, message: error.message }] };
    }
  }));
  const found = {
    results: answers.flatMap((a) => a.results),
    errors: answers.flatMap((a) => a.errors),
  };
  if (options.mpApi) {
    await addMpSummaries(found, { api: options.mpApi, timeoutMs: options.timeoutMs });
  }
  return found;
}

/** Adds energy above hull and band gap to the Materials Project's hits, in place. */
async function addMpSummaries(
  found: SearchResult,
  options: { api: MpApi; timeoutMs: number },
): Promise<void> {
  const hits = found.results.filter((hit) => hit.provider === "mp" && MP_ID.test(hit.entry_id));
  try {
    const summaries = await mpSummaries(options.api, {
      ids: hits.map((hit) => hit.entry_id),
      timeoutMs: options.timeoutMs,
    });
    for (const hit of hits) {
      const summary = summaries.get(hit.entry_id);
      hit.energy_above_hull = summary?.energy_above_hull ?? null;
      hit.band_gap = summary?.band_gap ?? null;
    }
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    found.errors.push({ provider: MP_API_NAME, message: error.message });
  }
}
