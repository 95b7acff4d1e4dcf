/**
 * Builds the OpenRPC 1.3 document for `rpc.discover` from the method declarations.
 *
 * @module
 */
import { z } from "zod";
import { ERROR_KINDS } from "../../common/error_codes.ts";
import type { MethodDef } from "./define_method.ts";
import type { NotificationDef } from "./define_notification.ts";

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

/** The OpenRPC descriptors of a params object's fields, in declaration order. */
function describeParams(params: z.ZodObject, io: "input" | "output"): Record<string, unknown>[] {
  return Object.entries(params.shape as Record<string, z.ZodType>).map(([name, schema]) => ({
    name,
    ...(schema.description ? { description: schema.description } : {}),
    required: !schema.safeParse(undefined).success,
    schema: jsonSchema(schema, io),
  }));
}

/** An example's params as OpenRPC lists them: name and value pairs. */
function exampleParams(values: Record<string, unknown>): { name: string; value: unknown }[] {
  return Object.entries(values).map(([name, value]) => ({ name, value }));
}

/** The OpenRPC descriptor of one method. */
function describeMethod(
  def: MethodDef<string, z.ZodObject, z.ZodType>,
): { name: string; [key: string]: unknown } {
  const params = describeParams(def.params, "input");
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
    // OpenRPC extensions: kept for an older client, and answering only params with this key.
    ...(def.legacy ? { "x-legacy": true } : {}),
    ...(def.legacy?.variant_key ? { "x-legacy-variant-key": def.legacy.variant_key } : {}),
  };
}

/**
 * The descriptor of one notification, in the `x-notifications` extension: OpenRPC describes
 * only methods a client calls, so server-to-client notifications are listed beside them, shaped
 * like methods with no result.
 */
function describeNotification(def: NotificationDef): Record<string, unknown> {
  return {
    name: def.name,
    summary: def.summary,
    description: def.description,
    paramStructure: "by-name",
    params: describeParams(def.params, "output"),
    examples: def.examples.map((example) => ({
      name: example.name,
      params: exampleParams(example.params as Record<string, unknown>),
    })),
  };
}

/** Builds the whole document, methods and notifications in registry order. */
export function buildOpenRpcDocument(
  methods: readonly MethodDef<string, z.ZodObject, z.ZodType>[],
  notifications: readonly NotificationDef[],
  info: OpenRpcInfo,
): OpenRpcDocument {
  return {
    openrpc: "1.3.2",
    info,
    methods: methods.map(describeMethod),
    "x-notifications": notifications.map(describeNotification),
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
