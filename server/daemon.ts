/**
 * The daemon's lifecycle: pid lock, listen, accept, inactivity timer, graceful drain, shutdown.
 *
 * @module
 */
import { pidFilePath } from "../common/paths.ts";
import { VERSION } from "../common/version.ts";
import type { Config } from "./config.ts";
import { buildServices, type Services } from "./services.ts";
import { databaseErrorOf } from "./db/errors.ts";
import type { Logger } from "./log.ts";
import type { DaemonStatus, MethodContext } from "./methods/context.ts";
import { type Clock, SYSTEM_CLOCK } from "./clock.ts";
import { SYSTEM_METHODS } from "./methods/system/mod.ts";
import { chooseStore, importIfLegacy, type TuiDbReport } from "./legacy/tui_db.ts";
import { acquireDatabaseLock, acquirePidLock, type PidLock } from "./pid_lock.ts";
import { serveConnection } from "./rpc/connection.ts";
import { QUIET_COLLECT_BYTES, QUIET_COLLECT_MS, QuietCollector } from "./rpc/release_memory.ts";
import { createDispatcher, type Dispatcher } from "./rpc/dispatch.ts";
import type { OpenRpcDocument } from "./rpc/openrpc.ts";
import { listenUnix } from "./socket.ts";

/** What a daemon needs besides its config. */
export interface DaemonDeps {
  log: Logger;
  clock?: Clock;
}

/** A running daemon. Dispose it (or call `shutdown`) to stop it gracefully. */
export class Daemon implements AsyncDisposable {
  readonly #config: Config;
  readonly #tuiDb: TuiDbReport | null;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #locks: PidLock[];
  readonly #services: Services;
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
   * Takes the pid lock, opens the database and listens.
   * @throws {ConflictError} when another daemon owns the socket
   * @throws {DatabaseError} when the database cannot be opened
   */
  static async start(given: Config, deps: DaemonDeps): Promise<Daemon> {
    const { config, report: found } = chooseStore(given);
    const lock = acquirePidLock(pidFilePath(config.socketPath), config.socketPath);
    let services: Services | undefined;
    let dbLock: PidLock | undefined;
    try {
      // Before the database is opened: two daemons on one database would run jobs twice.
      if (config.dbPath !== ":memory:") {
        dbLock = acquireDatabaseLock(config.dbPath, config.socketPath);
      }
      const clock = deps.clock ?? SYSTEM_CLOCK;
      services = await buildServices(config, { log: deps.log, clock });
      // Before the socket listens: a client never sees the old backend's jobs half imported.
      const tuiDb = await importIfLegacy(found, services.engine.store);
      if (tuiDb !== null) {
        const quiet = tuiDb.kind === "own" || tuiDb.kind === "absent" ||
          tuiDb.import?.status === "imported" || tuiDb.import?.status === "already_imported";
        (quiet ? deps.log.info : deps.log.warn).call(
          deps.log,
          "The terminal UI's database (CRYSTAL_TUI_DB)",
          { ...tuiDb },
        );
      }
      const listener = await listenUnix(config.socketPath);
      return new Daemon({
        config,
        deps: { ...deps, clock },
        locks: [lock, ...(dbLock ? [dbLock] : [])],
        services,
        listener,
        tuiDb,
      });
    } catch (error) {
      await services?.[Symbol.asyncDispose]();
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
      services: Services;
      listener: Deno.UnixListener;
      /** What was found at CRYSTAL_TUI_DB, if it was given. */
      tuiDb?: TuiDbReport | null;
    },
  ) {
    this.#tuiDb = parts.tuiDb ?? null;
    this.#services = parts.services;
    this.#config = parts.config;
    this.#log = parts.deps.log;
    this.#clock = parts.deps.clock ?? SYSTEM_CLOCK;
    this.#locks = parts.locks;
    this.#listener = parts.listener;
    this.#startedAt = this.#clock.now();
    const { engine, db, templates } = this.#services;
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
    const shared = {
      db,
      log: this.#log,
      clock: this.#clock,
      config: this.#config,
      engine,
      ssh: engine.ssh,
      templates,
      workflows: this.#services.workflows,
      aiida: this.#services.aiida,
      daemon,
    };
    this.#dispatcher = createDispatcher<MethodContext>({
      methods: SYSTEM_METHODS,
      loadMethods: async () => (await this.#registry()).ALL_METHODS,
      log: this.#log,
      makeContext: (signal, session) => ({ signal, session, ...shared }),
      isAccepting: () => this.#state === "running" && !this.#isRefusingRequests,
      mapError: (error) => databaseErrorOf(error, db.path),
      onRequestStart: () => {
        this.#activeRequests++;
        this.#requestsServed++;
        this.#collector.busy();
        this.#armIdleTimer();
      },
      onRequestEnd: () => {
        // Once the first request is answered, load the rest while the client thinks.
        if (this.#registryModule === undefined) setTimeout(() => this.#warmUp(), 0);
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
      db: db.path,
      pid: Deno.pid,
      version: VERSION,
    });
    this.#armIdleTimer();
    void this.#acceptLoop();
  }

  #registry(): Promise<typeof import("./registry.ts")> {
    return this.#registryModule ??= import("./registry.ts");
  }

  #warmUp(): void {
    if (this.#state !== "running") return;
    this.#dispatcher.loadAll().catch((error) =>
      this.#log.error("Cannot load the methods", { error })
    );
  }

  /** Resolves once the daemon has fully stopped. */
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
      db_path: this.#services.db.path,
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
    if (this.#idleTimer !== undefined) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    const timeout = this.#config.inactivityTimeoutMs;
    if (timeout <= 0 || this.#state !== "running") return;
    if (this.#talkingConnections > 0 || this.#activeRequests > 0) return;
    this.#idleTimer = setTimeout(() => {
      // Queued and running local jobs need a daemon to start them and record how they end.
      if (this.#services.engine.runners.hasWork()) this.#armIdleTimer();
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
    await this.#services[Symbol.asyncDispose]();
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
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown("disposed");
  }
}
