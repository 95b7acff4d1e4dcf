/**
 * `defineMethod()`: the single declaration of a JSON-RPC method. Dispatch, params validation,
 * `rpc.discover`, CLI help and the README table are all derived from it.
 *
 * @module
 */
import type { z } from "zod";
import type { AppErrorKind } from "../../common/error_codes.ts";
import type { Session } from "./dispatch.ts";

/** What every handler context has: the request's AbortSignal and its connection's session. */
export interface RequestContext {
  /** The connection the request came on: its outbox for notifications, and when it closes. */
  session: Session;
  /**
   * Fires when the client cancels (`$/cancelRequest`), or when the daemon drops the connection
   * (a stalled or non-reading client, or shutdown after its grace period).
   */
  signal: AbortSignal;
}

/** One worked example: params as a client sends them, and the result it gets. */
export interface MethodExample<P extends z.ZodObject, R extends z.ZodType> {
  name: string;
  params: z.input<P>;
  result: z.output<R>;
}

/**
 * A method declaration. Results are objects (a null result is never sent), except for a legacy
 * method, whose result is whatever JSON value the old client reads.
 */
export interface MethodDef<
  N extends string = string,
  P extends z.ZodObject = z.ZodObject,
  R extends z.ZodType = z.ZodObject,
  C extends RequestContext = RequestContext,
> {
  /** `namespace.verb`, lower case, snake_case verb. */
  name: N;
  /** One line, shown in `call --list`. */
  summary: string;
  /** Longer text for `call METHOD --help` and discovery. */
  description: string;
  /** Params by name; the key order is the order for by-position params. */
  params: P;
  /** The result's schema. */
  result: R;
  /** The application error kinds the handler may raise. */
  errors: readonly AppErrorKind[];
  /** At least one example. */
  examples: readonly MethodExample<P, R>[];
  /**
   * Marks a method kept for an older client: discovery lists it with `x-legacy`, and its result
   * may be any JSON value but null. With `variant_key`, it answers its name only when the params
   * object has that key; the method of the same name without one answers the rest.
   */
  legacy?: {
    variant_key?: string;
    /** The methods it is built on, for the docs. */
    backing?: readonly string[];
    /** `bare`: the value is the result; `api`: an `{ok, data}` envelope. */
    envelope?: "bare" | "api";
  } | undefined;
  /** Does the work. Throws AppError subclasses for failures the caller must act on. */
  handler(params: z.output<P>, ctx: C): Promise<z.output<R>>;
}

/** Declares a method. This is an identity function that exists to infer the types. */
export function defineMethod<
  const N extends string,
  P extends z.ZodObject,
  R extends z.ZodObject,
  C extends RequestContext = RequestContext,
>(def: MethodDef<N, P, R, C>): MethodDef<N, P, R, C> {
  return def;
}
