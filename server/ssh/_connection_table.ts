/**
 * The pool's connection table: one connection per target id, opened on first use (with backoff
 * after failures), shared by concurrent calls, redone once when found dead, and closed when idle.
 *
 * @module
 */
import { SshFailedError } from "../errors.ts";
import { raceSignals, startDeadline } from "./_channels.ts";
import type { ConnectContext, Connection, PresentedKey } from "./_connect.ts";
import { type Endpoint, type PoolSettings, readSshConfig, targetEndpoint } from "./_endpoint.ts";
import { errorMessage, lostError, mapCallError } from "./_errors.ts";
import type { Client } from "./_ssh2_types.ts";
import type { CallOptions, ConnectionInfo, SshTarget } from "./pool.ts";

/**
 * The code that connects (ssh2, the host-key check and its node:crypto), loaded by the first
 * connection: a daemon that never dials a cluster never pays for it at start-up.
 */
function loadConnect(): Promise<typeof import("./_connect.ts")> {
  return import("./_connect.ts");
}

const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 10_000;
const CLOSE_GRACE_MS = 2_000;

/** A target's slot: its connection, the connection attempt in flight, backoff and idle state. */
export interface Entry {
  target: SshTarget;
  connection: Connection | null;
  connecting: Promise<Connection> | null;
  failures: number;
  retryAt: number;
  lastError: Error | null;
  /** The host key seen by the latest connection attempt, for probe(). */
  lastHostKey: PresentedKey | null;
  active: number;
  idleTimer: ReturnType<typeof setTimeout> | null;
}

/** Work to run on a connection, under the call's deadline signal. */
export type CallFn<T> = (connection: Connection, signal: AbortSignal) => Promise<T>;

/** The SshPool's connections and the work in flight on them. */
export class ConnectionTable implements AsyncDisposable {
  #settings: PoolSettings;
  #context: ConnectContext;
  #entries = new Map<string, Entry>();
  #pending = new Set<Promise<unknown>>();
  #isDisposed = false;

  /** Creates an empty table; nothing connects until the first call. */
  constructor(settings: PoolSettings) {
    this.#settings = settings;
    this.#context = { settings, close: (connection) => this.#close(connection) };
  }

  /** Runs `fn` on the target's connection under the call's deadline, mapping what it throws. */
  async call<T>(
    target: SshTarget,
    call: { action: string; options: CallOptions; isRetryable: boolean },
    fn: CallFn<T>,
  ): Promise<T> {
    if (this.#isDisposed) {
      throw new SshFailedError(
        `Cannot ${call.action} on "${target.name}": the SSH pool is shut down`,
      );
    }
    const entry = this.entry(target);
    const deadline = startDeadline(target.name, call);
    entry.active++;
    this.#clearIdle(entry);
    try {
      for (let attempt = 0;; attempt++) {
        const connection = await raceSignals(
          this.#connection(entry, deadline.signal, deadline.expiresAt),
          [[deadline.signal, () => deadline.signal.reason]],
        );
        let hasStarted = false;
        const work = connection.acquireChannel(deadline.signal).then(async (release) => {
          hasStarted = true;
          try {
            return await fn(connection, deadline.signal);
          } finally {
            release();
          }
        });
        this.#track(work);
        try {
          return await raceSignals(work, [
            [deadline.signal, () => deadline.signal.reason],
            [connection.dropped, () => lostError(connection, call.action)],
          ]);
        } catch (error) {
          // A connection found dead before anything was sent is safe to redo once on a new one.
          const isLost = connection.dropped.aborted && !deadline.signal.aborted;
          if (isLost && attempt === 0 && (call.isRetryable || !hasStarted)) continue;
          throw mapCallError(error, {
            targetName: target.name,
            endpoint: connection.endpoint,
            action: call.action,
          });
        }
      }
    } finally {
      entry.active--;
      deadline.clear();
      this.#scheduleIdle(entry);
    }
  }

  /** The target's entry, created on first use; it always holds the latest target record. */
  entry(target: SshTarget): Entry {
    let entry = this.#entries.get(target.id);
    if (entry === undefined) {
      entry = {
        target,
        connection: null,
        connecting: null,
        failures: 0,
        retryAt: 0,
        lastError: null,
        lastHostKey: null,
        active: 0,
        idleTimer: null,
      };
      this.#entries.set(target.id, entry);
    }
    entry.target = target;
    return entry;
  }

