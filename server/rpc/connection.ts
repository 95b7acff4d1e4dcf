/**
 * The read → dispatch → write loop for one connection. Requests run concurrently; each response
 * is written whole, through one write queue, as soon as it is ready.
 *
 * @module
 */
import { createFrameDecoder, type FrameLimits, FramingError } from "../../common/framing.ts";
import { utf8Text } from "../../common/bytes.ts";
import type { Logger } from "../log.ts";
import { createSession, type Dispatcher, errorResponse } from "./dispatch.ts";
import { AppError } from "../errors.ts";
import { collectAfterLargeFrame } from "./release_memory.ts";
import { createWriteQueue } from "./write_queue.ts";
import { createOutbox } from "./outbox.ts";

/**
 * The byte connection the loop needs: what `Deno.Conn` offers. Plain read/write rather than Web
 * Streams: per-request stream promises cost more than the rest of a ping together.
 */
export interface ByteConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  close(): void;
}

/** How a connection is served. */
export interface ConnectionOptions {
  dispatcher: Pick<Dispatcher, "handle">;
  log: Logger;
  limits?: FrameLimits;
  /** A client that stops sending in the middle of a frame is dropped after this long. */
  stallTimeoutMs: number;
  /** A client that does not read its responses is dropped once this many bytes wait unsent. */
  maxPendingWriteBytes?: number;
  /** Requests (a batch counts once) one connection may have in flight; MAX_IN_FLIGHT by default. */
  maxInFlight?: number;
  /** Bounds of the notification outbox (count and bytes); OUTBOX_LIMITS by default. */
  outboxLimits?: { maxCount: number; maxBytes: number };
  /** Called after each read with the number of bytes it brought. */
  onRead?(bytes: number): void;
  /** Called once, when the first byte arrives. Connections that send nothing stay silent. */
  onFirstByte?(): void;
  /** Called each time an answer has been written. */
  onAnswered?(): void;
  /** Aborting it stops reading, cancels the requests in flight and closes once they answer. */
  signal?: AbortSignal;
}

const RELEASED = new Uint8Array(0);
/**
 * Takes body `i` out of `bodies` and returns its text. Its own frame, so that once it returns no
 * frame's temporary still holds the bytes: a collection can then free them.
 */
function takeText(bodies: Uint8Array[], i: number): string {
  const bytes = bodies[i]!;
  bodies[i] = RELEASED;
  return utf8Text(bytes);
}

/** The length of body `i`, read in a frame of its own for the same reason. */
function lengthAt(bodies: readonly Uint8Array[], i: number): number {
  return bodies[i]!.length;
}
const READ_BUFFER_BYTES = 64 * 1024;
/** Requests one connection may have in flight before the daemon stops reading from it. */
export const MAX_IN_FLIGHT = 32;
const END = null;

/**
 * Serves one connection until the peer closes it, breaks framing, stalls, or `signal` aborts.
 * Resolves once every request read from it has been answered (or cancelled) and it is closed.
 */
