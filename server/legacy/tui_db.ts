/**
 * The terminal UI's database path (CRYSTAL_TUI_DB, tui-contract §9). The UI passes it to every
 * daemon it spawns, and the file there is often the old Python backend's database: it is never
 * the daemon's store unless it already is one, and none is made where no file is. Anything else
 * there is left exactly as it is (only read, read-only), the store goes to the data directory, and
 * what was found is reported.
 *
 * @module
 */
import type { Config } from "../config.ts";
import { type DatabaseFileKind, inspectDatabaseFile } from "../db/inspect.ts";
import type { TuiImportReport } from "../db/legacy_tui.ts";
import type { JobStore } from "../jobs/store.ts";

/** What `system.status` says about the UI's database file. */
export interface TuiDbReport {
  path: string;
  kind: DatabaseFileKind;
  /** What the file is. */
  detail: string;
  /** What the daemon did about it. */
  action: string;
  /** The import of an old backend's jobs and clusters; null for any other kind of file. */
  import: TuiImportReport | null;
}

/** The config with the store the daemon really uses, and the report (null without CRYSTAL_TUI_DB). */
export function chooseStore(config: Config): { config: Config; report: TuiDbReport | null } {
  if (config.tuiDb === null) return { config, report: null };
  const { path, fallbackPath } = config.tuiDb;
  const found = inspectDatabaseFile(path);
  if (found.kind === "own") {
    return {
      config,
      report: { path, ...found, action: "used as the daemon's store", import: null },
    };
  }
  // The UI passes a path even where no file is (its data directory's jobs.db): that path is the
  // old backend's, whose PyO3 build would fail on a store of ours there, so none is made.
  const action = found.kind === "absent"
    ? `nothing made there; the daemon's store is "${fallbackPath}"`
    : `left untouched; the daemon's store is "${fallbackPath}"`;
  return {
    config: { ...config, dbPath: fallbackPath },
    report: { path, ...found, action, import: null },
  };
}

/**
 * Imports an old backend's file into the store once (legacy/tui_import.ts); the report then says
 * what came in. Any other report comes back as it was.
 */
export async function importIfLegacy(
  report: TuiDbReport | null,
  store: JobStore,
): Promise<TuiDbReport | null> {
  if (report?.kind !== "legacy_tui") return report;
  // Loaded only for an old backend's file: the import's schemas are no part of a plain start.
  const { importTuiDb } = await import("./tui_import.ts");
  const done = await importTuiDb(report.path, store);
  return { ...report, action: `${report.action}; ${done.message}`, import: done };
}
