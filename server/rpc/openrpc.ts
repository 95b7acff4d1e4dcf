/**
 * Builds the OpenRPC 1.3 document for `rpc.discover` from the method declarations.
 *
 * @module
 */
import { z } from "zod";
import { ERROR_KINDS } from "../../common/error_codes.ts";
import type { MethodDef } from "./define_method.ts";

/** Facts about the server that go into `info`. */
export type OpenRpcInfo = {
  title: string;
  version: string;
  description: string;
  [key: string]: unknown;
};

/** An OpenRPC document: plain JSON. */
export type OpenRpcDocument = {
  openrpc: string;
  info: OpenRpcInfo;
  methods: { name: string; [key: string]: unknown }[];
  [key: string]: unknown;
};

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _dropped, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" });
  return rest;
}

/** The OpenRPC descriptor of one method. */
function describeMethod(def: MethodDef): { name: string; [key: string]: unknown } {
  const shape = def.params.shape as Record<string, z.ZodType>;
  const params = Object.entries(shape).map(([name, schema]) => ({
    name,
    ...(schema.description ? { description: schema.description } : {}),
    required: !schema.safeParse(undefined).success,
    schema: jsonSchema(schema, "input"),
  }));
  const exampleParams = (values: Record<string, unknown>) =>
    Object.entries(values).map(([name, value]) => ({ name, value }));
  return {
    name: def.name,
    summary: def.summary,
    description: def.description,
    paramStructure: "either",
    params,
    result: { name: "result", schema: jsonSchema(def.result, "output") },
    errors: def.errors.map((kind) => ({
      code: ERROR_KINDS[kind].code,
      message: ERROR_KINDS[kind].description,
      data: { kind },
    })),
    examples: def.examples.map((example) => ({
      name: example.name,
      params: exampleParams(example.params as Record<string, unknown>),
      result: { name: "result", value: example.result },
    })),
  };
}

/** Builds the whole document, methods in registry order. */
export function buildOpenRpcDocument(
  methods: readonly MethodDef[],
  info: OpenRpcInfo,
): OpenRpcDocument {
  return {
    openrpc: "1.3.2",
    info,
    methods: methods.map(describeMethod),
    components: {
      errors: Object.fromEntries(
        Object.entries(ERROR_KINDS).map(([kind, entry]) => [kind, {
          code: entry.code,
          message: entry.description,
          data: { kind },
        }]),
      ),
    },
  };
}
