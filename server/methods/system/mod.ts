/**
 * The `system.*` methods: the only ones a daemon loads before its first other request, so that a
 * ping answers without the rest of the registry (see server/registry.ts).
 *
 * @module
 */
import { ping } from "./ping.ts";
import { shutdown } from "./shutdown.ts";
import { status } from "./status.ts";
import { version } from "./version.ts";

/** The system methods, in the order discovery lists them. */
export const SYSTEM_METHODS = [ping, version, status, shutdown] as const;
