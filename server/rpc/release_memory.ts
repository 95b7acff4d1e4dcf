/**
 * Giving memory back. V8 collects when its own heuristics say so, and a quiet daemon is never
 * asked to: after a burst, the garbage of every request it served stays resident for as long as
 * nothing else happens, and so do the pages the C allocator kept for the requests' buffers. Two
 * moments call for an explicit collection:
 *
 * - right after a very large frame: a 64 MiB request leaves its bytes, its text and its parsed
 *   value as garbage, and a few in a row would stack up several hundred MiB first;
 * - when the daemon goes quiet after a burst of traffic: then the heap is collected, and the
 *   allocator is asked to return its free pages (glibc's `malloc_trim`, macOS's
 *   `malloc_zone_pressure_relief`).
 *
 * The daemon is launched with `--v8-flags=--expose-gc` (see client/auto_start.ts) so it can
 * collect, and with `--allow-ffi` so it can reach the allocator. Without either, that part does
 * nothing.
 *
 * @module
 */

/** Frames at least this large are followed by a full collection. */
export const LARGE_FRAME_BYTES = 8 * 1024 * 1024;

/** Runs a full GC when `bytes` is a large frame and the runtime exposes `gc`. */
export function collectAfterLargeFrame(bytes: number): void {
  if (bytes >= LARGE_FRAME_BYTES) collectGarbage();
}

/** V8's `gc` as `--expose-gc` installs it: a full collection, or the one given by `options`. */
type ExposedGc = (options?: { type: "major"; execution: "sync"; flavor: "last-resort" }) => void;

function exposedGc(): ExposedGc | undefined {
  return (globalThis as { gc?: ExposedGc }).gc;
}

function collectGarbage(): void {
  const gc = exposedGc();
  // Twice: the first collection finds the dead buffers, but their memory is handed back by a
  // background sweeper some time later; the second completes that sweep before it returns.
  gc?.();
  gc?.();
}

/** How each platform's C allocator is asked to return its free pages. */
const TRIM = {
  linux: {
    library: "libc.so.6",
    symbols: { malloc_trim: { parameters: ["usize"], result: "i32" } },
    call: (s: Record<string, (...args: unknown[]) => unknown>) => s.malloc_trim!(0n),
  },
  darwin: {
    library: "/usr/lib/libSystem.B.dylib",
    symbols: { malloc_zone_pressure_relief: { parameters: ["pointer", "usize"], result: "usize" } },
    call: (s: Record<string, (...args: unknown[]) => unknown>) =>
      s.malloc_zone_pressure_relief!(null, 0n),
  },
} as const;

let trimmer: (() => void) | null | undefined;

/** Asks the C allocator to return free pages; a no-op where that cannot be reached. */
function trimAllocator(): void {
  if (trimmer === undefined) trimmer = openTrimmer();
  trimmer?.();
}

function openTrimmer(): (() => void) | null {
  const how = TRIM[Deno.build.os as keyof typeof TRIM];
  if (!how || Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
  try {
    const lib = Deno.dlopen(how.library, how.symbols as Deno.ForeignLibraryInterface);
    const symbols = lib.symbols as unknown as Record<string, (...args: unknown[]) => unknown>;
    return () => void how.call(symbols);
  } catch {
    // Another C library (musl), or none at that path: the heap collection still happens.
    return null;
  }
}

/**
 * Collects the heap as V8 does when memory runs out (several rounds, then the heap shrinks to
 * what is live: a plain full collection leaves the grown heap committed), then returns the
 * allocator's free pages to the system. After a flood of 200 × 100 pipelined 16 KiB requests
 * this took RSS from 330 MiB back to its idle level; two plain collections left 285 MiB.
 */
export function returnFreedMemory(): void {
  exposedGc()?.({ type: "major", execution: "sync", flavor: "last-resort" });
  trimAllocator();
}

/**
 * `returnFreedMemory` on the next turn of the event loop: after loading a large module graph,
 * whose sources, parse trees and start-up garbage held about 7 MiB of an idle daemon's RSS.
 */
export function returnFreedMemorySoon(): void {
  setTimeout(returnFreedMemory, 0);
}

/** When a quiet daemon gives memory back. */
export interface QuietCollectorOptions {
  /** Bytes read since the last collection that make the next quiet moment collect. */
  thresholdBytes: number;
  /** How long the daemon must stay quiet first. */
  quietMs: number;
  /** What to run; `returnFreedMemory` by default. */
  collect?: () => void;
}

/** Bytes read since the last collection that make the next quiet moment collect. */
export const QUIET_COLLECT_BYTES = 16 * 1024 * 1024;
/** How long the daemon stays quiet before it collects. */
export const QUIET_COLLECT_MS = 1000;

/**
 * Collects once the daemon has been quiet for a moment after enough traffic. `read` counts the
 * bytes, `busy` and `quiet` say when requests are in flight; a collection never runs while one is.
 * A request costs two counter updates: under steady traffic one timer runs per `quietMs`, and it
 * starts again when it finds that requests came and went while it waited.
 */
export class QuietCollector {
  readonly #options: Required<QuietCollectorOptions>;
  #bytesSinceCollection = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #isQuiet = true;
  /** Counts the requests started, so the timer can tell whether the quiet was broken. */
  #requests = 0;

  constructor(options: QuietCollectorOptions) {
    this.#options = { collect: returnFreedMemory, ...options };
  }

  /** Counts `bytes` read from a client. */
  read(bytes: number): void {
    this.#bytesSinceCollection += bytes;
  }

  /** A request started: no collection until the daemon is quiet again. */
  busy(): void {
    this.#isQuiet = false;
    this.#requests++;
  }

  /** No request is in flight any more. */
  quiet(): void {
    this.#isQuiet = true;
    if (this.#timer === undefined) this.#arm();
  }

  /** Cancels a pending collection (the daemon is stopping). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#bytesSinceCollection = 0;
  }

  #arm(): void {
    if (this.#bytesSinceCollection < this.#options.thresholdBytes) return;
    const requests = this.#requests;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // Busy now: the next quiet() arms again. Busy since: wait another full quiet moment.
      if (!this.#isQuiet) return;
      if (this.#requests !== requests) return this.#arm();
      this.#bytesSinceCollection = 0;
      this.#options.collect();
    }, this.#options.quietMs);
    // A pending collection never keeps a stopping process alive.
    Deno.unrefTimer(this.#timer);
  }
}
