/**
 * What a SQLite failure means for the user. node:sqlite reports only `ERR_SQLITE_ERROR` and
 * SQLite's own message, so the message's fixed text (sqlite3ErrStr) tells the cases apart.
 *
 * @module
 */
import { dirname } from "node:path";
import { AppError, DatabaseError } from "../errors.ts";

/** The kinds of trouble a caller can act on. */
export type SqliteTrouble = "busy" | "full" | "corrupt" | "io" | "readonly";

const TROUBLES: [RegExp, SqliteTrouble][] = [
  [/database is locked|database table is locked/, "busy"],
  [/database or disk is full/, "full"],
  [/database disk image is malformed|file is not a database/, "corrupt"],
  [/disk I\/O error/, "io"],
  [/attempt to write a readonly database/, "readonly"],
];

/** The trouble a SQLite error reports, or null for another error (a bug, a constraint). */
export function sqliteTrouble(error: unknown): SqliteTrouble | null {
  if (!(error instanceof Error) || (error as { code?: string }).code !== "ERR_SQLITE_ERROR") {
    return null;
  }
  return TROUBLES.find(([pattern]) => pattern.test(error.message))?.[1] ?? null;
}

/**
 * The -32001 error for a SQLite failure, saying what to do; the original goes along as its
 * cause (and so into the log). Errors that are not SQLite trouble come back as they are.
 */
export function databaseErrorOf(error: unknown, path: string): unknown {
  if (error instanceof AppError) return error;
  const trouble = sqliteTrouble(error);
  if (trouble === null) return error;
  const message = {
    busy: `The database "${path}" is locked by another process: try again once it lets go`,
    full: `The disk holding "${dirname(path)}" is full: free some space; running jobs go on ` +
      "and are recorded once the database can be written",
    corrupt: `The database file "${path}" is damaged: run "crystalmath-server doctor", then ` +
      "restore it from a backup",
    io: `A disk I/O error hit the database "${path}": check the disk`,
    readonly:
      `The database "${path}" cannot be written: check the file's and its folder's permissions`,
  }[trouble];
  return new DatabaseError(message, { data: { reason: trouble }, cause: error });
}
