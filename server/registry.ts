/**
 * Every method the daemon answers, dotted and legacy, and the discovery document built from them.
 * The daemon imports this module on first use (a request for a method outside `system.*`, or once
 * its first request is answered), so that a ping after start-up loads none of the handlers.
 *
 * @module
 */
import { discoveryDocument, METHODS } from "./methods/mod.ts";
import { LEGACY_METHODS } from "./methods/legacy/mod.ts";
import type { OpenRpcDocument } from "./rpc/openrpc.ts";

/** The registry, then the legacy methods: what the dispatcher serves. */
export const ALL_METHODS = [...METHODS, ...LEGACY_METHODS];

/** The OpenRPC document `rpc.discover` returns. */
export function discovery(): OpenRpcDocument {
  return discoveryDocument(LEGACY_METHODS);
}