  /** The host key the target presents now, and its endpoint; gives up when `signal` aborts. */
  async presentedKey(
    target: SshTarget,
    signal: AbortSignal,
  ): Promise<{ endpoint: Endpoint; presented: PresentedKey }> {
    const config = await readSshConfig(this.#settings.home);
    const endpoint = targetEndpoint(target, { config, settings: this.#settings });
    const reading = this.#presentedKey(target, config, endpoint);
    this.#track(reading);
    const presented = await raceSignals(reading, [[signal, () => signal.reason]]);
    return { endpoint, presented };
  }

  /** Drops the target's entry and closes its connection. */
  forget(targetId: string): void {
    const entry = this.#entries.get(targetId);
    if (entry === undefined) return;
    this.#entries.delete(targetId);
    this.#clearIdle(entry);
    if (entry.connection) this.#close(entry.connection);
    entry.connection = null;
  }

  /** True while the target has an open connection. */
  isConnected(targetId: string): boolean {
    const connection = this.#entries.get(targetId)?.connection;
    return connection !== null && connection !== undefined && !connection.dropped.aborted;
  }

  /** The algorithms negotiated on the target's open connection, or null when there is none. */
  connectionInfo(targetId: string): ConnectionInfo | null {
    const negotiated = this.#entries.get(targetId)?.connection?.negotiated;
    if (!negotiated) return null;
    return {
      kex: negotiated.kex,
      hostKey: negotiated.serverHostKey,
      cipher: negotiated.cs.cipher,
      mac: negotiated.cs.mac,
    };
  }

  /** Closes every connection and waits for work in flight to settle. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#isDisposed = true;
    for (const id of [...this.#entries.keys()]) this.forget(id);
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async #presentedKey(
    target: SshTarget,
    config: string | undefined,
    endpoint: Endpoint,
  ): Promise<PresentedKey> {
    const open = this.#entries.get(target.id)?.connection;
    if (open && !open.dropped.aborted) return open.hostKey;
    const { readPresentedKey } = await loadConnect();
    return await readPresentedKey(this.#context, { target, config, endpoint });
  }

  #track(work: Promise<unknown>): void {
    const settled = work.then(() => {}, () => {
      // The caller saw (or raced past) this error; tracking only waits for it to end.
    });
    this.#pending.add(settled);
    settled.finally(() => this.#pending.delete(settled));
  }

  #clearIdle(entry: Entry): void {
    if (entry.idleTimer !== null) clearTimeout(entry.idleTimer);
    entry.idleTimer = null;
  }

  #scheduleIdle(entry: Entry): void {
    this.#clearIdle(entry);
    if (entry.active > 0 || entry.connection === null || this.#isDisposed) return;
    entry.idleTimer = setTimeout(() => {
      entry.idleTimer = null;
      if (entry.active > 0 || entry.connection === null) return;
      this.#settings.log.debug("ssh connection idle, closing", { target: entry.target.id });
      this.#close(entry.connection);
      entry.connection = null;
    }, this.#settings.idleMs);
  }

  async #connection(entry: Entry, signal: AbortSignal, expiresAt: number): Promise<Connection> {
    while (true) {
      if (entry.connection && !entry.connection.dropped.aborted) return entry.connection;
      if (entry.connecting) return await entry.connecting;
      const wait = entry.retryAt - Date.now();
      if (wait > 0) {
        // Back off after failed attempts; wait only if this call's deadline leaves room for it.
        if (entry.lastError !== null && wait >= expiresAt - Date.now()) throw entry.lastError;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => (signal.removeEventListener("abort", onAbort), resolve()),
            wait,
          );
          const onAbort = () => (clearTimeout(timer), reject(signal.reason));
          signal.addEventListener("abort", onAbort, { once: true });
        });
        continue;
      }
      const connecting = this.#open(entry).finally(() => {
        if (entry.connecting === connecting) entry.connecting = null;
      });
      entry.connecting = connecting;
      this.#track(connecting);
      return await connecting;
    }
  }

  async #open(entry: Entry): Promise<Connection> {
    const { target } = entry;
    entry.lastHostKey = null;
    try {
      const { openConnection } = await loadConnect();
      return await openConnection(this.#context, {
        target,
        onHostKey: (key) => void (entry.lastHostKey = key),
        isWanted: () => !this.#isDisposed && this.#entries.get(target.id) === entry,
        adopt: (connection) => this.#adopt(entry, connection),
      });
    } catch (error) {
      entry.failures++;
      entry.retryAt = Date.now() +
        Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (entry.failures - 1));
      entry.lastError = error instanceof Error ? error : new Error(String(error));
      this.#settings.log.warn("ssh connect failed", {
        target: target.id,
        error: errorMessage(error),
        failures: entry.failures,
      });
      throw error;
    }
  }

  #adopt(entry: Entry, connection: Connection): void {
    void connection.closed.then(() => this.#onClosed(entry, connection));
    entry.connection = connection;
    entry.failures = 0;
    entry.retryAt = 0;
    this.#settings.log.info("ssh connected", {
      target: entry.target.id,
      host: connection.endpoint.host,
      port: connection.endpoint.port,
      ...this.connectionInfo(entry.target.id),
    });
    this.#scheduleIdle(entry);
  }

  #onClosed(entry: Entry, connection: Connection): void {
    if (entry.connection !== connection) return;
    entry.connection = null;
    this.#clearIdle(entry);
    this.#settings.log.info("ssh connection closed", {
      target: entry.target.id,
      reason: errorMessage(connection.dropped.reason),
    });
  }

  #close(connection: { client: Client; closed: Promise<void> }): void {
    connection.client.end();
    const timer = setTimeout(() => connection.client.destroy(), CLOSE_GRACE_MS);
    this.#track(connection.closed.finally(() => clearTimeout(timer)));
  }
}
