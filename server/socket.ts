/**
 * The listening socket: created with mode 0600 in a directory made 0700 if we create it. A
 * socket file left by a dead daemon is found by dialling it, and removed only when nobody answers.
 *
 * @module
 */
import { dirname } from "../common/paths.ts";
import { ConflictError } from "./errors.ts";
import { assertPrivateDirectory } from "./private_files.ts";

/** What is at a socket path. */
export type SocketProbe = "absent" | "live" | "stale";

/**
 * Dials `path` to see whether a daemon answers there.
 * @throws {ConflictError} when the path exists and is not a socket (we never remove such a file)
 */
export async function probeSocket(path: string): Promise<SocketProbe> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "absent";
    throw error;
  }
  if (!info.isSocket) {
    throw new ConflictError(`Cannot listen on "${path}": the path exists and is not a socket`);
  }
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return "live";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "absent";
    return "stale";
  }
}

/**
 * Listens on `path`, replacing a stale socket file.
 * @throws {ConflictError} when a live daemon answers on `path`
 */
export async function listenUnix(path: string): Promise<Deno.UnixListener> {
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  assertPrivateDirectory(dirname(path), "socket");
  const probe = await probeSocket(path);
  if (probe === "live") {
    throw new ConflictError(`A daemon is already running on socket "${path}"`, {
      data: { socket: path },
    });
  }
  if (probe === "stale") await Deno.remove(path);
  // connect(2) needs write permission on the socket: bound under umask 177 it is 0600 from its
  // first instant, whatever the user's umask, so no one else can connect before the chmod.
  // Deno.listen is synchronous: nothing else runs while the umask is narrowed.
  const umask = Deno.umask(0o177);
  let listener: Deno.UnixListener;
  try {
    listener = Deno.listen({ transport: "unix", path });
  } finally {
    Deno.umask(umask);
  }
  await Deno.chmod(path, 0o600);
  return listener;
}
