/**
 * The socket client: dials the daemon, allocates ids, matches responses to calls, times calls
 * out, cancels them, and redials after the connection drops.
 *
 * @module
 */
import { createFrameDecoder, encodeFrame } from "../common/framing.ts";
import { isPlainObject, type JsonRpcResponse } from "../common/messages.ts";
import { ClientError, ServerError } from "./errors.ts";

/** Default time a call may take, in milliseconds. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/** Options for one call. */
export interface CallOptions {
  /** Milliseconds before the call fails with a `timeout` ClientError; 0 waits forever. */
  timeoutMs?: number;
  /** Aborting it cancels the call (the daemon gets `$/cancelRequest`). */
  signal?: AbortSignal;
}

/** One member of a batch. */
export interface BatchCall {
  method: string;
  params?: Record<string, unknown> | unknown[];
}

/** One member's outcome, in the order the calls were given. */
export type BatchResult = { ok: true; result: unknown } | { ok: false; error: ServerError };

interface Pending {
  resolve(response: JsonRpcResponse): void;
  reject(error: Error): void;
}

/** One live connection. When it drops, every pending call is rejected. */
interface Link {
  conn: Deno.UnixConn;
  /** Serialises writes so that frames never interleave. */
  writing: Promise<void>;
  pending: Map<number, Pending>;
  closed: Promise<void>;
}

/**
 * Refuses socket paths that are missing, not sockets, or owned by another user: someone else's
 * process must not be able to impersonate the daemon. Sync: two stats of a local path take
 * microseconds, and each async one costs a trip through Deno's thread pool that a one-off CLI call
 * can measure.
 * @throws {ClientError} `not_running` or `unsafe_socket`
 */
