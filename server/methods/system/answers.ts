/**
 * What `system.ping`, `system.version` and `system.shutdown` answer, without their schemas: a
 * daemon gives these answers from the instant it listens, before the registry and zod are
 * loaded. Each method's declaration beside this file uses the same handler, so a reply is the
 * same before and after; the `accepts` tests only say which params surely pass that declared
 * schema, and any other params wait for it (tests/server/system_answers_test.ts holds them to it).
 *
 * @module
 */
import { VERSION } from "../../../common/version.ts";
import { isPlainObject } from "../../../common/messages.ts";
import { abortableSleep } from "../../abortable_sleep.ts";
import type { EarlyMethod } from "../../rpc/dispatch.ts";
import type { RequestContext } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import { isoNow } from "../../clock.ts";

/** What the system methods need of a handler context: no service, only the daemon and a clock. */
export type SystemContext = RequestContext & Pick<MethodContext, "clock" | "daemon">;

/** The longest `delay_ms` a ping accepts. */
export const MAX_PING_DELAY_MS = 600_000;

/** `system.ping`'s answer. */
export async function answerPing(
  params: { delay_ms?: number | undefined; payload?: string | undefined },
  ctx: Pick<SystemContext, "clock" | "signal">,
): Promise<{ pong: true; timestamp: string; payload_length?: number }> {
  if (params.delay_ms) await abortableSleep(params.delay_ms, ctx.signal);
  return {
    pong: true as const,
    timestamp: isoNow(ctx.clock),
    ...(params.payload === undefined ? {} : { payload_length: params.payload.length }),
  };
}

/** `system.version`'s answer. */
export function answerVersion(): Promise<
  { version: string; protocol: "json-rpc-2.0"; transport: "unix-socket"; runtime: string }
> {
  return Promise.resolve({
    version: VERSION,
    protocol: "json-rpc-2.0" as const,
    transport: "unix-socket" as const,
    runtime: `deno ${Deno.version.deno}`,
  });
}

/** `system.shutdown`'s answer; the shutdown itself begins once it is sent. */
export function answerShutdown(
  ctx: Pick<SystemContext, "daemon">,
): Promise<{ acknowledged: true }> {
  ctx.daemon.requestShutdown("system.shutdown");
  return Promise.resolve({ acknowledged: true as const });
}

/** No params, null, or an object whose keys are all among `allowed` and pass their tests. */
function namedOnly(
  params: unknown,
  allowed: Record<string, (value: unknown) => boolean>,
): boolean {
  if (params === undefined || params === null) return true;
  if (!isPlainObject(params)) return false; // By position, or not params at all: the schema says.
  return Object.entries(params).every(([key, value]) =>
    Object.hasOwn(allowed, key) && value !== undefined && allowed[key]!(value)
  );
}

/** The system methods a daemon answers from the instant it listens. */
export const EARLY_SYSTEM_METHODS: readonly EarlyMethod<SystemContext>[] = [
  {
    name: "system.ping",
    accepts: (params) =>
      namedOnly(params, {
        delay_ms: (v) =>
          Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_PING_DELAY_MS,
        payload: (v) => typeof v === "string",
      }),
    handler: (params, ctx) => answerPing(params as Parameters<typeof answerPing>[0], ctx),
  },
  { name: "system.version", accepts: (params) => namedOnly(params, {}), handler: answerVersion },
  {
    name: "system.shutdown",
    accepts: (params) => namedOnly(params, {}),
    handler: (_params, ctx) => answerShutdown(ctx),
  },
];
