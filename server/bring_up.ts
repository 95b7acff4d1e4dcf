/**
 * What a daemon builds once it listens (see server/daemon.ts): the services, then the import of
 * an old backend's database, then what every handler shares. The daemon loads this module only
 * then, and with it everything a ping does not need: the job store, the runners, zod, node:path.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import { databaseErrorOf } from "./db/errors.ts";
import { importIfLegacy, type TuiDbReport } from "./legacy/tui_db.ts";
import type { Logger } from "./log.ts";
import type { MethodContext } from "./methods/context.ts";
import { buildServices, type Services } from "./services.ts";

/**
 * A turn of the event loop, between the long synchronous steps (this module's graph evaluated,
 * the database migrated, runs reconciled), so that pings and signals that came meanwhile are
 * served: two signals that both come within one step are seen as one.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** What every handler shares: the services and the daemon's own parts. */
export type Shared = Omit<MethodContext, "signal" | "session">;

/** A daemon's services, up, and what goes with them. */
export interface BroughtUp {
  services: Services;
  shared: Shared;
  /** The report on the terminal UI's database, its import done. */
  tuiDb: TuiDbReport | null;
  /** Turns a SQLite failure a handler threw into the database error it stands for. */
  mapError(error: unknown): unknown;
}

/**
 * Builds the services and, before any other request is served (so that a client never sees the
 * old backend's jobs half imported), imports the terminal UI's old database. On failure, what
 * was built is disposed.
 * @throws {DatabaseError} when the database cannot be opened
 */
export async function bringUp(parts: {
  config: Config;
  log: Logger;
  clock: Clock;
  daemon: MethodContext["daemon"];
  tuiDb: TuiDbReport | null;
  /** Tests pass a builder they control. */
  build?: typeof buildServices | undefined;
}): Promise<BroughtUp> {
  const { config, log, clock, daemon } = parts;
  await nextTurn();
  const services = await (parts.build ?? buildServices)(config, { log, clock });
  await nextTurn();
  let tuiDb: TuiDbReport | null = null;
  try {
    tuiDb = await importIfLegacy(parts.tuiDb, services.engine.store);
  } catch (error) {
    await services[Symbol.asyncDispose]();
    throw error;
  }
  if (tuiDb !== null) {
    const quiet = tuiDb.kind === "own" || tuiDb.kind === "absent" ||
      tuiDb.import?.status === "imported" || tuiDb.import?.status === "already_imported";
    (quiet ? log.info : log.warn).call(log, "The terminal UI's database (CRYSTAL_TUI_DB)", {
      ...tuiDb,
    });
  }
  const { engine, db, templates, workflows, aiida } = services;
  return {
    services,
    tuiDb,
    mapError: (error) => databaseErrorOf(error, db.path),
    shared: {
      db,
      log,
      clock,
      config,
      engine,
      ssh: engine.ssh,
      templates,
      workflows,
      aiida,
      daemon,
    },
  };
}
