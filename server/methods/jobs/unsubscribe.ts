import { z } from "zod";
import { NotFoundError } from "../../errors.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";

/** `jobs.unsubscribe`: stop a subscription of this connection. */
export const unsubscribe = defineMethod({
  name: "jobs.unsubscribe",
  summary: "Stop a jobs.subscribe subscription",
  description: "Stops the subscription and drops its queued notifications. Closing the " +
    "connection stops all of its subscriptions.",
  params: z.strictObject({
    subscription: z.string().min(1).describe("The id jobs.subscribe returned"),
  }),
  result: z.strictObject({ ok: z.literal(true).describe("Always true") }),
  errors: ["not_found"],
  examples: [{ name: "stop", params: { subscription: "sub-1" }, result: { ok: true } }],
  handler(params, ctx: MethodContext) {
    const feed = ctx.session.subscriptions.get(params.subscription);
    if (feed === undefined) {
      return Promise.reject(
        new NotFoundError(`Subscription "${params.subscription}" is not open on this connection`),
      );
    }
    feed.stop();
    ctx.session.subscriptions.delete(params.subscription);
    ctx.session.outbox.drop(params.subscription);
    return Promise.resolve({ ok: true as const });
  },
});
