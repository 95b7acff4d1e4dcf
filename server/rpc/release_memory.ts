/**
 * Returning memory after a large frame. A 64 MiB request leaves its bytes, its text and its parsed
 * value as garbage; V8 collects large objects only when its own heuristics say so, and a few such
 * requests in a row would stack up several hundred MiB first. The daemon is launched with
 * `--v8-flags=--expose-gc` (see client/auto_start.ts), so it can ask for a collection right after
 * such a frame. Without the flag this does nothing.
 *
 * @module
 */

/** Frames at least this large are followed by a full collection. */
export const LARGE_FRAME_BYTES = 8 * 1024 * 1024;

/** Runs a full GC when `bytes` is a large frame and the runtime exposes `gc`. */
export function collectAfterLargeFrame(bytes: number): void {
  if (bytes < LARGE_FRAME_BYTES) return;
  const gc = (globalThis as { gc?: () => void }).gc;
  // Twice: the first collection finds the dead buffers, but their memory is handed back by a
  // background sweeper some time later; the second completes that sweep before it returns.
  gc?.();
  gc?.();
}
