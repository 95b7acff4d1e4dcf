/**
 * Files held with an exclusive `flock` for the daemon's lifetime: the pid file beside the socket
 * (one daemon per socket) and the lock file beside the database (one daemon per database, however
 * its socket is spelled). The kernel drops a lock when the process dies, even by SIGKILL, so a
 * stale file never blocks a new daemon, and two daemons racing cannot both win.
 *
 * @module
 */
import { dirname } from "../common/paths.ts";
import { readPidFile } from "../common/pid_file.ts";
import { AppError, ConflictError } from "./errors.ts";
import { assertPrivateDirectory } from "./private_files.ts";

const encoder = new TextEncoder();

/** A held pid lock. Releasing it removes the pid file. */
export interface PidLock {
  readonly path: string;
  release(): void;
}

/**
 * Takes the pid lock and writes our pid.
 * @throws {ConflictError} when another live process holds it
 */
export function acquirePidLock(path: string, socketPath: string): PidLock {
  return acquireLock(path, {
    content: `${Deno.pid}\n`,
    conflict() {
      const pid = readPidFile(path);
      return new ConflictError(
        `A daemon is already running on socket "${socketPath}"${pid ? `: pid ${pid}` : ""}`,
        { data: { pid: pid ?? null, socket: socketPath } },
      );
    },
  });
}

/** The lock file of a database. */
export function databaseLockPath(dbPath: string): string {
  return `${dbPath}.lock`;
}

/**
 * Takes the database's lock and records our pid and socket in it, so that a second daemon on the
 * same database (reached by another socket) refuses to start and says which daemon holds it.
 * @throws {ConflictError} naming the pid and socket of the holder
 */
export function acquireDatabaseLock(dbPath: string, socketPath: string): PidLock {
  const path = databaseLockPath(dbPath);
  return acquireLock(path, {
    content: `${Deno.pid}\n${socketPath}\n`,
    conflict() {
      const [pid, socket] = readLockFile(path);
      return new ConflictError(
        `Another daemon uses the database "${dbPath}"` +
          (pid ? `: pid ${pid}${socket ? `, socket "${socket}"` : ""}` : "") +
          "; stop it, or give this one another --db",
        { data: { pid: pid ?? null, socket: socket ?? null, db_path: dbPath } },
      );
    },
  });
}

function readLockFile(path: string): [number | undefined, string | undefined] {
  try {
    const [pid, socket] = Deno.readTextFileSync(path).split("\n");
    const n = Number.parseInt(pid ?? "", 10);
    return [Number.isInteger(n) && n > 0 ? n : undefined, socket || undefined];
  } catch {
    return [undefined, undefined]; // Gone or unreadable: the message names the database alone.
  }
}

/** Takes an exclusive lock on `path`, or throws what `conflict` makes. */
function acquireLock(
  path: string,
  options: { content: string; conflict(): Error },
): PidLock {
  Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  assertPrivateDirectory(dirname(path), "pid and lock file");
  for (let attempt = 0; attempt < 5; attempt++) {
    // Never through a symlink: another user could point it at a file of yours.
    if (lstatOrUndefined(path)?.isSymlink) {
      throw new AppError("server_error", `Refusing the lock file "${path}": it is a symbolic link`);
    }
    const file = Deno.openSync(path, { read: true, write: true, create: true, mode: 0o600 });
    const held = file.statSync();
    const uid = Deno.uid();
    if (uid !== null && held.uid !== uid) {
      file.close();
      throw new AppError(
        "server_error",
        `Refusing the lock file "${path}": it belongs to uid ${held.uid}`,
      );
    }
    if (!file.tryLockSync(true)) {
      file.close();
      throw options.conflict();
    }
    // The previous holder removes the file as it exits. If it did so after we opened it, we hold
    // a lock on an unlinked file: open the path again. (lstat: a symlink put there meanwhile is
    // not the file we hold, and we write nothing through it.)
    const current = lstatOrUndefined(path);
    if (current && !current.isSymlink && current.ino === held.ino && current.dev === held.dev) {
      file.truncateSync(0);
      file.writeSync(encoder.encode(options.content));
      return {
        path,
        release() {
          try {
            Deno.removeSync(path);
          } catch {
            // Already removed by hand: nothing left to clean.
          }
          file.close();
        },
      };
    }
    file.close();
  }
  throw new ConflictError(`Cannot lock "${path}": it keeps being replaced`);
}

function lstatOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch {
    return undefined; // Removed between open and stat: the caller retries.
  }
}
