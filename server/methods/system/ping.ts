import { z } from "zod";
import { abortableSleep } from "../../abortable_sleep.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";

/** `system.ping`: liveness, plus knobs for testing timeouts, cancellation and large requests. */
export const ping = defineMethod({
  name: "system.ping",
  summary: "Check that the daemon answers",
  description:
    "Answers at once with the daemon's clock. `delay_ms` makes it wait first (and honour " +
    "cancellation while it waits); `payload` is ignored apart from its length, which is echoed. " +
    "Both exist to test clients: timeouts, `$/cancelRequest` and large frames.",
  params: z.strictObject({
    delay_ms: z.number().int().min(0).max(600_000).optional()
      .describe("Wait this many milliseconds before answering (0 to 600000)"),
    payload: z.string().optional()
      .describe("Arbitrary text, ignored; its length is returned as payload_length"),
  }),
  result: z.strictObject({
    pong: z.literal(true).describe("Always true"),
    timestamp: z.iso.datetime().describe("The daemon's clock, ISO-8601 UTC"),
    payload_length: z.number().int().optional().describe("Length of `payload`, when one was sent"),
  }),
  errors: ["cancelled"],
  examples: [
    { name: "ping", params: {}, result: { pong: true, timestamp: "2026-01-01T12:00:00.000Z" } },
  ],
  async handler(params, ctx: MethodContext) {
    if (params.delay_ms) await abortableSleep(params.delay_ms, ctx.signal);
    return {
      pong: true as const,
      timestamp: ctx.clock.now().toISOString(),
      ...(params.payload === undefined ? {} : { payload_length: params.payload.length }),
    };
  },
});