export function checkSocketPath(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw notRunning(path, error);
    throw new ClientError(
      "unsafe_socket",
      `Cannot use socket "${path}": ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (!info.isSocket) {
    throw new ClientError("unsafe_socket", `Refusing to connect to "${path}": it is not a socket`);
  }
  const uid = Deno.uid();
  if (uid !== null && info.uid !== uid) {
    throw new ClientError(
      "unsafe_socket",
      `Refusing to connect to "${path}": it is owned by uid ${info.uid}, not by you (uid ${uid})`,
    );
  }
  // Deno cannot ask a connected socket for its peer's credentials (SO_PEERCRED), so the check
  // above could be raced in a folder another user can write: there, they could swap in their
  // own socket between the check and the dial. Such folders are refused, unless sticky (/tmp),
  // where nobody can rename or remove a file that is yours.
  const folder = path.slice(0, path.lastIndexOf("/")) || "/";
  const mode = Deno.statSync(folder).mode ?? 0;
  if ((mode & 0o022) !== 0 && (mode & 0o1000) === 0) {
    throw new ClientError(
      "unsafe_socket",
      `Refusing to connect to "${path}": other users can write to its folder "${folder}"`,
    );
  }
}

function notRunning(path: string, cause: unknown): ClientError {
  return new ClientError(
    "not_running",
    `crystalmath-server is not running on "${path}": start it with "crystalmath-server start"`,
    { cause },
  );
}

/** A connection to the daemon, shared by concurrent calls. Redials after a drop. */
export class SocketClient implements AsyncDisposable {
  readonly socket: string;
  readonly #defaultTimeoutMs: number;
  #nextId = 1;
  #link: Promise<Link> | undefined;
  #isClosed = false;
  readonly #listeners = new Map<string, Set<(params: unknown) => void>>();

  constructor(socket: string, options: { timeoutMs?: number } = {}) {
    this.socket = socket;
    this.#defaultTimeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  /** Dials now rather than on the first call. */
  async open(): Promise<void> {
    await this.#getLink();
  }

  #getLink(): Promise<Link> {
    if (this.#isClosed) {
      return Promise.reject(new ClientError("connection_lost", "The client is closed"));
    }
    this.#link ??= this.#dial().catch((error) => {
      this.#link = undefined;
      throw error;
    });
    return this.#link;
  }

  async #dial(): Promise<Link> {
    checkSocketPath(this.socket);
    let conn: Deno.UnixConn;
    try {
      conn = await Deno.connect({ transport: "unix", path: this.socket });
    } catch (error) {
      throw notRunning(this.socket, error);
    }
    const link: Link = {
      conn,
      writing: Promise.resolve(),
      pending: new Map(),
      closed: Promise.resolve(),
    };
    link.closed = this.#readLoop(link);
    return link;
  }

  async #readLoop(link: Link): Promise<void> {
    const decoder = createFrameDecoder();
    const text = new TextDecoder();
    let reason = "the daemon closed the connection";
    // Plain reads, not `conn.readable`: setting up Web Streams costs a one-off CLI call more
    // than the call itself.
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await link.conn.read(buffer);
        if (n === null) break;
        for (const body of decoder.push(buffer.slice(0, n))) {
          this.#deliver(link, JSON.parse(text.decode(body)));
        }
      }
    } catch (error) {
      reason = (error as Error).message;
    }
    if (this.#link && (await this.#link.catch(() => undefined)) === link) this.#link = undefined;
    if (link.pending.size > 0) {
      const lost = new ClientError(
        "connection_lost",
        `Lost the connection to crystalmath-server: ${reason}`,
      );
      for (const pending of link.pending.values()) pending.reject(lost);
      link.pending.clear();
    }
    // After close(), which closes the connection itself, closing it again would only throw.
    if (this.#isClosed) return;
    try {
      link.conn.close();
    } catch {
      // Already closed.
    }
  }

  #deliver(link: Link, message: unknown): void {
    for (const response of Array.isArray(message) ? message : [message]) {
      if (isPlainObject(response) && !("id" in response) && typeof response.method === "string") {
        for (const listener of this.#listeners.get(response.method) ?? []) {
          listener(response.params);
        }
        continue;
      }
      if (!isPlainObject(response) || typeof response.id !== "number") continue;
      const pending = link.pending.get(response.id);
      link.pending.delete(response.id);
      pending?.resolve(response as JsonRpcResponse);
    }
  }

  async #send(link: Link, payload: unknown): Promise<void> {
    try {
      const frame = encodeFrame(JSON.stringify(payload));
      const write = link.writing.then(async () => {
        let offset = 0;
        while (offset < frame.length) offset += await link.conn.write(frame.subarray(offset));
      });
      link.writing = write.catch(() => {/* reported to this write's caller */});
      await write;
    } catch (error) {
      throw new ClientError(
        "connection_lost",
        "Lost the connection to crystalmath-server while sending",
        {
          cause: error,
        },
      );
    }
  }

  /** Sends requests and waits for their responses, with one timeout and signal for all. */
  async #exchange(
    requests: { method: string; params?: unknown }[],
    options: CallOptions & { asBatch: boolean },
  ): Promise<JsonRpcResponse[]> {
    const link = await this.#getLink();
    const ids = requests.map(() => this.#nextId++);
    const waits = ids.map((id) =>
      new Promise<JsonRpcResponse>((resolve, reject) => link.pending.set(id, { resolve, reject }))
    );
    const messages = requests.map((r, i) => ({
      jsonrpc: "2.0",
      id: ids[i],
      method: r.method,
      ...(r.params === undefined ? {} : { params: r.params }),
    }));
    const label = requests.length === 1
      ? `"${requests[0]!.method}"`
      : `a batch of ${requests.length}`;
    const timeoutMs = options.timeoutMs ?? this.#defaultTimeoutMs;
    const { promise: stopped, reject: stop } = Promise.withResolvers<never>();
    // AbortSignal.timeout, not setTimeout: in Deno 2.9 the first setTimeout loads Node's timers,
    // which costs a one-off CLI call several milliseconds. Its timer does not hold the process.
    const deadline = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
    const onTimeout = () =>
      stop(new ClientError("timeout", `Call ${label} timed out after ${timeoutMs} ms`));
    deadline?.addEventListener("abort", onTimeout, { once: true });
    const onAbort = () => stop(new ClientError("aborted", `Call ${label} was cancelled`));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    try {
      await this.#send(link, options.asBatch ? messages : messages[0]);
      return await Promise.race([Promise.all(waits), stopped]);
    } catch (error) {
      for (const id of ids) {
        if (link.pending.delete(id)) {
          // Tell the daemon to stop working on what we no longer wait for.
          this.#send(link, { jsonrpc: "2.0", method: "$/cancelRequest", params: { id } }).catch(
            () => {},
          );
        }
      }
      throw error;
    } finally {
      deadline?.removeEventListener("abort", onTimeout);
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Calls a method by name and returns its result.
   * @throws {ServerError} when the daemon answers with an error
   * @throws {ClientError} when the daemon is unreachable, too slow, or the call is aborted
   */
  async request(method: string, params?: unknown, options: CallOptions = {}): Promise<unknown> {
    const [response] = await this.#exchange([{ method, params }], { ...options, asBatch: false });
    if (response && "error" in response) throw new ServerError(response.error);
    return response?.result;
  }

  /**
   * Calls `listener` with the params of every notification named `method` the daemon sends on
   * this connection. Returns a function that removes it.
   */
  onNotification(method: string, listener: (params: unknown) => void): () => void {
    let listeners = this.#listeners.get(method);
    if (!listeners) this.#listeners.set(method, listeners = new Set());
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** Resolves when the current connection drops (subscriptions die with it). */
  async disconnected(): Promise<void> {
    const link = await this.#link?.catch(() => undefined);
    await link?.closed;
  }

  /** Sends a notification: no id, no answer. */
  async notify(method: string, params?: unknown): Promise<void> {
    const link = await this.#getLink();
    await this.#send(link, { jsonrpc: "2.0", method, ...(params === undefined ? {} : { params }) });
  }

  /** Sends several calls as one JSON-RPC batch; outcomes come back in call order. */
  async batch(calls: BatchCall[], options: CallOptions = {}): Promise<BatchResult[]> {
    if (calls.length === 0) return [];
    const responses = await this.#exchange(calls, { ...options, asBatch: true });
    return responses.map((r) =>
      "error" in r ? { ok: false, error: new ServerError(r.error) } : { ok: true, result: r.result }
    );
  }

  /** Closes the connection; pending calls fail with `connection_lost`. */
  async close(): Promise<void> {
    this.#isClosed = true;
    const link = await this.#link?.catch(() => undefined);
    if (!link) return;
    try {
      link.conn.close();
    } catch {
      // Already closed.
    }
    await link.closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
