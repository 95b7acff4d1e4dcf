import { z } from "zod";
import { VERSION } from "../../../common/version.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import { answerVersion } from "./answers.ts";

/** `system.version`: what is running and how it talks. */
export const version = defineMethod({
  name: "system.version",
  summary: "Report the daemon's version and protocol",
  description: "Returns the crystalmath-server version, the wire protocol and the Deno runtime.",
  params: z.strictObject({}),
  result: z.strictObject({
    version: z.string().describe("crystalmath-server version"),
    protocol: z.literal("json-rpc-2.0").describe("Wire protocol"),
    transport: z.literal("unix-socket").describe("Transport"),
    runtime: z.string().describe("Runtime and its version, e.g. deno 2.9.6"),
  }),
  errors: [],
  examples: [{
    name: "version",
    params: {},
    result: {
      version: VERSION,
      protocol: "json-rpc-2.0",
      transport: "unix-socket",
      runtime: "deno 2.9.6",
    },
  }],
  handler: answerVersion,
});