export async function serveConnection(conn: ByteConn, options: ConnectionOptions): Promise<void> {
  const { dispatcher, log } = options;
  const decoder = createFrameDecoder(options.limits);
  const pending = new Set<Promise<void>>();
  const stopped = Promise.withResolvers<null>();
  const output = createWriteQueue(conn, {
    maxPendingBytes: options.maxPendingWriteBytes ?? 256 * 1024 * 1024,
    onOverflow: () => drop("client is not reading its responses"),
  });
  const maxInFlight = options.maxInFlight ?? MAX_IN_FLIGHT;
  const closing = new AbortController();
  const session = createSession({
    outbox: createOutbox((frame) => output.push(frame), options.outboxLimits),
    closed: closing.signal,
  });
  let isReading = true;
  let stallTimer: ReturnType<typeof setTimeout> | undefined;
  const buffer = new Uint8Array(READ_BUFFER_BYTES);
  /** Ends the read being waited on, when the connection is dropped in the middle of it. */
  let stopRead: ((n: typeof END) => void) | undefined;

  /** Stops reading and cancels the requests in flight; their (cancelled) answers still go out. */
  function drop(reason: string, level: "warn" | "debug" = "warn"): void {
    if (!isReading) return;
    isReading = false;
    log[level]("Dropping connection", { reason });
    for (const controller of session.inflight.values()) controller.abort();
    stopped.resolve(END);
    stopRead?.(END);
  }

  /**
   * The next read, or END once the connection is dropped. One promise per read: a race against
   * `stopped` cost more than the rest of a ping's loop.
   */
  function nextRead(): Promise<number | typeof END> {
    return new Promise((resolve) => {
      stopRead = resolve;
      conn.read(buffer).then(resolve, () => resolve(END));
    });
  }
  const onAbort = () => drop("daemon is closing", "debug");
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });

  function send(payload: unknown): Promise<void> {
    return output.pushJson(JSON.stringify(payload));
  }

  /**
   * Decodes `bodies[i]` at once, synchronously, and lets go of it: the body may be a view into the
   * read buffer, which the next read reuses, and neither its bytes nor its text may outlive this
   * call (a 64 MiB request must not hold three copies of itself while its handler runs).
   */
  function parseBody(bodies: Uint8Array[], i: number): { message: unknown } | { error: AppError } {
    let text: string;
    try {
      text = takeText(bodies, i);
    } catch {
      return { error: new AppError("parse_error", "Parse error: the message is not valid UTF-8") };
    }
    // Free the bytes before the parse allocates the value: one copy less at the peak.
    collectAfterLargeFrame(text.length);
    try {
      return { message: JSON.parse(text) };
    } catch {
      return { error: new AppError("parse_error", "Parse error: the message is not valid JSON") };
    }
  }

  async function respond(parsed: { message: unknown } | { error: AppError }): Promise<void> {
    if ("error" in parsed) {
      await send(errorResponse(null, parsed.error));
      return;
    }
    const response = await dispatcher.handle(parsed.message, session);
    // Sent even while the connection is being dropped: the answer to a finished request is
    // still wanted, and a write to a closed peer fails harmlessly.
    if (response !== undefined) {
      await send(response);
      options.onAnswered?.();
    }
  }

  let sawByte = false;
  try {
    while (isReading) {
      // At the cap, read nothing more until an answer is out: a client that pipelines without
      // end holds at most this many requests (and their memory) in the daemon.
      while (pending.size >= maxInFlight && isReading) {
        await Promise.race([...pending, stopped.promise]);
      }
      if (!isReading) break;
      const n = await nextRead();
      if (n === END) break;
      if (n === 0) continue;
      options.onRead?.(n);
      if (!sawByte) {
        sawByte = true;
        options.onFirstByte?.();
      }
      let bodies: Uint8Array[];
      let broken: FramingError | undefined;
      try {
        // A view, not a copy: the decoder copies partial frames into its own buffers, and the
        // bodies it returns are views that parseBody consumes before the next read.
        bodies = decoder.push(buffer.subarray(0, n));
      } catch (error) {
        if (!(error instanceof FramingError)) throw error;
        broken = error;
        bodies = error.frames;
      }
      for (let i = 0; i < bodies.length; i++) {
        const size = lengthAt(bodies, i);
        const done = () => {
          pending.delete(task);
          collectAfterLargeFrame(size);
        };
        const task: Promise<void> = respond(parseBody(bodies, i)).then(done, (error) => {
          log.error("Connection task failed", { error });
          done();
        });
        pending.add(task);
      }
      if (broken) {
        // The stream cannot be resynchronised. Every complete frame before the bad bytes is
        // answered (not cancelled), then the error goes out once with id null, then the close.
        await Promise.allSettled([...pending]);
        await send(
          errorResponse(null, new AppError("invalid_request", `Invalid frame: ${broken.message}`)),
        );
        log.warn("Dropping connection", { reason: broken.message });
        break;
      }
      // Only a timer that runs is cleared: Deno loads its timers on first use, which would cost
      // the daemon's first ping several milliseconds (see server/daemon.ts).
      if (stallTimer !== undefined) clearTimeout(stallTimer);
      stallTimer = undefined;
      if (decoder.isMidFrame) {
        stallTimer = setTimeout(
          () => drop("client stalled in the middle of a frame"),
          options.stallTimeoutMs,
        );
      }
    }
  } finally {
    isReading = false;
    closing.abort();
    if (stallTimer !== undefined) clearTimeout(stallTimer);
    options.signal?.removeEventListener("abort", onAbort);
    // A client may half-close after sending: answer what it asked before closing.
    await Promise.allSettled([...pending]);
    await output.drained();
    try {
      conn.close();
    } catch {
      // Already closed by the peer or by an overflow.
    }
  }
}
