/**
 * The pool's SFTP work: one session per call, transfers to a temporary name then renamed into
 * place, progress for large files, and directory listings.
 *
 * @module
 */
import { NotFoundError } from "../errors.ts";
import type { Connection } from "./_connect.ts";
import { errorMessage, failureError } from "./_errors.ts";
import type { Sftp } from "./_ssh2_types.ts";
import type { TransferOptions } from "./pool.ts";

const PROGRESS_MIN_BYTES = 4 * 1024 * 1024;
const TRANSFER = { concurrency: 64, chunkSize: 32768 };

type OnProgress = TransferOptions["onProgress"];

function tempName(path: string): string {
  return `${path}.part-${crypto.randomUUID().slice(0, 8)}`;
}

/** Reports transfer progress for large files, at most about once per percent. */
function progressReporter(
  onProgress: OnProgress,
): ((done: number, _chunk: number, total: number) => void) | undefined {
  if (onProgress === undefined) return undefined;
  let reported = -1;
  return (done, _chunk, total) => {
    if (total < PROGRESS_MIN_BYTES) return;
    if (done === total || done - reported >= total / 100) {
      reported = done;
      onProgress(done, total);
    }
  };
}

function sftpCall(
  run: (callback: (error: Error | null | undefined) => void) => void,
): Promise<void> {
  return new Promise((resolve, reject) => run((error) => (error ? reject(error) : resolve())));
}

/** Renames over an existing file: OpenSSH's posix-rename, else unlink and rename (SFTP v3 rename refuses to overwrite). */
async function sftpReplace(sftp: Sftp, from: string, to: string): Promise<void> {
  try {
    await sftpCall((callback) => sftp.ext_openssh_rename(from, to, callback));
    return;
  } catch (error) {
    // ssh2 throws synchronously when the server lacks the extension; fall back only then.
    if (!/does not support/i.test(errorMessage(error))) throw error;
  }
  await sftpCall((callback) => sftp.unlink(to, callback)).catch(() => {
    // The destination usually does not exist yet; rename below reports real problems.
  });
  await sftpCall((callback) => sftp.rename(from, to, callback));
}

/** Opens an SFTP session on the connection for `run`, and ends it afterwards or when `signal` aborts. */
export function withSftp<T>(
  connection: Connection,
  o: { action: string; signal: AbortSignal; run: (sftp: Sftp) => Promise<T> },
): Promise<T> {
  const { action, signal } = o;
  return new Promise<T>((resolve, reject) => {
    connection.client.sftp((error, sftp) => {
      if (error) {
        return reject(
          failureError(connection.endpoint, { action, error, reason: "sftp_failed" }),
        );
      }
      const onAbort = () => sftp.end();
      signal.addEventListener("abort", onAbort, { once: true });
      o.run(sftp).then(resolve, reject).finally(() => {
        signal.removeEventListener("abort", onAbort);
        sftp.end();
      });
    });
  });
}

/** fastPut to a temporary name, then rename over the destination. */
export async function sftpUpload(
  sftp: Sftp,
  o: { action: string; localPath: string; remotePath: string; onProgress: OnProgress },
): Promise<void> {
  const { localPath, remotePath } = o;
  try {
    await Deno.stat(localPath);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) {
      throw new NotFoundError(`Cannot ${o.action}: the local file does not exist`, { cause });
    }
    throw cause;
  }
  const temp = tempName(remotePath);
  const step = progressReporter(o.onProgress);
  try {
    await sftpCall((callback) =>
      sftp.fastPut(localPath, temp, { ...TRANSFER, ...(step ? { step } : {}) }, callback)
    );
    await sftpReplace(sftp, temp, remotePath);
  } catch (error) {
    await sftpCall((callback) => sftp.unlink(temp, callback)).catch(() => {
      // Best effort: the session may be gone, and the partial file is only litter.
    });
    throw error;
  }
}

/** fastGet to a local temporary name, then rename. */
export async function sftpDownload(
  sftp: Sftp,
  o: { remotePath: string; localPath: string; onProgress: OnProgress },
): Promise<void> {
  const { remotePath, localPath } = o;
  const temp = tempName(localPath);
  const step = progressReporter(o.onProgress);
  try {
    await sftpCall((callback) =>
      // The local copy is the user's alone, like every file of a job directory.
      sftp.fastGet(
        remotePath,
        temp,
        { ...TRANSFER, mode: 0o600, ...(step ? { step } : {}) },
        callback,
      )
    );
    await Deno.rename(temp, localPath);
  } catch (error) {
    await Deno.remove(temp).catch(() => {
      // Nothing was written, or it is already gone.
    });
    throw error;
  }
}

/** Writes text to a temporary name, then renames it over the destination. */
export async function sftpWriteFile(
  sftp: Sftp,
  o: { remotePath: string; text: string },
): Promise<void> {
  const temp = tempName(o.remotePath);
  try {
    await sftpCall((callback) => sftp.writeFile(temp, o.text, callback));
    await sftpReplace(sftp, temp, o.remotePath);
  } catch (error) {
    await sftpCall((callback) => sftp.unlink(temp, callback)).catch(() => {
      // Best effort, as in sftpUpload().
    });
    throw error;
  }
}

/** Lists a directory without "." and "..", sorted by name. */
export function sftpReaddir(
  sftp: Sftp,
  remotePath: string,
): Promise<{ name: string; size: number; isFile: boolean }[]> {
  return new Promise((resolve, reject) => {
    sftp.readdir(remotePath, (error, list) => {
      if (error) return reject(error);
      resolve(
        list
          .filter((entry) => entry.filename !== "." && entry.filename !== "..")
          .map((entry) => ({
            name: entry.filename,
            size: entry.attrs.size,
            isFile: (entry.attrs.mode & 0o170000) === 0o100000,
          }))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      );
    });
  });
}
