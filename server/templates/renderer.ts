/**
 * The daemon's side of the render worker: one worker, started on first use, each request
 * answered or failed within a hard deadline. A request past it terminates the worker (and fails
 * whatever else was waiting on it); the next request starts a fresh one. An idle worker is
 * stopped, so its memory comes back.
 *
 * @module
 */
import { TemplateError } from "../errors.ts";
import { READY_ID, type WorkerReply, type WorkerRequest } from "./_worker_protocol.ts";

/** The worker's entry module; `deno compile` is told to carry it (tools/compile.ts). */
export const RENDER_WORKER_URL: URL = new URL("./render_worker.ts", import.meta.url);

/** How long one render or parse may take in a worker that has loaded. */
export const RENDER_DEADLINE_MS = 2000;
/** How long a new worker may take to load the engine. */
const START_DEADLINE_MS = 15_000;
/** How long an idle worker is kept. */
const IDLE_MS = 30_000;

type Timer = ReturnType<typeof setTimeout>;
type Pending = { resolve(value: unknown): void; reject(error: Error): void; timer: Timer };
type Request = WorkerRequest extends infer R ? R extends unknown ? Omit<R, "id"> : never : never;

/** Renders and parses templates in a worker, with a hard deadline. */
export class TemplateRenderer implements AsyncDisposable {
  #worker: { worker: Worker; ready: Promise<void> } | undefined;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #idle: Timer | undefined;
  #deadlineMs: number;

  constructor(options: { deadlineMs?: number } = {}) {
    this.#deadlineMs = options.deadlineMs ?? RENDER_DEADLINE_MS;
  }

  /** Renders template `name` of `files` with `context`. @throws {TemplateError} */
  async render(
    files: Record<string, string>,
    request: { name: string; context: Record<string, unknown> },
  ): Promise<string> {
    return await this.#call({ op: "render", files, ...request }) as string;
  }

  /** Parses every body: a problem per name that does not parse, null for the rest. */
  async parse(files: Record<string, string>): Promise<Record<string, string | null>> {
    return await this.#call({ op: "parse", files }) as Record<string, string | null>;
  }

  async #call(request: Request): Promise<unknown> {
    clearTimeout(this.#idle);
    const started = this.#worker ??= this.#start();
    // The deadline is the template's: it starts once the engine has loaded.
    await started.ready;
    if (this.#worker !== started) {
      throw new TemplateError("Cannot render the template: the renderer stopped");
    }
    const { worker } = started;
    const id = this.#nextId++;
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#stop(
          new TemplateError(
            `Cannot ${request.op} the template: it did not finish within ${this.#deadlineMs} ms`,
            { data: { reason: "deadline" } },
          ),
        );
      }, this.#deadlineMs);
      this.#pending.set(id, { resolve, reject, timer });
      worker.postMessage({ ...request, id });
    });
  }

  #start(): { worker: Worker; ready: Promise<void> } {
    const worker = new Worker(RENDER_WORKER_URL, { type: "module" });
    const loaded = Promise.withResolvers<void>();
    const loading = setTimeout(() => {
      const error = new TemplateError(
        `Cannot render the template: the render worker did not start within ${START_DEADLINE_MS} ms`,
      );
      loaded.reject(error);
      this.#stop(error);
    }, START_DEADLINE_MS);
    worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      if (reply.id === READY_ID) {
        clearTimeout(loading);
        loaded.resolve();
        return;
      }
      const pending = this.#pending.get(reply.id);
      if (pending === undefined) return;
      this.#pending.delete(reply.id);
      clearTimeout(pending.timer);
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(new TemplateError(`Cannot render the template: ${reply.message}`));
      if (this.#pending.size === 0) this.#idleTimer();
    };
    worker.onerror = (event) => {
      // The event must not reach the daemon's own error handling: one template cannot kill it.
      event.preventDefault();
      clearTimeout(loading);
      const error = new TemplateError(
        `Cannot render the template: the render worker failed: ${event.message}`,
      );
      loaded.reject(error);
      this.#stop(error);
    };
    // A start that fails is reported to each waiting call; it must not be an unhandled rejection.
    loaded.promise.catch(() => {});
    return { worker, ready: loaded.promise };
  }

  #idleTimer(): void {
    const timer = setTimeout(() => this.#stop(), IDLE_MS);
    Deno.unrefTimer(timer);
    this.#idle = timer;
  }

  /** Terminates the worker and fails every request still waiting on it. */
  #stop(error?: Error): void {
    clearTimeout(this.#idle);
    this.#worker?.worker.terminate();
    this.#worker = undefined;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(
        error ?? new TemplateError("Cannot render the template: the renderer stopped"),
      );
    }
    this.#pending.clear();
  }

  /** Whether a worker is running now (for tests and status). */
  get isRunning(): boolean {
    return this.#worker !== undefined;
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.#stop();
    return Promise.resolve();
  }
}
