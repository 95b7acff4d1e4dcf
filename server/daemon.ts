/**
 * The daemon's lifecycle: locks, listen, the services, accept, inactivity timer, graceful drain,
 * shutdown.
 *
 * It starts in two steps, so that a client's first ping is answered within milliseconds:
 *
 * 1. Before the socket listens, it takes the pid and database locks (so a second daemon on the
 *    same socket or database never answers anything), and it loads no schema library, npm
 *    package or Node module (tests/cli/lazy_loading_test.ts).
 * 2. Once it listens, it answers `system.ping`, `system.version` and `system.shutdown`
 *    (server/methods/system/answers.ts), and builds the services: the database and its
 *    migrations, the reconcile of running jobs, the workflow engine's resume, the import of an
 *    old backend's database. It begins as soon as the first answer is out, or another request
 *    waits for them, or BRING_UP_GRACE_MS after it listens, whichever comes first: their ~50 ms
 *    of loading would otherwise hold up the first client's ping, which comes within
 *    milliseconds. Every request beyond those three is held until they are up. If they cannot
 *    be built, the held requests get the error, and the daemon stops with it: `stopped`
 *    rejects, and `serve` exits as from a start that failed.
 *
 * No timer is touched before then: Deno 2.9 loads its timers on the first `setTimeout` or
 * `clearTimeout`, 5 to 10 ms. The inactivity clock starts with the services; the grace period
 * is an `AbortSignal.timeout`, which does not load them.
 *
 * @module
 */
import { pidFilePath } from "../common/paths.ts";
import { VERSION } from "../common/version.ts";
import type { BroughtUp } from "./bring_up.ts";
import type { Config } from "./config.ts";
import type { buildServices } from "./services.ts";
import type { Logger } from "./log.ts";
import type { DaemonStatus, MethodContext } from "./methods/context.ts";
import { type Clock, SYSTEM_CLOCK } from "./clock.ts";
import { EARLY_SYSTEM_METHODS, type SystemContext } from "./methods/system/answers.ts";
import type { TuiDbReport } from "./legacy/tui_db.ts";
import { acquireDatabaseLock, acquirePidLock, type PidLock } from "./pid_lock.ts";
import { serveConnection } from "./rpc/connection.ts";
import {
  QUIET_COLLECT_BYTES,
  QUIET_COLLECT_MS,
  QuietCollector,
  returnFreedMemorySoon,
} from "./rpc/release_memory.ts";
import { createDispatcher, type Dispatcher } from "./rpc/dispatch.ts";
import type { OpenRpcDocument } from "./rpc/openrpc.ts";
import { listenUnix } from "./socket.ts";

/** What a daemon needs besides its config. */
export interface DaemonDeps {
  log: Logger;
  clock?: Clock;
  /** Builds the services; tests pass one they control. */
  buildServices?: typeof buildServices;
}

/** How long a new daemon waits for a first request before it builds its services anyway. */
export const BRING_UP_GRACE_MS = 20;

