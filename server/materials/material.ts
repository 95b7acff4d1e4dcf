/**
 * One material by its id, `"<provider>:<entry_id>"` as materials.search answers it, fetched from
 * its provider and read into our structure form.
 *
 * @module
 */
import type { MaterialsSettings } from "../config_file.ts";
import { InvalidParamsError, ProviderFailedError } from "../errors.ts";
import { structureFromOptimade } from "../structures/optimade.ts";
import type { Structure } from "../structures/structure.ts";
import { entryKey, type MaterialsCache, throughCache } from "./cache.ts";
import { fetchEntry, ProviderError } from "./optimade_client.ts";
import { providersOf } from "./providers.ts";

/** A material and where it came from. */
export interface Material {
  id: string;
  provider: string;
  entry_id: string;
  url: string;
  attributes: Record<string, unknown>;
  structure: Structure;
}

/**
 * Fetches the material `id` names.
 * @throws {InvalidParamsError} for an id that is not `<provider>:<entry_id>` of a known provider
 * @throws {ProviderFailedError} when the provider fails, lacks the entry or sends a bad one
 */
export async function fetchMaterial(
  id: string,
  settings: MaterialsSettings,
  options: { cache?: MaterialsCache | undefined; refresh?: boolean | undefined } = {},
): Promise<Material> {
  const colon = id.indexOf(":");
  const [providerId, entryId] = [id.slice(0, colon), id.slice(colon + 1)];
  const { providers } = providersOf(settings);
  const provider = providers.find((p) => p.id === providerId);
  if (colon < 1 || entryId === "" || provider === undefined) {
    throw new InvalidParamsError(
      `Cannot find material "${id}": expected "<provider>:<entry_id>" with a provider of ` +
        providers.map((p) => p.id).join(", "),
    );
  }
  try {
    const entry = await throughCache(
      options.cache,
      entryKey(provider, entryId),
      options.refresh ?? false,
      async () => ({
        value: await fetchEntry(provider, entryId, { timeoutMs: settings.timeoutMs }),
      }),
    );
    return {
      id,
      provider: provider.id,
      entry_id: entryId,
      url: `${provider.baseUrl.replace(/\/+$/, "")}/v1/structures/${encodeURIComponent(entryId)}`,
      attributes: entry.attributes,
      structure: structureFromOptimade(entry.attributes),
    };
  } catch (error) {
    if (error instanceof ProviderError || error instanceof TypeError) {
      throw new ProviderFailedError(`Cannot fetch material "${id}": ${error.message}`, {
        data: { provider: provider.id },
        cause: error,
      });
    }
    throw error;
  }
}
