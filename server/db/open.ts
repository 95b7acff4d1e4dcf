/**
 * Opens the SQLite store (`node:sqlite`): pragmas, then migrations in one transaction.
 * A database from a newer build is refused; a file that is not a database is reported and left
 * untouched.
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { dirname } from "node:path";
import { DatabaseError } from "../errors.ts";
import { abortableSleep } from "../abortable_sleep.ts";
import { databaseErrorOf, sqliteTrouble } from "./errors.ts";
import { type Migration, MIGRATIONS } from "./migrations.ts";

/**
 * How long one statement waits for a lock held by another connection before failing. node:sqlite
 * is synchronous, so this wait blocks every connection of the daemon: it stays short, and
 * `write` retries asynchronously, with backoff, for as long as its caller allows.
 */
export const BUSY_TIMEOUT_MS = 100;
/** The default time a write keeps retrying a lock held elsewhere. */
export const DEFAULT_BUSY_BUDGET_MS = 30_000;

/** The daemon's database: a `node:sqlite` connection with a lifecycle. */
export class Database {
  readonly #db: DatabaseSync;
  /**
   * Prepared statements by SQL text. A statement holds native memory until it is finalized, and
   * V8 does not see it: preparing per call grew the daemon by about 300 KB per job submitted and
   * cancelled. The query modules use a bounded set of SQL texts, so this stays small.
   */
  readonly #statements = new Map<string, StatementSync>();
  /** The file path, or `:memory:`. */
  readonly path: string;

  constructor(db: DatabaseSync, path: string) {
    this.#db = db;
    this.path = path;
  }

  /**
   * Opens (creating if needed) and migrates the database at `path`.
   * @throws {DatabaseError} when the file is not a database, is from a newer build, or a
   *   migration fails (the transaction is rolled back and the file keeps its old schema)
   */
  static open(path: string, migrations: readonly Migration[] = MIGRATIONS): Database {
    if (path !== ":memory:") {
      Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the database
      // file's mode, so all three are the user's alone wherever the database lives.
      Deno.openSync(path, { create: true, append: true, mode: 0o600 }).close();
      if ((Deno.statSync(path).mode ?? 0) & 0o077) Deno.chmodSync(path, 0o600);
    }
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path);
    } catch (cause) {
      throw new DatabaseError(`Cannot open database "${path}": ${messageOf(cause)}`, { cause });
    }
    try {
      // Opening runs before any request is served: it may wait for a lock as long as a write
      // may, in one go. Serving, each statement waits BUSY_TIMEOUT_MS and `write` retries.
      db.exec(`PRAGMA busy_timeout = ${DEFAULT_BUSY_BUDGET_MS}`);
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec("PRAGMA foreign_keys = ON");
      migrate(db, path, migrations);
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    } catch (cause) {
      db.close();
      if (cause instanceof DatabaseError) throw cause;
      throw new DatabaseError(`Cannot open database "${path}": ${messageOf(cause)}`, { cause });
    }
    return new Database(db, path);
  }

  /** The schema version recorded in the file. */
  get schemaVersion(): number {
    return readUserVersion(this.#db);
  }

  /** The underlying connection, for pragmas and tests; queries go through `prepare`. */
  get connection(): DatabaseSync {
    return this.#db;
  }

  /** The prepared statement for `sql`, made once per connection. */
  prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs `fn` inside one write transaction (BEGIN IMMEDIATE), rolling back if it throws. `fn` must
   * be synchronous: node:sqlite is, and an await inside would let other work into the transaction.
   */
  transaction<T>(fn: (db: Database) => T): T {
    try {
      this.#db.exec("BEGIN IMMEDIATE");
      const result = fn(this);
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      // SQLite rolls back by itself after some failures (a full disk at COMMIT): a ROLLBACK then
      // would fail with "no transaction is active" and hide the real error.
      if (this.#db.isTransaction) {
        try {
          this.#db.exec("ROLLBACK");
        } catch {
          // The first error is the one that matters; this one only repeats it.
        }
      }
      throw databaseErrorOf(error, this.path);
    }
  }

  /**
   * Runs `fn` in a write transaction, retrying while another process holds the lock (each try
   * waits at most BUSY_TIMEOUT_MS, then yields to the event loop), for up to `budgetMs`.
   * @throws {DatabaseError} once the budget is spent, or at once for any other SQLite trouble
   */
  async write<T>(fn: (db: Database) => T, budgetMs = DEFAULT_BUSY_BUDGET_MS): Promise<T> {
    const deadline = Date.now() + budgetMs;
    for (let attempt = 0;; attempt++) {
      try {
        return this.transaction(fn);
      } catch (error) {
        const cause = error instanceof DatabaseError ? error.cause : error;
        if (sqliteTrouble(cause) !== "busy" || Date.now() >= deadline) throw error;
        await abortableSleep(Math.min(1000, 10 * 2 ** attempt));
      }
    }
  }

  /** Closes the connection; a WAL checkpoint happens on close. */
  close(): void {
    this.#statements.clear();
    if (this.#db.isOpen) this.#db.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function readUserVersion(db: DatabaseSync): number {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number } | undefined;
  return row?.user_version ?? 0;
}

function migrate(db: DatabaseSync, path: string, migrations: readonly Migration[]): void {
  const latest = migrations.at(-1)?.version ?? 0;
  // BEGIN IMMEDIATE takes the write lock before reading the version, so two processes opening
  // one file cannot both apply the same migration.
  db.exec("BEGIN IMMEDIATE");
  try {
    const current = readUserVersion(db);
    if (current > latest) {
      throw new DatabaseError(
        `Cannot open database "${path}": its schema version ${current} is newer than this ` +
          `crystalmath-server supports (${latest}); upgrade crystalmath-server`,
      );
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      db.exec(`PRAGMA user_version = ${migration.version}`);
    }
    db.exec("COMMIT");
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}
