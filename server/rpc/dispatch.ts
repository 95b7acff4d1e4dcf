/**
 * The JSON-RPC 2.0 engine for parsed messages: envelope checks, batches, notifications,
 * registry lookup, params validation, cancellation and error mapping.
 *
 * @module
 */
import type { z } from "zod";
import {
  isJsonRpcId,
  isPlainObject,
  type JsonRpcId,
  type JsonRpcResponse,
} from "../../common/messages.ts";
import type { Logger } from "../log.ts";
import type { MethodDef, RequestContext } from "./define_method.ts";
import { AppError } from "../errors.ts";
import { createOutbox, type Outbox } from "./outbox.ts";
import { wireError } from "./errors.ts";

/**
 * Per-connection state: the requests in flight, by id, so `$/cancelRequest` can abort them, and
 * what a handler may use to push notifications to this connection until it closes.
 */
export interface Session {
  inflight: Map<string, AbortController>;
  /** The connection's notification outbox. */
  outbox: Outbox;
  /** Aborted when the connection closes: subscriptions end with it. */
  closed: AbortSignal;
  /** Live subscriptions of this connection, by id; each is stopped when the connection closes. */
  subscriptions: Map<string, { stop(): void }>;
  /** One-time notices already given on this connection, by name. */
  notices: Set<string>;
}

/** Creates an empty session for a new connection. */
export function createSession(
  parts: { outbox: Outbox; closed: AbortSignal } = {
    outbox: createOutbox(() => Promise.resolve()),
    closed: new AbortController().signal,
  },
): Session {
  const session = {
    inflight: new Map(),
    subscriptions: new Map(),
    notices: new Set<string>(),
    ...parts,
  };
  parts.closed.addEventListener("abort", () => {
    for (const subscription of session.subscriptions.values()) subscription.stop();
    session.subscriptions.clear();
  }, { once: true });
  return session;
}

/**
 * A method answered before the methods behind `loadMethods` are loaded, and with them the schema
 * library: `accepts` says which params surely pass the method's declared schema; any other
 * params wait for the declaration, which then validates them (and words the error).
 */
export interface EarlyMethod<E extends RequestContext> {
  name: string;
  accepts(params: unknown): boolean;
  handler(params: Record<string, unknown>, ctx: E): Promise<object>;
}

/** What a dispatcher needs from the daemon. */
export interface DispatcherOptions<C extends RequestContext, E extends RequestContext = C> {
  methods: readonly MethodDef<string, z.ZodObject, z.ZodType, C>[];
  /** Answered, with `makeEarlyContext`, only until `loadMethods` has loaded the rest. */
  early?: readonly EarlyMethod<E>[];
  makeEarlyContext?(signal: AbortSignal, session: Session): E;
  /**
   * The rest of the methods, loaded on the first request for a name `methods` does not answer (or
   * by `loadAll`). It may repeat some of `methods`.
   */
  loadMethods?(): Promise<readonly MethodDef<string, z.ZodObject, z.ZodType, C>[]>;
  /** Builds a handler context around a request's signal and its connection's session. */
  makeContext(signal: AbortSignal, session: Session): C;
  log: Logger;
  /** False once shutdown has begun: new requests are refused with -32000. */
  isAccepting(): boolean;
  /**
   * Turns an error a handler threw into the AppError it stands for (a SQLite failure into a
   * database error), or returns undefined to leave it as it is.
   */
  mapError?(error: unknown): unknown;
  /** Called when a request or notification starts and when it ends. */
  onRequestStart?(): void;
  onRequestEnd?(): void;
}

/** Handles one parsed message (a request, a notification or a batch). */
export interface Dispatcher {
  /** Returns the response(s) to send, or undefined when nothing must be sent. */
  handle(
    message: unknown,
    session: Session,
  ): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined>;
  /** Loads the methods behind `loadMethods` now, if they are not loaded yet. */
  loadAll(): Promise<void>;
}

/** The LSP cancellation notification. */
export const CANCEL_METHOD = "$/cancelRequest";

function idKey(id: string | number): string {
  return `${typeof id}:${id}`;
}

/** Builds the error response for `error` (an AppError, or a protocol error built here). */
export function errorResponse(id: JsonRpcId, error: AppError): JsonRpcResponse {
  return { jsonrpc: "2.0", id, error: wireError(error) };
}

