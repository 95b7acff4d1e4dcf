/**
 * A connection's outbox for notifications: bounded in count and bytes, so a client that stops
 * reading never holds the daemon's memory or blocks anyone else. When it fills, messages with
 * the same key are coalesced (only the latest is kept: the latest state per job); if it is still
 * full, each group's backlog (a subscription's) is replaced by the one message its `resync`
 * gives, which tells the client to re-read what it watches.
 *
 * @module
 */
import { encodeFrame } from "../../common/framing.ts";

/** The default bounds: 1024 messages or 1 MiB, whichever comes first. */
export const OUTBOX_LIMITS = { maxCount: 1024, maxBytes: 1024 * 1024 } as const;

/** How one notification is queued. */
export interface OutboxItem {
  /** The whole JSON-RPC notification. */
  message: { jsonrpc: "2.0"; method: string; params: object };
  /** Messages with one key stand for the same thing: only the latest matters. */
  key?: string;
  /** The subscription the message belongs to. */
  group: string;
  /** The message that replaces the group's backlog when the outbox overflows. */
  resync(): { jsonrpc: "2.0"; method: string; params: object };
}

interface Entry {
  item: OutboxItem;
  frame: Uint8Array;
}

/** A connection's notification outbox. */
export interface Outbox {
  push(item: OutboxItem): void;
  /** Forgets a group's queued messages (its subscription ended). */
  drop(group: string): void;
  /** Messages queued and not yet handed to the connection. */
  readonly size: number;
}

/**
 * Creates an outbox that hands frames to `write` one batch at a time: the next batch waits until
 * the previous one is written, so what a slow client has not read stays here, bounded.
 */
export function createOutbox(
  write: (frame: Uint8Array) => Promise<void>,
  limits: { maxCount: number; maxBytes: number } = OUTBOX_LIMITS,
): Outbox {
  let entries: Entry[] = [];
  let bytes = 0;
  let isFlushing = false;

  function recount(): void {
    bytes = entries.reduce((sum, e) => sum + e.frame.length, 0);
  }

  function isFull(): boolean {
    return entries.length > limits.maxCount || bytes > limits.maxBytes;
  }

  function entryOf(item: OutboxItem): Entry {
    return { item, frame: encodeFrame(JSON.stringify(item.message)) };
  }

  /** Keeps only the latest message per key. */
  function coalesce(): void {
    const latest = new Map<string, number>();
    entries.forEach((e, i) => e.item.key !== undefined && latest.set(e.item.key, i));
    entries = entries.filter((e, i) => e.item.key === undefined || latest.get(e.item.key) === i);
    recount();
  }

  /** Replaces every group's backlog with its one resync message. */
  function resync(): void {
    const groups = new Map<string, OutboxItem>();
    for (const e of entries) groups.set(e.item.group, e.item);
    entries = [...groups.values()].map((item) =>
      entryOf({ ...item, key: `resync:${item.group}`, message: item.resync() })
    );
    recount();
  }

  async function flush(): Promise<void> {
    isFlushing = true;
    try {
      while (entries.length > 0) {
        const batch = entries;
        entries = [];
        bytes = 0;
        // Handed over whole: what the outbox has taken out is the connection's now, and what it
        // has not is still counted, coalesced and dropped here (frame by frame, a taken batch
        // would sit in limbo, out of reach of the bounds and of drop()).
        await Promise.all(batch.map((e) => write(e.frame)));
      }
    } finally {
      isFlushing = false;
    }
  }

  return {
    push(item) {
      const entry = entryOf(item);
      entries.push(entry);
      bytes += entry.frame.length;
      if (isFull()) coalesce();
      if (isFull()) resync();
      if (!isFlushing) void flush();
    },
    drop(group) {
      entries = entries.filter((e) => e.item.group !== group);
      recount();
    },
    get size() {
      return entries.length;
    },
  };
}
