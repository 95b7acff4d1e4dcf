/**
 * JSON-RPC 2.0 envelope types, shared by the daemon and the client.
 *
 * @module
 */

/** A request id. JSON-RPC allows a number, a string or null. */
export type JsonRpcId = string | number | null;

/** A request (has an id) or a notification (has none). */
export interface JsonRpcRequest {
  jsonrpc: "2.0";
  method: string;
  params?: Record<string, unknown> | unknown[];
  id?: JsonRpcId;
}

/** The error member of an error response. */
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** A response: exactly one of `result` and `error`. */
export type JsonRpcResponse =
  | { jsonrpc: "2.0"; id: JsonRpcId; result: unknown }
  | { jsonrpc: "2.0"; id: JsonRpcId; error: JsonRpcErrorObject };

/** True for a value JSON-RPC accepts as an id. */
export function isJsonRpcId(value: unknown): value is JsonRpcId {
  return value === null || typeof value === "string" ||
    (typeof value === "number" && Number.isFinite(value));
}

/** True for a plain JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
