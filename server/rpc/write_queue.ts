/**
 * The single write queue of a connection. Frames go out whole and in order; frames that become
 * ready while a write is in progress are coalesced into the next write, so a client with many
 * requests in flight costs one syscall per batch of answers, not one per answer. Answers come as
 * JSON text and are framed into one buffer the queue reuses: a small typed array costs more to
 * allocate than the rest of framing an answer.
 *
 * @module
 */
import { frameLength, utf8ByteLength, writeFrame } from "../../common/framing.ts";

/** Where the queue writes: `Deno.Conn` fits. */
export interface ByteSink {
  write(data: Uint8Array): Promise<number>;
  close(): void;
}

/** A connection's write queue. */
export interface WriteQueue {
  /** Queues a whole frame; resolves once it has been written (or the peer is gone). */
  push(frame: Uint8Array): Promise<void>;
  /** Queues the frame of one JSON text, as `push` does. */
  pushJson(json: string): Promise<void>;
  /** Resolves once everything queued so far has been written or abandoned. */
  drained(): Promise<void>;
}

/**
 * Batches up to this size are built in the reused buffer, which grows to the largest batch so
 * far (from 1 KiB, in powers of two): a connection that only pings keeps 1 KiB. Larger batches
 * get a buffer of their own.
 */
const MAX_REUSED_BYTES = 64 * 1024;

/** Creates the queue. Past `maxPendingBytes` unsent, it gives up: the peer is not reading. */
export function createWriteQueue(
  sink: ByteSink,
  options: { maxPendingBytes: number; onOverflow(): void },
): WriteQueue {
  /** Frames, or JSON texts with their UTF-8 lengths in `lengths` at the same index. */
  let queue: (Uint8Array | string)[] = [];
  let lengths: number[] = [];
  let queuedBytes = 0;
  let flushing: Promise<void> | undefined;
  let isBroken = false;
  let reused: Uint8Array | undefined;

  /** The batch as one buffer: the reused one while nothing else can be reading it. */
  function build(batch: (Uint8Array | string)[], sizes: number[], bytes: number): Uint8Array {
    if (bytes <= MAX_REUSED_BYTES && bytes > (reused?.length ?? 0)) {
      let size = 1024;
      while (size < bytes) size *= 2;
      reused = new Uint8Array(size);
    }
    const out = bytes <= MAX_REUSED_BYTES ? reused!.subarray(0, bytes) : new Uint8Array(bytes);
    let offset = 0;
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i]!;
      if (typeof item === "string") offset = writeFrame(item, sizes[i]!, out, offset);
      else {
        out.set(item, offset);
        offset += item.length;
      }
    }
    return out;
  }

  async function flush(): Promise<void> {
    // Let answers that finish in the same tick join this write.
    await Promise.resolve();
    while (queue.length > 0 && !isBroken) {
      const data = build(queue, lengths, queuedBytes);
      queue = [];
      lengths = [];
      queuedBytes = 0;
      try {
        // Written inline, not through a helper: one promise less per answer on the hot path. The
        // reused buffer is built again only after this write has taken all of it.
        let offset = await sink.write(data);
        while (offset < data.length) offset += await sink.write(data.subarray(offset));
      } catch {
        // The peer went away; the read side sees the same and ends the connection.
        isBroken = true;
      }
    }
    queue = [];
    lengths = [];
    queuedBytes = 0;
    flushing = undefined;
  }

  function enqueue(item: Uint8Array | string, size: number, bytes: number): Promise<void> {
    if (isBroken) return Promise.resolve();
    queue.push(item);
    lengths.push(size);
    queuedBytes += bytes;
    if (queuedBytes > options.maxPendingBytes) {
      isBroken = true;
      options.onOverflow();
      try {
        sink.close(); // Unblocks a write stuck on a peer that never reads.
      } catch {
        // Already closed.
      }
    }
    flushing ??= flush();
    return flushing;
  }

  return {
    push: (frame) => enqueue(frame, frame.length, frame.length),
    pushJson(json) {
      const size = utf8ByteLength(json);
      return enqueue(json, size, frameLength(size));
    },
    drained: () => flushing ?? Promise.resolve(),
  };
}
