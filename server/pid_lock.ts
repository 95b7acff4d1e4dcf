/**
 * The pid file beside the socket, held with an exclusive `flock` for the daemon's lifetime.
 * The kernel drops the lock when the process dies, even by SIGKILL, so a stale pid file never
 * blocks a new daemon, and two daemons racing for one socket cannot both win.
 *
 * @module
 */
import { dirname } from "node:path";
import { readPidFile } from "../common/pid_file.ts";
import { ConflictError } from "./errors.ts";

const encoder = new TextEncoder();

/** A held pid lock. Releasing it removes the pid file. */
export interface PidLock {
  readonly path: string;
  release(): void;
}

/**
 * Takes the lock and writes our pid.
 * @throws {ConflictError} when another live process holds it
 */
export function acquirePidLock(path: string, socketPath: string): PidLock {
  Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 5; attempt++) {
    const file = Deno.openSync(path, { read: true, write: true, create: true, mode: 0o600 });
    if (!file.tryLockSync(true)) {
      file.close();
      const pid = readPidFile(path);
      throw new ConflictError(
        `A daemon is already running on socket "${socketPath}"${pid ? `: pid ${pid}` : ""}`,
        { data: { pid: pid ?? null, socket: socketPath } },
      );
    }
    // The previous holder removes the file as it exits. If it did so after we opened it, we hold
    // a lock on an unlinked file: open the path again.
    const held = file.statSync();
    const current = statOrUndefined(path);
    if (current && current.ino === held.ino && current.dev === held.dev) {
      file.truncateSync(0);
      file.writeSync(encoder.encode(`${Deno.pid}\n`));
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
  throw new ConflictError(`Cannot lock pid file "${path}": it keeps being replaced`);
}

function statOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch {
    return undefined; // Removed between open and stat: the caller retries.
  }
}
