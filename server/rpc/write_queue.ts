/**
 * The single write queue of a connection. Frames go out whole and in order; frames that become
 * ready while a write is in progress are coalesced into the next write, so a client with many
 * requests in flight costs one syscall per batch of answers, not one per answer.
 *
 * @module
 */
import { concatBytes } from "../../common/bytes.ts";

/** Where the queue writes: `Deno.Conn` fits. */
export interface ByteSink {
  write(data: Uint8Array): Promise<number>;
  close(): void;
}

/** A connection's write queue. */
export interface WriteQueue {
  /** Queues a whole frame; resolves once it has been written (or the peer is gone). */
  push(frame: Uint8Array): Promise<void>;
  /** Resolves once everything queued so far has been written or abandoned. */
  drained(): Promise<void>;
}

/** Creates the queue. Past `maxPendingBytes` unsent, it gives up: the peer is not reading. */
export function createWriteQueue(
  sink: ByteSink,
  options: { maxPendingBytes: number; onOverflow(): void },
): WriteQueue {
  let queue: Uint8Array[] = [];
  let queuedBytes = 0;
  let flushing: Promise<void> | undefined;
  let isBroken = false;

  async function flush(): Promise<void> {
    // Let answers that finish in the same tick join this write.
    await Promise.resolve();
    while (queue.length > 0 && !isBroken) {
      const batch = queue;
      queue = [];
      queuedBytes = 0;
      const data = batch.length === 1 ? batch[0]! : concatBytes(batch);
      try {
        // Written inline, not through a helper: one promise less per answer on the hot path.
        let offset = await sink.write(data);
        while (offset < data.length) offset += await sink.write(data.subarray(offset));
      } catch {
        // The peer went away; the read side sees the same and ends the connection.
        isBroken = true;
      }
    }
    queue = [];
    queuedBytes = 0;
    flushing = undefined;
  }

  return {
    push(frame) {
      if (isBroken) return Promise.resolve();
      queue.push(frame);
      queuedBytes += frame.length;
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
    },
    drained: () => flushing ?? Promise.resolve(),
  };
}
