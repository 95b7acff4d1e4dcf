/**
 * Files that must be the user's alone: the pid and lock files, the log, the socket's folder.
 * Another local user who can write a folder on the way must not be able to point one of them at
 * a file of yours (a symlink), or stand in for it.
 *
 * @module
 */
import { dirname } from "../common/paths.ts";
import { AppError } from "./errors.ts";

/**
 * Refuses a folder that others may write to, unless it is sticky (like /tmp, where others cannot
 * rename or remove what is yours). A missing folder is fine: it is made 0700.
 * @throws {AppError} naming the folder and what to do
 */
export function assertPrivateDirectory(dir: string, what: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  const mode = info.mode ?? 0;
  const isSticky = (mode & 0o1000) !== 0;
  if ((mode & 0o022) !== 0 && !isSticky) {
    throw new AppError(
      "server_error",
      `Refusing the ${what} folder "${dir}": other users can write to it (mode ` +
        `${(mode & 0o7777).toString(8)}); use a folder only you can write, such as one made 0700`,
    );
  }
}

/**
 * Opens (creating it 0600 if need be) a file that must be ours: not through a symlink, owned by
 * us, in a folder others cannot tamper with. The file opened is checked to be the one at the
 * path, so a symlink planted between the check and the open is caught.
 * @throws {AppError} naming the file when it is refused
 */
export function openPrivateFile(
  path: string,
  options: { what: string; append?: boolean },
): Deno.FsFile {
  const refuse = (why: string) =>
    new AppError("server_error", `Refusing the ${options.what} "${path}": ${why}`);
  Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  assertPrivateDirectory(dirname(path), options.what);
  const before = lstatOrUndefined(path);
  if (before?.isSymlink) throw refuse("it is a symbolic link");
  const file = Deno.openSync(path, {
    read: !options.append,
    write: !options.append,
    append: options.append ?? false,
    create: true,
    mode: 0o600,
  });
  try {
    const opened = file.statSync();
    const now = lstatOrUndefined(path);
    if (!now || now.isSymlink || now.ino !== opened.ino || now.dev !== opened.dev) {
      throw refuse("it was replaced while being opened");
    }
    const uid = Deno.uid();
    if (uid !== null && opened.uid !== uid) throw refuse(`it belongs to uid ${opened.uid}`);
    return file;
  } catch (error) {
    file.close();
    throw error;
  }
}

function lstatOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch {
    return undefined; // Not there (yet, or any more).
  }
}
