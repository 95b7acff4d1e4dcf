/**
 * The Materials Project's own API, asked only when a key is configured, for what OPTIMADE does
 * not carry: energy above the convex hull and band gap of its entries. A failure there is one
 * more entry in a search's errors and never loses the OPTIMADE results.
 *
 * @module
 */
import { getJson, ProviderError, underDeadline } from "./optimade_client.ts";

/** Where the API is and the key it takes (32 characters). */
export interface MpApi {
  baseUrl: string;
  key: string;
}

/** The API's answer for one material. */
export interface MpSummary {
  /** eV per atom above the convex hull. */
  energy_above_hull: number | null;
  /** eV. */
  band_gap: number | null;
}

/** The provider name a failure of the API is reported under. */
export const MP_API_NAME = "mp-api";

/** A Materials Project id, as the API takes it. */
export const MP_ID = /^mp-\d+$/;

/** The summaries of `ids`, by id. @throws {ProviderError} naming what failed */
export async function mpSummaries(
  api: MpApi,
  request: { ids: readonly string[]; timeoutMs: number },
): Promise<Map<string, MpSummary>> {
  const ids = request.ids.filter((id) => MP_ID.test(id));
  if (ids.length === 0) return new Map();
  const provider = { id: MP_API_NAME, baseUrl: api.baseUrl };
  const options = { timeoutMs: request.timeoutMs, headers: { "x-api-key": api.key } };
  return await underDeadline(provider, options, async (base, resolved, signal) => {
    const url = `${base}/materials/summary/?material_ids=${ids.join(",")}` +
      `&_fields=material_id,energy_above_hull,band_gap&_limit=${ids.length}`;
    const body = await getJson(url, resolved, signal);
    if (!Array.isArray(body.data)) throw new ProviderError(`its answer to ${url} has no data list`);
    const found = new Map<string, MpSummary>();
    for (const item of body.data as unknown[]) {
      const doc = (item ?? {}) as Record<string, unknown>;
      if (typeof doc.material_id !== "string") continue;
      const number = (v: unknown) => typeof v === "number" && Number.isFinite(v) ? v : null;
      found.set(doc.material_id, {
        energy_above_hull: number(doc.energy_above_hull),
        band_gap: number(doc.band_gap),
      });
    }
    return found;
  });
}
