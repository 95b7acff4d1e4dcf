/**
 * The listening socket: created with mode 0600 in a directory made 0700 if we create it. A
 * socket file left by a dead daemon is found by dialling it, and removed only when nobody answers.
 *
 * @module
 */
import { dirname } from "node:path";
import { ConflictError } from "./errors.ts";

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
  const probe = await probeSocket(path);
  if (probe === "live") {
    throw new ConflictError(`A daemon is already running on socket "${path}"`, {
      data: { socket: path },
    });
  }
  if (probe === "stale") await Deno.remove(path);
  const listener = Deno.listen({ transport: "unix", path });
  // connect(2) needs write permission on the socket, and the default umask leaves none for others,
  // so the moment before this chmod exposes nothing.
  await Deno.chmod(path, 0o600);
  return listener;
}
