/**
 * All SQL for the `cache` table: values stored as JSON under a key that names what was asked of
 * whom, with the time they were fetched. Each user of the table keeps to its own key prefix.
 *
 * @module
 */
import type { Database } from "./open.ts";

/** The value stored under `key` if it was fetched at or after `notBefore` (ISO time). */
export function readCached(db: Database, key: string, notBefore: string): unknown {
  const row = db.prepare(
    "SELECT value_json FROM cache WHERE key = ? AND fetched_at >= ?",
  ).get(key, notBefore) as { value_json: string } | undefined;
  return row === undefined ? undefined : JSON.parse(row.value_json);
}

/**
 * Stores values by key, fetched at `at`, and drops the values under `prefix` fetched before
 * `expired`.
 */
export function writeCached(
  db: Database,
  values: readonly { key: string; value: unknown }[],
  times: { at: string; expired: string; prefix: string },
): void {
  const put = db.prepare(
    "INSERT INTO cache (key, value_json, fetched_at) VALUES (?, ?, ?) ON CONFLICT (key) " +
      "DO UPDATE SET value_json = excluded.value_json, fetched_at = excluded.fetched_at",
  );
  for (const { key, value } of values) put.run(key, JSON.stringify(value), times.at);
  db.prepare("DELETE FROM cache WHERE substr(key, 1, ?) = ? AND fetched_at < ?")
    .run(times.prefix.length, times.prefix, times.expired);
}
