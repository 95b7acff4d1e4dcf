import { z } from "zod";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import { answerPing, MAX_PING_DELAY_MS } from "./answers.ts";

/** `system.ping`: liveness, plus knobs for testing timeouts, cancellation and large requests. */
export const ping = defineMethod({
  name: "system.ping",
  summary: "Check that the daemon answers",
  description:
    "Answers at once with the daemon's clock. `delay_ms` makes it wait first (and honour " +
    "cancellation while it waits); `payload` is ignored apart from its length, which is echoed. " +
    "Both exist to test clients: timeouts, `$/cancelRequest` and large frames.",
  params: z.strictObject({
    delay_ms: z.number().int().min(0).max(MAX_PING_DELAY_MS).optional()
      .describe(`Wait this many milliseconds before answering (0 to ${MAX_PING_DELAY_MS})`),
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
  handler: (params, ctx: MethodContext) => answerPing(params, ctx),
});
