/**
 * `defineNotification()`: the single declaration of a notification the daemon pushes (a
 * JSON-RPC message without an id). The registry lists notifications beside methods; discovery
 * (`x-notifications`), the README table and the client's typed `on()` come from it.
 *
 * @module
 */
import type { z } from "zod";

/** A notification declaration. */
export interface NotificationDef<N extends string = string, P extends z.ZodObject = z.ZodObject> {
  /** `namespace.event`, lower case. */
  name: N;
  /** One line. */
  summary: string;
  /** When it is sent, and what it promises. */
  description: string;
  /** Its params, always by name. */
  params: P;
  /** At least one example of its params. */
  examples: readonly { name: string; params: z.output<P> }[];
}

/** Declares a notification. An identity function that exists to infer the types. */
export function defineNotification<const N extends string, P extends z.ZodObject>(
  def: NotificationDef<N, P>,
): NotificationDef<N, P> {
  return def;
}

/** The JSON-RPC message for notification `def` with `params`. */
export function notificationOf<N extends string, P extends z.ZodObject>(
  def: NotificationDef<N, P>,
  params: z.output<P>,
): { jsonrpc: "2.0"; method: N; params: z.output<P> } {
  return { jsonrpc: "2.0", method: def.name, params };
}
