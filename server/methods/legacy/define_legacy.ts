/**
 * `defineLegacy()`: one method of the old Python backend's contract (../shared/docs/tui-contract.md)
 * as the terminal UI calls it, declared once: its name, its params, the dotted methods behind it,
 * how their answer is shaped back (a bare value or an `{ok, data}` envelope), and the deadline
 * every UI call lives under. It becomes an ordinary MethodDef, marked legacy, so dispatch,
 * discovery and the README treat it like any other.
 *
 * @module
 */
import { z } from "zod";
import type { AppErrorKind, ErrorKind } from "../../../common/error_codes.ts";
import { AppError, TimeoutError } from "../../errors.ts";
import type { MethodContext } from "../context.ts";
import type { MethodDef } from "../../rpc/define_method.ts";
import { invalidParamsError } from "../../rpc/dispatch.ts";

/**
 * How long any call of the terminal UI may take, queueing included. The UI's client gives up at
 * 30 s and is then one reply behind for the rest of its session, so an answer must come first.
 */
export const UI_DEADLINE_MS = 20_000;

/** A dotted method a legacy method is built on. */
// deno-lint-ignore no-explicit-any
type Backing = MethodDef<string, z.ZodObject, z.ZodObject, any>;

/** Calls a dotted method as dispatch would: its params checked by its schema, then its handler. */
export type LegacyCall = <D extends Backing>(
  def: D,
  params: z.input<D["params"]>,
) => Promise<z.output<D["result"]>>;

/** An `{ok:false}` answer the old contract expects where nothing here can do the work. */
export class LegacyRefusal extends Error {
  override name = "LegacyRefusal";
  /** The UPPER_SNAKE code the UI shows before the message. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** The envelope's codes where upstream's differ from the kind's name in upper case. */
const ENVELOPE_CODES: Partial<Record<ErrorKind, string>> = {
  ssh_failed: "CONNECTION_FAILED",
  slurm_rejected: "SLURM_ERROR",
  invalid_params: "VALIDATION_ERROR",
  invalid_input_file: "VALIDATION_ERROR",
  provider_failed: "SEARCH_FAILED",
};

/** Kinds that stay JSON-RPC errors even for an envelope method: the UI must see -32008 and kin. */
const PASSED_THROUGH: readonly ErrorKind[] = ["timeout", "cancelled", "database", "server_error"];

/** The `{ok:false}` member of an envelope method's result. */
export const API_FAILURE = z.strictObject({
  ok: z.literal(false),
  error: z.strictObject({ code: z.string(), message: z.string() }),
});

/** A legacy method as declared: the old contract's side of it. */
export interface LegacyDecl<P extends z.ZodObject, R extends z.ZodType> {
  /** The name the UI sends. */
  name: string;
  summary: string;
  description: string;
  /** The dotted methods behind it, for the docs and the timeout message. */
  backing: readonly string[];
  /** `bare`: the value itself is the result. `api`: `{ok:true,data}`, or `{ok:false,error}`. */
  envelope: "bare" | "api";
  /** Answers the name only when the params have this key (a dotted name with two meanings). */
  variant_key?: string;
  params: P;
  /** The value (bare) or the envelope's `data`. */
  value: R;
  errors: readonly AppErrorKind[];
  examples: readonly { name: string; params: z.input<P>; value: z.output<R> }[];
  run(params: z.output<P>, call: LegacyCall, ctx: MethodContext): Promise<z.output<R>>;
}

/**
 * Runs `work` under a deadline: its signal aborts when the caller's does or when `ms` have
 * passed, and the answer is a TimeoutError at that moment, whatever `work` is still waiting for.
 */
export async function withDeadline<T>(
  options: { ms: number; signal: AbortSignal; what: string },
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timer = new AbortController();
  const expired = Promise.withResolvers<never>();
  const seconds = options.ms / 1000;
  const timeout = () =>
    new TimeoutError(
      `Cannot answer ${options.what} within ${seconds} s: it is still waiting (a slow SSH ` +
        "connection or scheduler); try again later",
      { data: { deadline_s: seconds } },
    );
  timer.signal.addEventListener("abort", () => expired.reject(timeout()), { once: true });
  const id = setTimeout(() => timer.abort(), options.ms);
  try {
    return await Promise.race([
      work(AbortSignal.any([options.signal, timer.signal])),
      expired.promise,
    ]);
  } catch (error) {
    if (timer.signal.aborted && !(error instanceof TimeoutError)) throw timeout();
    throw error;
  } finally {
    clearTimeout(id);
  }
}

/** The code an envelope shows for an error kind. */
export function envelopeCode(kind: ErrorKind): string {
  return ENVELOPE_CODES[kind] ?? kind.toUpperCase();
}

/** A legacy method as dispatch and discovery see it. */
export type LegacyMethodDef<P extends z.ZodObject = z.ZodObject> =
  & MethodDef<string, P, z.ZodType, MethodContext>
  & { legacy: { backing: readonly string[]; envelope: "bare" | "api"; variant_key?: string } };

/** Turns a legacy declaration into the MethodDef that dispatch and discovery use. */
export function defineLegacy<P extends z.ZodObject, R extends z.ZodType>(
  decl: LegacyDecl<P, R>,
): LegacyMethodDef<P> {
  const isApi = decl.envelope === "api";
  const result = isApi
    ? z.union([z.strictObject({ ok: z.literal(true), data: decl.value }), API_FAILURE])
    : decl.value;
  const what = `"${decl.name}" (${decl.backing.join(", ") || "no backing"})`;
  return {
    name: decl.name,
    summary: decl.summary,
    description: `${decl.description} Kept for the terminal UI (legacy); answers within ` +
      `${UI_DEADLINE_MS / 1000} s or with a timeout error.`,
    params: decl.params,
    result,
    errors: [...new Set<AppErrorKind>([...decl.errors, "timeout"])],
    examples: decl.examples.map((example) => ({
      name: example.name,
      params: example.params,
      result: isApi ? { ok: true, data: example.value } : example.value,
    })),
    legacy: {
      backing: decl.backing,
      envelope: decl.envelope,
      ...(decl.variant_key === undefined ? {} : { variant_key: decl.variant_key }),
    },
    handler(params, ctx) {
      return withDeadline({ ms: UI_DEADLINE_MS, signal: ctx.signal, what }, async (signal) => {
        const inner: MethodContext = { ...ctx, signal };
        const call: LegacyCall = async (def, callParams) => {
          const parsed = def.params.safeParse(callParams);
          if (!parsed.success) throw invalidParamsError(def.name, parsed.error);
          return await def.handler(parsed.data, inner) as never;
        };
        try {
          const value = await decl.run(params, call, inner);
          return isApi ? { ok: true, data: value } : value;
        } catch (error) {
          if (!isApi || signal.aborted) throw error;
          if (error instanceof LegacyRefusal) {
            return { ok: false, error: { code: error.code, message: error.message } };
          }
          if (error instanceof AppError && !PASSED_THROUGH.includes(error.kind)) {
            return { ok: false, error: { code: envelopeCode(error.kind), message: error.message } };
          }
          throw error;
        }
      });
    },
  };
}
