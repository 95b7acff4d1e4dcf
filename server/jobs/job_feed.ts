/**
 * A live feed of job changes for one subscriber: first the logged changes after `sinceSeq` that
 * match its filter, then the live ones, with no gap and no duplicate at the seam (the log is read
 * synchronously, and the store announces changes synchronously after their commit, so nothing
 * can slip between the two). Progress alone is passed on at most once per interval per job.
 *
 * @module
 */
import type { JobState } from "../model/job_state.ts";
import type { JobChange, JobStore } from "./store.ts";

/** Which jobs a subscriber watches; every given field must match. */
export interface JobFeedFilter {
  pks?: readonly number[] | undefined;
  states?: readonly JobState[] | undefined;
  cluster_id?: number | undefined;
  workflow_id?: string | undefined;
}

/** Where the feed delivers. */
export interface JobFeedSink {
  change(change: JobChange): void;
  /** Changes were lost (older than the log keeps); `seq` is the newest issued. */
  resync(seq: number): void;
}

/** A running feed. */
export interface JobFeed {
  /** The newest sequence number issued when the feed was made. */
  readonly seq: number;
  /** Replays what `sinceSeq` asks for, then goes live. Call once. */
  start(): void;
  /** Stops delivering. */
  stop(): void;
}

/** Progress alone is passed on at most this often per job. */
export const PROGRESS_INTERVAL_MS = 1000;
/** Replay reads the log in pages of this many changes. */
const REPLAY_PAGE = 1000;

function matches(filter: JobFeedFilter, change: JobChange): boolean {
  if (filter.pks !== undefined && !filter.pks.includes(change.pk)) return false;
  if (filter.states !== undefined && !filter.states.includes(change.state)) return false;
  if (filter.cluster_id !== undefined && change.cluster_id !== filter.cluster_id) return false;
  if (filter.workflow_id !== undefined && change.workflow_id !== filter.workflow_id) return false;
  return true;
}

/** Makes a feed; it buffers live changes until `start()`. */
export function createJobFeed(
  store: JobStore,
  options: {
    filter: JobFeedFilter;
    sinceSeq?: number | undefined;
    sink: JobFeedSink;
    progressIntervalMs?: number;
  },
): JobFeed {
  const { filter, sink } = options;
  const interval = options.progressIntervalMs ?? PROGRESS_INTERVAL_MS;
  const seq = store.bounds().newest;
  let buffered: JobChange[] | undefined = [];
  let isStopped = false;
  const lastProgressAt = new Map<number, number>();
  const pendingProgress = new Map<
    number,
    { change: JobChange; timer: ReturnType<typeof setTimeout> }
  >();

  /** Forgets the job's held progress: a newer change supersedes it. */
  function dropPending(pk: number): void {
    const pending = pendingProgress.get(pk);
    if (pending) clearTimeout(pending.timer), pendingProgress.delete(pk);
  }

  function deliver(change: JobChange): void {
    if (change.kind !== "progress") {
      dropPending(change.pk);
      sink.change(change);
      return;
    }
    const now = Date.now();
    const wait = (lastProgressAt.get(change.pk) ?? -Infinity) + interval - now;
    if (wait <= 0) {
      // A busy loop can delay the held progress's timer past its interval: it must not fire
      // after this newer one.
      dropPending(change.pk);
      lastProgressAt.set(change.pk, now);
      sink.change(change);
      return;
    }
    const pending = pendingProgress.get(change.pk);
    if (pending) {
      pending.change = change; // Only the latest progress matters.
      return;
    }
    const timer = setTimeout(() => {
      const latest = pendingProgress.get(change.pk);
      pendingProgress.delete(change.pk);
      if (latest && !isStopped) {
        lastProgressAt.set(change.pk, Date.now());
        sink.change(latest.change);
      }
    }, wait);
    pendingProgress.set(change.pk, { change, timer });
  }

  const unlisten = store.onChange((change) => {
    if (isStopped || !matches(filter, change)) return;
    if (buffered) buffered.push(change);
    else deliver(change);
  });

  return {
    seq,
    start() {
      if (isStopped || buffered === undefined) return;
      let last = seq;
      if (options.sinceSeq !== undefined) {
        const { oldest } = store.bounds();
        if (options.sinceSeq < oldest - 1) {
          sink.resync(seq);
        } else {
          last = options.sinceSeq;
          for (;;) {
            const page = store.changesAfter(last, REPLAY_PAGE).filter((c) => c.seq <= seq);
            if (page.length === 0) break;
            for (const change of page) if (matches(filter, change)) sink.change(change);
            last = page.at(-1)!.seq;
            if (last >= seq) break;
          }
        }
      }
      const live = buffered.filter((c) => c.seq > Math.max(last, seq));
      buffered = undefined;
      for (const change of live) deliver(change);
    },
    stop() {
      isStopped = true;
      unlisten();
      for (const { timer } of pendingProgress.values()) clearTimeout(timer);
      pendingProgress.clear();
    },
  };
}
