import { z } from "zod";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";

/** `rpc.discover`: the OpenRPC document, built from the registry. */
export const discover = defineMethod({
  name: "rpc.discover",
  summary: "Describe every method as an OpenRPC 1.3 document",
  description:
    "Returns the OpenRPC document: each method with its params and result as JSON Schema, its " +
    "errors and its examples. `crystalmath-server call --list` and `call METHOD --help` read it.",
  params: z.strictObject({}),
  result: z.looseObject({
    openrpc: z.string().describe("OpenRPC version"),
    info: z.looseObject({ title: z.string(), version: z.string() }).describe("Server info"),
    methods: z.array(z.looseObject({ name: z.string() })).describe("Method descriptors"),
  }),
  errors: [],
  examples: [{
    name: "discover",
    params: {},
    result: {
      openrpc: "1.3.2",
      info: { title: "crystalmath-server", version: "0.1.0" },
      methods: [{ name: "system.ping" }],
    },
  }],
  handler(_params, ctx: MethodContext) {
    return ctx.daemon.openrpc();
  },
});
