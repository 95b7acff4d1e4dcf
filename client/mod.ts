/**
 * The crystalmath-server client: `connect()` gives a `Client` whose `call(method, params)` is typed
 * from the daemon's method registry. It loads no server code: the registry is imported for types
 * only.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./client/mod.ts";
 *
 * await using client = await connect({ autoStart: true });
 * const { pong, timestamp } = await client.call("system.ping", {});
 * ```
 *
 * @module
 */
import { resolveSocketPath } from "../common/paths.ts";
import type {
  MethodName,
  NotificationName,
  NotificationParamsOf,
  ParamsOf,
  ResultOf,
} from "../server/methods/mod.ts";
import { ClientError } from "./errors.ts";
import { type CallOptions, checkSocketPath, SocketClient } from "./socket_client.ts";

export { ClientError, type ClientErrorKind, ServerError } from "./errors.ts";
export {
  type BatchCall,
  type BatchResult,
  type CallOptions,
  DEFAULT_CALL_TIMEOUT_MS,
} from "./socket_client.ts";

/** A connected client with calls typed by method name. */
export class Client extends SocketClient {
  /**
   * Calls `method`; params and result types come from the method's declaration.
   * @throws {ServerError} when the daemon answers with an error
   * @throws {ClientError} when it is unreachable, too slow, or the call is aborted
   */
  call<M extends MethodName>(
    method: M,
    params: ParamsOf<M>,
    options?: CallOptions,
  ): Promise<ResultOf<M>> {
    return this.request(method, params, options) as Promise<ResultOf<M>>;
  }

  /**
   * Listens to notification `name` (after `jobs.subscribe`, `jobs.changed`); its params are
   * typed from the declaration. Returns a function that stops listening.
   */
  on<N extends NotificationName>(
    name: N,
    listener: (params: NotificationParamsOf<N>) => void,
  ): () => void {
    return this.onNotification(name, (params) => listener(params as NotificationParamsOf<N>));
  }
}

/** How to reach the daemon. */
export interface ConnectOptions {
  /** Socket path; default from `CRYSTALMATH_SOCKET` and the platform rules. */
  socket?: string | undefined;
  /** Default per-call timeout in milliseconds (30 000). */
  timeoutMs?: number | undefined;
  /** Start the daemon when nothing answers. `serveArgs` are extra `serve` flags. */
  autoStart?: boolean | { serveArgs?: string[]; waitMs?: number } | undefined;
}

/** The socket path the client uses when none is given. */
export function defaultSocketPath(): string {
  return resolveSocketPath({ os: Deno.build.os, env: Deno.env.toObject() });
}

async function answersPing(socket: string): Promise<boolean> {
  await using probe = new SocketClient(socket, { timeoutMs: 2000 });
  try {
    await probe.request("system.ping", {});
    return true;
  } catch {
    return false; // Not up yet: the caller polls again.
  }
}

/**
 * Makes sure a daemon answers on `socket`, starting one detached if none does.
 * Returns the pid of the daemon it started, or undefined if one was already running.
 * @throws {ClientError} `unsafe_socket` for a foreign socket, `not_running` if it cannot start one
 */
export async function ensureServer(
  options: { socket?: string | undefined; serveArgs?: string[]; waitMs?: number } = {},
): Promise<number | undefined> {
  const socket = options.socket ?? defaultSocketPath();
  try {
    checkSocketPath(socket);
    if (await answersPing(socket)) return undefined;
  } catch (error) {
    if (!(error instanceof ClientError && error.kind === "not_running")) throw error;
  }
  // Loaded only here: a client whose daemon runs never spawns one.
  const { startAndWait } = await import("./auto_start.ts");
  const daemon = await startAndWait({ ...options, socket }, () => answersPing(socket));
  await daemon.release();
  return daemon.pid;
}

/**
 * Connects to the daemon, starting it first if `autoStart` is set and nothing answers.
 * @throws {ClientError} `not_running` (with a hint) or `unsafe_socket`
 */
export async function connect(options: ConnectOptions = {}): Promise<Client> {
  const socket = options.socket ?? defaultSocketPath();
  const client = new Client(
    socket,
    options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
  );
  try {
    // Dial first: when the daemon runs, as it mostly does, that is the only round trip.
    await client.open();
    return client;
  } catch (error) {
    if (!options.autoStart || !(error instanceof ClientError && error.kind === "not_running")) {
      throw error;
    }
  }
  await ensureServer({ socket, ...(options.autoStart === true ? {} : options.autoStart) });
  await client.open();
  return client;
}
