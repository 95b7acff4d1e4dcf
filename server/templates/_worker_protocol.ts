/**
 * The messages between the daemon and the render worker. Private to `server/templates/`; kept
 * apart from the worker's entry module, which must only ever be loaded as a worker.
 *
 * @module
 */

/** A request to the worker. */
export type WorkerRequest =
  | { id: number; op: "render"; files: Record<string, string>; name: string; context: unknown }
  | { id: number; op: "parse"; files: Record<string, string> };

/** The worker's answer to one request; id 0 says it has loaded and is ready. */
export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; message: string };

/** The id of the message the worker sends once, when it has loaded. */
export const READY_ID = 0;
