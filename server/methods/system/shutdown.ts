import { z } from "zod";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";
import { answerShutdown } from "./answers.ts";

/** `system.shutdown`: a graceful exit, after this answer is sent. */
export const shutdown = defineMethod({
  name: "system.shutdown",
  summary: "Stop the daemon gracefully",
  description:
    "Acknowledges, then stops accepting connections, lets in-flight requests finish (within a " +
    "grace period), closes the database and removes the socket and pid file.",
  params: z.strictObject({}),
  result: z.strictObject({ acknowledged: z.literal(true).describe("Always true") }),
  errors: [],
  examples: [{ name: "shutdown", params: {}, result: { acknowledged: true } }],
  handler: (_params, ctx: MethodContext) => answerShutdown(ctx),
});