/** Maps by-position params onto the declared parameter order. */
function namedParams(
  def: { name: string; params: z.ZodObject },
  params: unknown,
): Record<string, unknown> {
  if (params === undefined || params === null) return {};
  if (!Array.isArray(params)) return params as Record<string, unknown>;
  const keys = Object.keys(def.params.shape);
  if (params.length > keys.length) {
    throw new AppError(
      "invalid_params",
      `Invalid params for "${def.name}": ${params.length} positional values given, at most ${keys.length} accepted`,
    );
  }
  const named: Record<string, unknown> = {};
  params.forEach((value, i) => {
    if (value !== undefined) named[keys[i]!] = value;
  });
  return named;
}

/** The -32602 error for params of `method` that fail their schema, with the issues in data. */
export function invalidParamsError(method: string, error: z.ZodError): AppError {
  const issues = error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    code: issue.code,
    message: issue.message,
  }));
  const first = issues[0];
  const where = first?.path ? `${first.path}: ` : "";
  return new AppError(
    "invalid_params",
    `Invalid params for "${method}": ${where}${first?.message}`,
    {
      data: { issues },
    },
  );
}

/**
 * Creates a dispatcher. Duplicate method names are refused here, at start-up, or when the
 * methods behind `loadMethods` are loaded.
 */
