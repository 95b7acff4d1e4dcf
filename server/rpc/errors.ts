/**
 * The one place an `AppError` becomes a JSON-RPC error object: its kind picks the code from the
 * error table, and its data travels beside the kind.
 *
 * @module
 */
import { ERROR_KINDS } from "../../common/error_codes.ts";
import type { JsonRpcErrorObject } from "../../common/messages.ts";
import type { AppError } from "../errors.ts";

/** The wire form of `error`: `{code, message, data: {kind, ...data}}`. */
export function wireError(error: AppError): JsonRpcErrorObject & { data: Record<string, unknown> } {
  return {
    code: ERROR_KINDS[error.kind].code,
    message: error.message,
    data: { ...error.data, kind: error.kind },
  };
}
