/** Methods for engine tests: they exercise the dispatcher, not the daemon's real methods. */
import { z } from "zod";
import { abortableSleep } from "../../../server/abortable_sleep.ts";
import { defineMethod } from "../../../server/rpc/define_method.ts";
import { NotFoundError } from "../../../server/errors.ts";
import { createDispatcher, type Dispatcher } from "../../../server/rpc/dispatch.ts";
import { SILENT_LOGGER } from "../../../server/log.ts";

const echo = defineMethod({
  name: "test.echo",
  summary: "Echo",
  description: "Returns its params",
  params: z.strictObject({ a: z.number().describe("a"), b: z.string().optional().describe("b") }),
  result: z.strictObject({ a: z.number(), b: z.string().optional() }),
  errors: [],
  examples: [{ name: "echo", params: { a: 1 }, result: { a: 1 } }],
  handler: (params) => Promise.resolve(params),
});

const slow = defineMethod({
  name: "test.slow",
  summary: "Slow",
  description: "Waits ms, honouring cancellation",
  params: z.strictObject({ ms: z.number().describe("ms") }),
  result: z.strictObject({ waited: z.number() }),
  errors: ["cancelled"],
  examples: [{ name: "slow", params: { ms: 1 }, result: { waited: 1 } }],
  async handler(params, ctx) {
    await abortableSleep(params.ms, ctx.signal);
    return { waited: params.ms };
  },
});

const boom = defineMethod({
  name: "test.boom",
  summary: "Throws",
  description: "Throws an unexpected error with internals in it",
  params: z.strictObject({}),
  result: z.strictObject({}),
  errors: [],
  examples: [{ name: "boom", params: {}, result: {} }],
  handler: () => Promise.reject(new Error("SELECT * FROM secret at /home/x/db.ts:1")),
});

const missing = defineMethod({
  name: "test.missing",
  summary: "Not found",
  description: "Throws a NotFoundError",
  params: z.strictObject({}),
  result: z.strictObject({}),
  errors: ["not_found"],
  examples: [{ name: "missing", params: {}, result: {} }],
  handler: () => Promise.reject(new NotFoundError('Job "7" does not exist', { data: { pk: 7 } })),
});

/** The fake registry. */
export const FAKE_METHODS = [echo, slow, boom, missing] as const;

/** A dispatcher over the fake registry; `accepting.value = false` simulates shutdown. */
export function fakeDispatcher(accepting = { value: true }): Dispatcher {
  return createDispatcher({
    methods: FAKE_METHODS,
    makeContext: (signal, session) => ({ signal, session }),
    log: SILENT_LOGGER,
    isAccepting: () => accepting.value,
  });
}