export function createDispatcher<C extends RequestContext, E extends RequestContext = C>(
  options: DispatcherOptions<C, E>,
): Dispatcher {
  type Def = MethodDef<string, z.ZodObject, z.ZodType, C>;
  const table = new Map<string, Def>();
  /** Declarations that answer a name only when the params have their key, tried first. */
  const variants = new Map<string, Def[]>();
  const registered = new Set<Def>();
  /** Adds `defs`; those an earlier call added are skipped, a name twice in `defs` is refused. */
  function register(defs: readonly Def[]): void {
    const earlier = new Set(registered);
    for (const def of defs) {
      if (earlier.has(def)) continue;
      registered.add(def);
      const key = def.legacy?.variant_key;
      if (key !== undefined) {
        const list = variants.get(def.name) ?? [];
        if (list.some((other) => other.legacy?.variant_key === key)) {
          throw new Error(`Method "${def.name}" with "${key}" is declared twice`);
        }
        variants.set(def.name, [...list, def]);
        continue;
      }
      if (table.has(def.name)) throw new Error(`Method "${def.name}" is declared twice`);
      table.set(def.name, def);
    }
  }
  register(options.methods);

  const early = new Map((options.early ?? []).map((method) => [method.name, method]));
  let loading: Promise<void> | undefined;
  function loadAll(): Promise<void> {
    if (!options.loadMethods) return Promise.resolve();
    return loading ??= options.loadMethods().then((defs) => {
      register(defs);
      early.clear(); // From now on every name is answered by its declaration.
    }, (error) => {
      loading = undefined; // the next request tries again
      throw error;
    });
  }

  /** The early method that answers `method` with these params, if the rest is not loaded yet. */
  function earlyFor(method: string, params: unknown): EarlyMethod<E> | undefined {
    const found = early.get(method);
    return found && options.makeEarlyContext && found.accepts(params) ? found : undefined;
  }

  /** The declaration for `method`, loading the rest of the methods first if it is not known. */
  async function resolve(method: string, params: unknown): Promise<Def | undefined> {
    const found = lookup(method, params);
    if (found || !options.loadMethods) return found;
    await loadAll();
    return lookup(method, params);
  }

  /** The declaration that answers `method` with these params. */
  function lookup(method: string, params: unknown): Def | undefined {
    const candidates = variants.get(method);
    if (candidates && isPlainObject(params)) {
      const found = candidates.find((def) => Object.hasOwn(params, def.legacy!.variant_key!));
      if (found) return found;
    }
    return table.get(method);
  }

  function cancel(params: unknown, session: Session): void {
    const id = isPlainObject(params) ? params.id : undefined;
    if (typeof id === "string" || typeof id === "number") session.inflight.get(idKey(id))?.abort();
  }

  function run(def: Def, params: unknown, id: JsonRpcId, session: Session): Promise<unknown> {
    const parsed = def.params.safeParse(namedParams(def, params));
    if (!parsed.success) throw invalidParamsError(def.name, parsed.error);
    return invoke(
      def,
      (signal) => def.handler(parsed.data, options.makeContext(signal, session)),
      { id, session },
    );
  }

  function runEarly(
    method: EarlyMethod<E>,
    params: unknown,
    id: JsonRpcId,
    session: Session,
  ): Promise<unknown> {
    const named = (params ?? {}) as Record<string, unknown>;
    return invoke(
      method,
      (signal) => method.handler(named, options.makeEarlyContext!(signal, session)),
      { id, session },
    );
  }

  /** Runs a handler with its own AbortSignal, registered for `$/cancelRequest` under its id. */
  async function invoke(
    def: { name: string; legacy?: Def["legacy"] },
    handle: (signal: AbortSignal) => Promise<unknown>,
    request: { id: JsonRpcId; session: Session },
  ): Promise<unknown> {
    const { id, session } = request;
    const controller = new AbortController();
    const key = typeof id === "string" || typeof id === "number" ? idKey(id) : undefined;
    if (key !== undefined) session.inflight.set(key, controller);
    try {
      const result = await handle(controller.signal);
      if (controller.signal.aborted) {
        throw new AppError("cancelled", `Request ${JSON.stringify(id)} was cancelled`);
      }
      if (result === null || result === undefined || (typeof result !== "object" && !def.legacy)) {
        throw new Error(
          `Handler for "${def.name}" returned ${String(result)} instead of an object`,
        );
      }
      return result;
    } catch (error) {
      if (
        controller.signal.aborted && !(error instanceof AppError && error.kind !== "internal_error")
      ) {
        throw new AppError("cancelled", `Request ${JSON.stringify(id)} was cancelled`, {
          cause: error,
        });
      }
      throw error;
    } finally {
      if (key !== undefined && session.inflight.get(key) === controller) {
        session.inflight.delete(key);
      }
    }
  }

  async function handleOne(
    message: unknown,
    session: Session,
  ): Promise<JsonRpcResponse | undefined> {
    if (!isPlainObject(message)) {
      return errorResponse(
        null,
        new AppError("invalid_request", "Invalid request: expected an object"),
      );
    }
    const hasId = "id" in message;
    const id = message.id;
    if (hasId && !isJsonRpcId(id)) {
      return errorResponse(
        null,
        new AppError("invalid_request", "Invalid request: id must be a string, a number or null"),
      );
    }
    const replyId = hasId ? id as JsonRpcId : null;
    const { method, params } = message;
    if (message.jsonrpc !== "2.0") {
      return errorResponse(
        replyId,
        new AppError("invalid_request", 'Invalid request: jsonrpc must be "2.0"'),
      );
    }
    if (typeof method !== "string") {
      return errorResponse(
        replyId,
        new AppError("invalid_request", "Invalid request: method must be a string"),
      );
    }
    // Older clients send `"params": null` to mean "no params".
    if (params !== undefined && params !== null && typeof params !== "object") {
      return errorResponse(
        replyId,
        new AppError("invalid_request", "Invalid request: params must be an object or an array"),
      );
    }
    if (method === CANCEL_METHOD) {
      cancel(params, session);
      return hasId ? { jsonrpc: "2.0", id: replyId, result: { ok: true } } : undefined;
    }

    options.onRequestStart?.();
    try {
      // Found at once for a known name: no await, so a ping takes no extra turn.
      const found = lookup(method, params) ?? earlyFor(method, params);
      const def = found ?? await resolve(method, params);
      if (!def) throw new AppError("method_not_found", `Method not found: "${method}"`);
      if (!options.isAccepting()) throw new AppError("server_error", "Server is shutting down");
      const result = "accepts" in def
        ? await runEarly(def, params, replyId, session)
        : await run(def, params, replyId, session);
      return hasId ? { jsonrpc: "2.0", id: replyId, result } : undefined;
    } catch (thrown) {
      const error = options.mapError?.(thrown) ?? thrown;
      if (!hasId) {
        // Notifications are never answered, not even with an error; the log keeps the trace.
        options.log.debug("Notification failed", { method, error });
        return undefined;
      }
      if (error instanceof AppError) {
        // A failure of the daemon's own storage is logged with its cause, whatever its kind.
        if (error.kind === "internal_error" || error.kind === "database") {
          options.log.error("Request failed", { method, id: replyId, error });
        }
        return errorResponse(replyId, error);
      }
      options.log.error("Unexpected error in handler", { method, id: replyId, error });
      return errorResponse(
        replyId,
        new AppError("internal_error", "Internal error", { data: { request_id: replyId } }),
      );
    } finally {
      options.onRequestEnd?.();
    }
  }

  return {
    loadAll,
    async handle(message, session) {
      if (!Array.isArray(message)) return await handleOne(message, session);
      if (message.length === 0) {
        return errorResponse(null, new AppError("invalid_request", "Invalid request: empty batch"));
      }
      const responses = await Promise.all(message.map((member) => handleOne(member, session)));
      const present = responses.filter((r): r is JsonRpcResponse => r !== undefined);
      return present.length > 0 ? present : undefined;
    },
  };
}
