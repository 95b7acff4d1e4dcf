/**
 * Running work on a pooled connection: the per-connection channel semaphore, the per-call
 * deadline, racing work against abort signals, and collecting a command's output.
 *
 * @module
 */
import { concatBytes } from "../../common/bytes.ts";
import { CancelledError, TimeoutError } from "../errors.ts";
import type { Channel } from "./_ssh2_types.ts";
import type { CallOptions, ExecResult } from "./pool.ts";

const DEFAULT_TIMEOUT_MS = 60_000;

/** A counting semaphore whose waits can be aborted. */
export function createSemaphore(limit: number): (signal: AbortSignal) => Promise<() => void> {
  let used = 0;
  const waiters: (() => void)[] = [];
  function release(): void {
    const next = waiters.shift();
    if (next) next();
    else used--;
  }
  return (signal) => {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (used < limit) {
      used++;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener("abort", onAbort);
        resolve(release);
      };
      const onAbort = () => {
        waiters.splice(waiters.indexOf(grant), 1);
        reject(signal.reason);
      };
      waiters.push(grant);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  };
}

/** Settles with `work`, or rejects with the first signal's error as soon as one aborts. */
export function raceSignals<T>(work: Promise<T>, races: [AbortSignal, () => Error][]): Promise<T> {
  return new Promise((resolve, reject) => {
    const cleanups: (() => void)[] = [];
    const done = () => cleanups.forEach((cleanup) => cleanup());
    // Handle `work` first, so its late rejection is never unhandled.
    work.then((value) => (done(), resolve(value)), (error) => (done(), reject(error)));
    for (const [signal, toError] of races) {
      if (signal.aborted) return (done(), reject(toError()));
      const onAbort = () => {
        done();
        reject(toError());
      };
      signal.addEventListener("abort", onAbort, { once: true });
      cleanups.push(() => signal.removeEventListener("abort", onAbort));
    }
  });
}

/** A call's deadline: aborts with TimeoutError after the timeout, or CancelledError on the caller's signal. */
export interface Deadline {
  signal: AbortSignal;
  expiresAt: number;
  clear: () => void;
}

/** Starts the deadline of one call on the target named `targetName`. */
export function startDeadline(
  targetName: string,
  call: { action: string; options: CallOptions },
): Deadline {
  const { action, options } = call;
  const controller = new AbortController();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timer = setTimeout(
    () =>
      controller.abort(
        new TimeoutError(
          `Cannot ${action} on "${targetName}": timed out after ${timeoutMs} ms`,
          { data: { timeout_ms: timeoutMs } },
        ),
      ),
    timeoutMs,
  );
  const onAbort = () =>
    controller.abort(
      new CancelledError(`Cannot ${action} on "${targetName}": the request was cancelled`),
    );
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    expiresAt: Date.now() + timeoutMs,
    clear() {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    },
  };
}

/** Collects a command's output; closes the channel when `signal` aborts. */
export function collectExec(
  stream: Channel,
  o: { stdin: string | undefined; signal: AbortSignal },
): Promise<ExecResult> {
  const { stdin, signal } = o;
  return new Promise((resolve, reject) => {
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    let code: number | null = null;
    let signalName: string | null = null;
    let hasExited = false;
    const onAbort = () => {
      try {
        stream.signal("KILL"); // OpenSSH ignores it unless configured to; closing still hangs the command up.
      } catch {
        // The channel may already be closing.
      }
      stream.close();
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    stream.on("data", (chunk: Uint8Array) => void out.push(chunk));
    stream.stderr.on("data", (chunk: Uint8Array) => void err.push(chunk));
    stream.on("exit", (exitCode: number | null, exitSignal?: string) => {
      hasExited = true;
      code = exitCode;
      if (typeof exitSignal === "string") {
        signalName = exitSignal.startsWith("SIG") ? exitSignal : `SIG${exitSignal}`;
      }
    });
    stream.on("close", () => {
      signal.removeEventListener("abort", onAbort);
      const decoder = new TextDecoder();
      const text = (chunks: Uint8Array[]) => decoder.decode(concatBytes(chunks));
      if (!hasExited && code === null) {
        // No exit status: the connection went away under the command (the caller maps this).
        return reject(new Error("the channel closed without an exit status"));
      }
      resolve({ stdout: text(out), stderr: text(err), code, signal: signalName });
    });
    stream.end(stdin ?? "");
  });
}
