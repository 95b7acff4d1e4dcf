/**
 * What a database file is, read without changing it: absent or empty, the daemon's own store,
 * the old Python backend's database (tui-contract §9), or something else. Opened read-only and
 * with no pragma that writes.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";

/** What a file at a database path holds. */
export type DatabaseFileKind = "absent" | "own" | "legacy_tui" | "foreign";

/** The kind, and why, for the log and `system.status`. */
export interface DatabaseFileReport {
  kind: DatabaseFileKind;
  detail: string;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Inspects the file at `path`; never creates, migrates or writes it. */
export function inspectDatabaseFile(path: string): DatabaseFileReport {
  let size: number;
  try {
    size = Deno.statSync(path).size;
  } catch {
    return { kind: "absent", detail: "no such file" }; // Nothing there: a store may be made.
  }
  if (size === 0) return { kind: "absent", detail: "an empty file" };
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly: true });
  } catch (cause) {
    return { kind: "foreign", detail: `cannot open it read-only: ${messageOf(cause)}` };
  }
  try {
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
        name: string;
      }[]).map((t) => t.name),
    );
    const version = (db.prepare("PRAGMA user_version").get() as { user_version: number })
      .user_version;
    const jobColumns = tables.has("jobs")
      ? new Set(
        (db.prepare("PRAGMA table_info(jobs)").all() as { name: string }[]).map((c) => c.name),
      )
      : new Set<string>();
    if (version >= 1 && jobColumns.has("state") && !tables.has("schema_version")) {
      return { kind: "own", detail: `a crystalmath-server store (schema ${version})` };
    }
    if (version === 0 && tables.has("schema_version") && jobColumns.has("status")) {
      const row = db.prepare("SELECT MAX(version) AS v FROM schema_version").get() as {
        v: number | null;
      };
      return {
        kind: "legacy_tui",
        detail: `the old CrystalMath backend's database (schema ${row.v ?? "unknown"})`,
      };
    }
    return {
      kind: "foreign",
      detail: tables.size === 0
        ? "an SQLite file with no tables"
        : `an SQLite file with an unknown schema (tables ${[...tables].sort().join(", ")})`,
    };
  } catch (cause) {
    return { kind: "foreign", detail: `not an SQLite database: ${messageOf(cause)}` };
  } finally {
    db.close();
  }
}
