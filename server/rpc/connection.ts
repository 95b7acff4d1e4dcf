/**
 * The read → dispatch → write loop for one connection. Requests run concurrently; each response
 * is written whole, through the stream's single write queue, as soon as it is ready.
 *
 * @module
 */
import {
  createFrameDecoder,
  encodeFrame,
  type FrameLimits,
  FramingError,
} from "../../common/framing.ts";
import type { Logger } from "../log.ts";
import { createSession, type Dispatcher, errorResponse } from "./dispatch.ts";
import { RpcError } from "./errors.ts";

/** A byte stream pair: a Deno.Conn, or an in-memory pair in tests. */
export interface ByteStream {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

/** How a connection is served. */
export interface ConnectionOptions {
  dispatcher: Dispatcher;
  log: Logger;
  limits?: FrameLimits;
  /** A client that stops sending in the middle of a frame is dropped after this long. */
  stallTimeoutMs: number;
  /** A client that does not read its responses is dropped once this many bytes wait unsent. */
  maxPendingWriteBytes?: number;
  /** Called once, when the first byte arrives. Connections that send nothing stay silent. */
  onFirstByte?(): void;
  /** Aborting it drops the connection and cancels its requests. */
  signal?: AbortSignal;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Serves one connection until the peer closes it, breaks framing, stalls, or `signal` aborts.
 * Resolves once every request read from it has been answered or cancelled.
 */
export async function serveConnection(
  stream: ByteStream,
  options: ConnectionOptions,
): Promise<void> {
  const { dispatcher, log } = options;
  const decoder = createFrameDecoder(options.limits);
  const session = createSession();
  const reader = stream.readable.getReader();
  const writer = stream.writable.getWriter();
  const maxPending = options.maxPendingWriteBytes ?? 256 * 1024 * 1024;
  const pending = new Set<Promise<void>>();
  let pendingBytes = 0;
  let isOpen = true;
  let stallTimer: ReturnType<typeof setTimeout> | undefined;
  const stopped = Promise.withResolvers<{ done: true; value: undefined }>();

  /**
   * Stops reading and cancels the requests in flight; their answers (cancelled) still go out.
   * `hard` also abandons unsent writes, for a peer that does not read them.
   */
  function drop(reason: string, options: { level?: "warn" | "debug"; hard?: boolean } = {}): void {
    if (!isOpen) return;
    isOpen = false;
    log[options.level ?? "warn"]("Dropping connection", { reason });
    for (const controller of session.inflight.values()) controller.abort();
    stopped.resolve({ done: true, value: undefined });
    if (options.hard) writer.abort().catch(() => {/* already closed */});
  }
  const onAbort = () => drop("daemon is closing", { level: "debug" });
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });

  function send(payload: unknown): Promise<void> {
    const frame = encodeFrame(JSON.stringify(payload));
    pendingBytes += frame.length;
    if (pendingBytes > maxPending) drop("client is not reading its responses", { hard: true });
    return writer.write(frame).then(
      () => void (pendingBytes -= frame.length),
      () => {/* The peer went away; the read side sees the same and ends the loop. */},
    );
  }

  async function handleBody(body: Uint8Array): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(utf8.decode(body));
    } catch (error) {
      const what = error instanceof SyntaxError ? "not valid JSON" : "not valid UTF-8";
      await send(
        errorResponse(null, new RpcError("parse_error", `Parse error: the message is ${what}`)),
      );
      return;
    }
    const response = await dispatcher.handle(message, session);
    // Sent even while the connection is being dropped: the answer to a finished request is
    // still wanted, and a write to a closed peer fails harmlessly.
    if (response !== undefined) await send(response);
  }

  let sawByte = false;
  try {
    while (isOpen) {
      const { value, done } = await Promise.race([
        reader.read().catch(() => ({ done: true, value: undefined }) as const),
        stopped.promise,
      ]);
      if (done || !value) break;
      if (!sawByte && value.length > 0) {
        sawByte = true;
        options.onFirstByte?.();
      }
      let bodies: Uint8Array[];
      try {
        bodies = decoder.push(value);
      } catch (error) {
        if (!(error instanceof FramingError)) throw error;
        // The stream cannot be resynchronised: answer once with id null, then hang up.
        await send(
          errorResponse(null, new RpcError("invalid_request", `Invalid frame: ${error.message}`)),
        );
        drop(error.message);
        break;
      }
      for (const body of bodies) {
        const task = handleBody(body).catch((error) =>
          log.error("Connection task failed", { error })
        );
        pending.add(task);
        task.finally(() => pending.delete(task));
      }
      clearTimeout(stallTimer);
      if (decoder.isMidFrame) {
        stallTimer = setTimeout(
          () => drop("client stalled in the middle of a frame"),
          options.stallTimeoutMs,
        );
      }
    }
  } finally {
    clearTimeout(stallTimer);
    options.signal?.removeEventListener("abort", onAbort);
    // A client may half-close after sending: answer what it asked before closing our side.
    await Promise.allSettled([...pending]);
    isOpen = false;
    await writer.close().catch(() => {/* peer already gone */});
    // Cancelling the read side closes the socket; it comes last so answers above went out first.
    await reader.cancel().catch(() => {/* already closed */});
  }
}
