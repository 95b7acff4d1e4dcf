/**
 * The render worker: Liquid runs here, off the daemon's thread, so that a template that runs
 * away can be stopped by terminating the worker (renderer.ts) while the daemon keeps serving.
 * As a worker's entry module it listens for messages when loaded.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { parseAll, renderIn } from "./liquid_engine.ts";
import { READY_ID, type WorkerReply, type WorkerRequest } from "./_worker_protocol.ts";

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  let reply: WorkerReply;
  try {
    const value = request.op === "render"
      ? await renderIn(request.files, {
        name: request.name,
        context: request.context as Record<string, unknown>,
      })
      : parseAll(request.files);
    reply = { id: request.id, ok: true, value };
  } catch (error) {
    reply = { id: request.id, ok: false, message: (error as Error).message ?? String(error) };
  }
  self.postMessage(reply);
};

self.postMessage({ id: READY_ID, ok: true, value: null } satisfies WorkerReply);
