import assert from "node:assert/strict";
import { Database } from "../../../server/db/open.ts";
import { SILENT_LOGGER } from "../../../server/log.ts";
import { entryKey, type MaterialsCache, throughCache } from "../../../server/materials/cache.ts";

function cacheAt(db: Database, clock: { t: number }, days = 30): MaterialsCache {
  return {
    db,
    clock: { now: () => new Date(clock.t) },
    log: SILENT_LOGGER,
    days,
    busyBudgetMs: 1000,
  };
}

Deno.test("throughCache() reuses an answer for cache_days, then asks again; refresh and 0 days always ask", async () => {
  using db = Database.open(":memory:");
  const clock = { t: Date.parse("2026-01-01T00:00:00Z") };
  let asked = 0;
  const fetch = () => Promise.resolve({ value: ++asked });
  const cache = cacheAt(db, clock);
  assert.equal(await throughCache(cache, "k", false, fetch), 1);
  clock.t += 29 * 86_400_000;
  assert.equal(await throughCache(cache, "k", false, fetch), 1, "29 days on: the cached answer");
  assert.equal(await throughCache(cache, "k", true, fetch), 2, "refresh asks and stores");
  clock.t += 31 * 86_400_000;
  assert.equal(await throughCache(cache, "k", false, fetch), 3, "31 days after: asked again");
  assert.equal(await throughCache(cacheAt(db, clock, 0), "k", false, fetch), 4, "0 days: no cache");
  // Expired materials values are dropped on the next write; other users' keys are left alone.
  const provider = { id: "mp", baseUrl: "https://x" };
  db.connection.exec(
    "INSERT INTO cache (key, value_json, fetched_at) VALUES ('other', '1', '2000-01-01')",
  );
  await throughCache(cache, entryKey(provider, "old"), false, fetch);
  clock.t += 60 * 86_400_000;
  await throughCache(cache, entryKey(provider, "new"), false, fetch);
  const keys = db.connection.prepare("SELECT key FROM cache ORDER BY key").all().map((r) =>
    String(r.key)
  );
  assert.deepEqual(keys, ["k", entryKey(provider, "new"), "other"]);
});
