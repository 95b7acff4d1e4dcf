/**
 * The materials cache policy: an answer fetched within `[materials] cache_days` is used without
 * asking the network unless the caller asks to refresh; a fresh answer is stored, and what
 * expired is dropped. A cache that cannot be written costs speed, never the answer.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { readCached, writeCached } from "../db/cache.ts";
import type { Database } from "../db/open.ts";
import { DatabaseError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Provider } from "./optimade_client.ts";

/** Where answers are kept, and for how long. */
export interface MaterialsCache {
  db: Database;
  clock: Clock;
  log: Logger;
  days: number;
  busyBudgetMs: number;
}

const DAY_MS = 86_400_000;
/** The prefix of every materials key in the cache table. */
const PREFIX = "materials\t";

/** The cache key of a provider's search answer. */
export function searchKey(provider: Provider, query: unknown): string {
  return `${PREFIX}search\t${provider.id}\t${provider.baseUrl}\t${JSON.stringify(query)}`;
}

/** The cache key of one entry of a provider. */
export function entryKey(provider: Provider, entryId: string): string {
  return `${PREFIX}entry\t${provider.id}\t${provider.baseUrl}\t${entryId}`;
}

/**
 * The answer under `key`: from the cache when fresh and not `refresh`, else from `fetch`, which
 * may give more values to store beside it (each entry of a search, for materials.get).
 */
export async function throughCache<T>(
  cache: MaterialsCache | undefined,
  key: string,
  refresh: boolean,
  fetch: () => Promise<{ value: T; also?: { key: string; value: unknown }[] }>,
): Promise<T> {
  const now = cache?.clock.now().getTime() ?? 0;
  const expired = new Date(now - (cache?.days ?? 0) * DAY_MS).toISOString();
  if (cache !== undefined && cache.days > 0 && !refresh) {
    let hit: unknown;
    try {
      hit = readCached(cache.db, key, expired);
    } catch (error) {
      // A cache that cannot be read is no cache: ask the provider.
      cache.log.warn("Cannot read the materials cache", { key, error });
    }
    if (hit !== undefined) return hit as T;
  }
  const { value, also = [] } = await fetch();
  if (cache !== undefined && cache.days > 0) {
    try {
      await cache.db.write(
        (db) =>
          writeCached(db, [{ key, value }, ...also], {
            at: new Date(now).toISOString(),
            expired,
            prefix: PREFIX,
          }),
        cache.busyBudgetMs,
      );
    } catch (error) {
      if (!(error instanceof DatabaseError)) throw error;
      cache.log.warn("Cannot cache a materials answer", { key, error });
    }
  }
  return value;
}