/** A running daemon. Dispose it (or call `shutdown`) to stop it gracefully. */
export class Daemon implements AsyncDisposable {
  readonly #config: Config;
  #tuiDb: TuiDbReport | null;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #locks: PidLock[];
  /** The services, once built; until then only the early system methods are answered. */
  #up: BroughtUp | undefined;
  /** Settles once the services are up, or have failed to come up; undefined until begun. */
  #servicesUp: Promise<void> | undefined;
  readonly #build: typeof buildServices | undefined;
  /** False until the services are being built: no timer is armed before (see the module doc). */
  #isClockOn = false;
  /** Called after each answer is written. */
  #afterAnswer: () => void;
  /** Why the services could not be built; `stopped` rejects with it. */
  #startError: unknown;
  readonly #listener: Deno.UnixListener;
  readonly #dispatcher: Dispatcher;
  /** Built on the first rpc.discover: a ping never needs it, and it costs start-up ~15 ms. */
  #openrpc: OpenRpcDocument | undefined;
  /** Every method beyond system.*, loaded on first use (see server/registry.ts). */
  #registryModule: Promise<typeof import("./registry.ts")> | undefined;
  readonly #startedAt: Date;
  readonly #connections = new Map<Promise<void>, AbortController>();
  readonly #stopped = Promise.withResolvers<void>();
  #state: "running" | "draining" | "stopped" = "running";
  #isRefusingRequests = false;
  #activeRequests = 0;
  #requestsServed = 0;
  #talkingConnections = 0;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #onQuiet: (() => void) | undefined;
  /** Gives a burst's memory back once the daemon is quiet again. */
  readonly #collector = new QuietCollector({
    thresholdBytes: QUIET_COLLECT_BYTES,
    quietMs: QUIET_COLLECT_MS,
  });

  /**
   * Takes the locks and listens; the services are built from there on (see the module doc).
   * @throws {ConflictError} when another daemon owns the socket or the database
   */
  static async start(given: Config, deps: DaemonDeps): Promise<Daemon> {
    // Only the terminal UI's database path needs a look at a file (and node:sqlite) first.
    const { config, report } = given.tuiDb === null
      ? { config: given, report: null }
      : (await import("./legacy/tui_db.ts")).chooseStore(given);
    const lock = acquirePidLock(pidFilePath(config.socketPath), config.socketPath);
    let dbLock: PidLock | undefined;
    try {
      // Before anything is answered: two daemons on one database would run jobs twice.
      if (config.dbPath !== ":memory:") {
        dbLock = acquireDatabaseLock(config.dbPath, config.socketPath);
      }
      const listener = await listenUnix(config.socketPath);
      return new Daemon({
        config,
        deps,
        locks: [lock, ...(dbLock ? [dbLock] : [])],
        listener,
        tuiDb: report,
      });
    } catch (error) {
      dbLock?.release();
      lock.release();
      throw error;
    }
  }

  /** Use `Daemon.start`, which acquires the parts. */
  constructor(
    parts: {
      config: Config;
      deps: DaemonDeps;
      /** The pid lock, then the database lock; released in reverse. */
      locks: PidLock[];
      listener: Deno.UnixListener;
      /** What was found at CRYSTAL_TUI_DB, if it was given. */
      tuiDb?: TuiDbReport | null;
    },
  ) {
    this.#tuiDb = parts.tuiDb ?? null;
    this.#config = parts.config;
    this.#log = parts.deps.log;
    this.#clock = parts.deps.clock ?? SYSTEM_CLOCK;
    this.#locks = parts.locks;
    this.#listener = parts.listener;
    this.#startedAt = this.#clock.now();
    // A start-up failure rejects `stopped`; `serve` reports it, and no one else has to look.
    this.#stopped.promise.catch(() => {});
    this.#build = parts.deps.buildServices;
    // Built once: a request's context differs only in its signal and session.
    const daemon: MethodContext["daemon"] = {
      status: () => this.status(),
      requestShutdown: (reason) => {
        // From this instant no new request is served, not even one that arrives right after
        // the acknowledgement; the acknowledgement itself still goes out before the drain.
        this.#isRefusingRequests = true;
        setTimeout(() => void this.shutdown(reason), 0);
      },
      openrpc: async () => this.#openrpc ??= (await this.#registry()).discovery(),
    };
    this.#dispatcher = createDispatcher<MethodContext, SystemContext>({
      methods: [],
      early: EARLY_SYSTEM_METHODS,
      makeEarlyContext: (signal, session) => ({ signal, session, clock: this.#clock, daemon }),
      // Every other request waits here for the services, then for the registry.
      loadMethods: async () => {
        await this.#startServices(daemon);
        return (await this.#registry()).ALL_METHODS;
      },
      log: this.#log,
      makeContext: (signal, session) => ({ signal, session, ...this.#up!.shared }),
      isAccepting: () => this.#state === "running" && !this.#isRefusingRequests,
      mapError: (error) => this.#up?.mapError(error),
      onRequestStart: () => {
        this.#activeRequests++;
        this.#requestsServed++;
        this.#collector.busy();
        this.#armIdleTimer();
      },
      onRequestEnd: () => {
        this.#activeRequests--;
        if (this.#activeRequests === 0) {
          this.#collector.quiet();
          this.#onQuiet?.();
        }
        this.#armIdleTimer();
      },
    });
    this.#log.info("Listening", {
      socket: this.#config.socketPath,
      db: this.#config.dbPath,
      pid: Deno.pid,
      version: VERSION,
    });
    void this.#acceptLoop();
    AbortSignal.timeout(BRING_UP_GRACE_MS).addEventListener("abort", () => {
      if (this.#state === "running") this.#startServices(daemon).catch(() => {});
    }, { once: true });
    this.#afterAnswer = () => {
      // Once the first answer is out: the services, if not begun, then the rest of the methods.
      this.#afterAnswer = () => {};
      this.#startServices(daemon).then(() => this.#warmUp(), () => {});
    };
  }

  /** Begins building the services (server/bring_up.ts), once; settles once up or failed. */
  #startServices(daemon: MethodContext["daemon"]): Promise<void> {
    return this.#servicesUp ??= (async () => {
      this.#isClockOn = true;
      this.#armIdleTimer();
      const started = performance.now();
      try {
        const { bringUp } = await import("./bring_up.ts");
        const up = await bringUp({
          config: this.#config,
          log: this.#log,
          clock: this.#clock,
          daemon,
          tuiDb: this.#tuiDb,
          build: this.#build,
        });
        this.#up = up;
        this.#tuiDb = up.tuiDb;
        this.#log.info("Ready", { ms: Math.round(performance.now() - started) });
        returnFreedMemorySoon(); // What loading the modules left behind.
      } catch (error) {
        this.#startError = error;
        void this.shutdown("the services could not be built");
        throw error;
      }
    })();
  }

  #registry(): Promise<typeof import("./registry.ts")> {
    return this.#registryModule ??= import("./registry.ts");
  }

  #warmUp(): void {
    if (this.#state !== "running") return;
    this.#dispatcher.loadAll().then(returnFreedMemorySoon).catch((error) => {
      // Services that could not be built stop the daemon, which says why once.
      if (this.#startError === undefined) this.#log.error("Cannot load the methods", { error });
    });
  }

  /**
   * Resolves once the daemon has fully stopped; rejects, once stopped, with the error that kept
   * its services from being built.
   */
  get stopped(): Promise<void> {
    return this.#stopped.promise;
  }

  /** The figures `system.status` reports. */
  status(): DaemonStatus {
    const now = this.#clock.now();
    return {
      pid: Deno.pid,
      started_at: this.#startedAt.toISOString(),
      uptime_s: Math.round((now.getTime() - this.#startedAt.getTime()) / 100) / 10,
      socket: this.#config.socketPath,
      db_path: this.#config.dbPath,
      connections: this.#connections.size,
      requests_served: this.#requestsServed,
      inactivity_timeout_s: this.#config.inactivityTimeoutMs / 1000,
      tui_db: this.#tuiDb,
    };
  }

  async #acceptLoop(): Promise<void> {
    try {
      for await (const conn of this.#listener) this.#accept(conn);
    } catch (error) {
      if (this.#state === "running") this.#log.error("Accept loop failed", { error });
    }
  }

  #accept(conn: Deno.UnixConn): void {
    if (this.#connections.size >= this.#config.maxConnections) {
      this.#log.warn("Refusing a connection: too many open", {
        limit: this.#config.maxConnections,
      });
      conn.close();
      return;
    }
    const controller = new AbortController();
    let isTalking = false;
    const served = serveConnection(conn, {
      dispatcher: this.#dispatcher,
      log: this.#log,
      limits: {
        maxHeaderBytes: this.#config.maxHeaderBytes,
        maxFrameBytes: this.#config.maxFrameBytes,
      },
      stallTimeoutMs: this.#config.stallTimeoutMs,
      signal: controller.signal,
      onRead: (bytes) => this.#collector.read(bytes),
      onAnswered: () => this.#afterAnswer(),
      onFirstByte: () => {
        // A connection only counts as activity once it speaks: the terminal UI probes the socket
        // with connections that open and close without a byte.
        isTalking = true;
        this.#talkingConnections++;
        this.#armIdleTimer();
      },
    }).catch((error) => this.#log.error("Connection failed", { error }))
      .finally(() => {
        this.#connections.delete(served);
        try {
          conn.close();
        } catch {
          // Already closed by the stream teardown.
        }
        if (isTalking) {
          this.#talkingConnections--;
          this.#armIdleTimer();
        }
      });
    this.#connections.set(served, controller);
  }

  /** Restarts the inactivity countdown; it only runs while no client is connected and talking. */
  #armIdleTimer(): void {
    if (!this.#isClockOn) return;
    if (this.#idleTimer !== undefined) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    const timeout = this.#config.inactivityTimeoutMs;
    if (timeout <= 0 || this.#state !== "running") return;
    if (this.#talkingConnections > 0 || this.#activeRequests > 0) return;
    this.#idleTimer = setTimeout(() => {
      // Queued and running local jobs need a daemon to start them and record how they end.
      // (And services still being built are not idle.)
      if (this.#up?.services.engine.runners.hasWork() ?? true) this.#armIdleTimer();
      else void this.shutdown("inactivity timeout");
    }, timeout);
  }

  /**
   * Stops gracefully: stop accepting, let in-flight requests finish within the grace period,
   * close connections and the database, remove the socket and the pid file.
   */
  shutdown(reason: string): Promise<void> {
    if (this.#state !== "running") return this.#stopped.promise;
    this.#state = "draining";
    this.#log.info("Shutting down", { reason, in_flight: this.#activeRequests });
    clearTimeout(this.#idleTimer);
    this.#collector.stop();
    this.#listener.close();
    void this.#drain().then(this.#stopped.resolve, this.#stopped.reject);
    return this.#stopped.promise;
  }

  async #drain(): Promise<void> {
    if (this.#activeRequests > 0) {
      const quiet = new Promise<void>((resolve) => this.#onQuiet = resolve);
      let graceTimer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) =>
        graceTimer = setTimeout(resolve, this.#config.shutdownGraceMs)
      );
      await Promise.race([quiet, grace]);
      clearTimeout(graceTimer);
      if (this.#activeRequests > 0) {
        this.#log.warn("Grace period over: cancelling requests", {
          in_flight: this.#activeRequests,
        });
      }
    }
    for (const controller of this.#connections.values()) controller.abort();
    await Promise.allSettled([...this.#connections.keys()]);
    await this.#servicesUp?.catch(() => {}); // A failure is #startError, reported by `stopped`.
    await this.#up?.services[Symbol.asyncDispose]();
    try {
      await Deno.remove(this.#config.socketPath);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        this.#log.warn("Cannot remove socket", { error });
      }
    }
    for (const lock of [...this.#locks].reverse()) lock.release();
    this.#state = "stopped";
    this.#log.info("Stopped");
    if (this.#startError !== undefined) throw this.#startError;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown("disposed");
  }
}
