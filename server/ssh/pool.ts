/**
 * `SshPool`: one lazily opened, kept-alive ssh2 connection per cluster, with exec and SFTP
 * multiplexed over it. Host keys are checked against known_hosts, `~/.ssh/config` aliases are
 * honoured, and every call has a timeout and an AbortSignal.
 *
 * @module
 */
import ssh2 from "ssh2";
import { Buffer } from "node:buffer";
import { dirname } from "node:path";
import type { Logger } from "../log.ts";
import {
  CancelledError,
  ConflictError,
  NotFoundError,
  RpcError,
  SshFailedError,
  TimeoutError,
} from "../rpc/errors.ts";
import {
  checkHostKeySync,
  fingerprintSha256,
  keyTypeOfBlob,
  knownHostsLine,
  knownKeyTypes,
} from "./known_hosts.ts";
import { loadPrivateKey } from "./keys.ts";
import { loginCommand } from "./quote.ts";
import { readIncludeFiles, type ResolvedHost, resolveSshHost } from "./ssh_config.ts";

// ---- ssh2's API, as far as the pool uses it (the package ships no types) ----

type Listener = (...args: never[]) => void;
interface Emitter {
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}
type Callback = (error: Error | null | undefined) => void;
/** An SSH channel: a duplex stream with stderr, as ssh2's Channel. */
interface Channel extends Emitter {
  stderr: Emitter;
  end(data?: string): void;
  close(): void;
  signal(name: string): void;
}
interface Negotiated {
  kex: string;
  serverHostKey: string;
  cs: { cipher: string; mac: string };
}
interface AuthMethod {
  type: "publickey" | "agent";
  username: string;
  key?: string;
  agent?: string;
}
interface ClientConfig {
  host: string;
  port: number;
  username: string;
  readyTimeout: number;
  keepaliveInterval: number;
  keepaliveCountMax: number;
  hostVerifier: (key: Uint8Array) => boolean;
  authHandler: AuthMethod[];
  sock?: Channel;
  algorithms: {
    kex: { remove: string[]; prepend: string[]; append: string[] };
    serverHostKey?: { remove: string[]; prepend: string[]; append: string[] };
  };
}
interface SftpTransfer {
  concurrency: number;
  chunkSize: number;
  step?: (done: number, chunk: number, total: number) => void;
}
interface SftpEntry {
  filename: string;
  attrs: { size: number; mode: number };
}
interface Sftp {
  fastPut(local: string, remote: string, options: SftpTransfer, callback: Callback): void;
  fastGet(remote: string, local: string, options: SftpTransfer, callback: Callback): void;
  writeFile(path: string, data: string, callback: Callback): void;
  readdir(path: string, callback: (error: Error | undefined, list: SftpEntry[]) => void): void;
  rename(from: string, to: string, callback: Callback): void;
  ext_openssh_rename(from: string, to: string, callback: Callback): void;
  unlink(path: string, callback: Callback): void;
  end(): void;
}
interface Client extends Emitter {
  connect(config: ClientConfig): void;
  setNoDelay(noDelay: boolean): void;
  end(): void;
  destroy(): void;
  exec(command: string, callback: (error: Error | undefined, stream: Channel) => void): void;
  sftp(callback: (error: Error | undefined, sftp: Sftp) => void): void;
  forwardOut(
    srcIP: string,
    srcPort: number,
    dstIP: string,
    dstPort: number,
    callback: (error: Error | undefined, stream: Channel) => void,
  ): void;
}
const SSH2: { Client: new () => Client } = ssh2;

/** What a cluster record supplies to reach its server. */
export interface SshTarget {
  /** Pool key, e.g. `cluster:${id}:${settingsHash}`. */
  id: string;
  /** Cluster name, for messages. */
  name: string;
  /** May be a `~/.ssh/config` alias. */
  hostname: string;
  port: number | null;
  username: string | null;
  keyFile: string | null;
  useAgent: boolean;
}

/** The outcome of a remote command; `signal` is e.g. "SIGKILL" when it died by one. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: string | null;
}

/** Per-call options: a timeout (default 60000 ms), cancellation, and text for the command's stdin. */
export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  stdin?: string;
}

/** Transfer options: progress is reported for files over a few MB. */
export type TransferOptions = CallOptions & { onProgress?: (done: number, total: number) => void };

/** A server's host key as clusters.test reports it. */
export interface HostKeyInfo {
  type: string;
  fingerprint_sha256: string;
  known: boolean;
  status: "known" | "unknown" | "mismatch" | "revoked";
  /** Fingerprints on file for this host and key type, when the status is "mismatch". */
  expected?: string[];
}

/** Algorithms negotiated on a pooled connection, for diagnostics. */
export interface ConnectionInfo {
  kex: string;
  hostKey: string;
  cipher: string;
  mac: string;
}

/** Pool settings; the environment is read by the caller (config.ts), never here. */
export interface PoolOptions {
  home: string;
  localUser: string;
  /** SSH_AUTH_SOCK, when set. */
  agentSocket: string | null;
  log: Logger;
  /** Close a connection after this long without calls (default 300000 ms). */
  idleMs?: number;
  /** Keepalive interval unless ServerAliveInterval says otherwise (default 15000 ms). */
  keepaliveMs?: number;
  /** Until authentication succeeds, unless ConnectTimeout says otherwise (default 20000 ms). */
  connectTimeoutMs?: number;
  /** System-wide known_hosts files, read besides the user's (default /etc/ssh/ssh_known_hosts{,2}). */
  globalKnownHostsFiles?: string[];
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_IDLE_MS = 300_000;
const DEFAULT_KEEPALIVE_MS = 15_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
const GLOBAL_KNOWN_HOSTS = ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"];
/** sshd's MaxSessions defaults to 10 channels per connection; stay below it. */
const MAX_CHANNELS = 8;
const PROGRESS_MIN_BYTES = 4 * 1024 * 1024;
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 10_000;
const CLOSE_GRACE_MS = 2_000;
const TRANSFER = { concurrency: 64, chunkSize: 32768 };
/** Host key algorithms ssh2 can verify, by the key type a known_hosts line names. */
const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

/** Where to connect and how to check and authenticate, for the target or its jump host. */
interface Endpoint {
  /** `"hpc1" (host:port)` or `jump host "bastion" (host:port)`, for messages. */
  label: string;
  host: string;
  port: number;
  user: string;
  /** The name and port known_hosts is searched by (HostKeyAlias, else the host). */
  keyHost: string;
  keyPort: number;
  /** The user's known_hosts files; the first is where trusted keys are written. */
  knownHostsFiles: string[];
  /** Key files to try, and whether failing to load one is the user's error (key_file) or skipped. */
  keyFiles: { path: string; isExplicit: boolean }[];
  agent: string | null;
  keepaliveMs: number;
  keepaliveCountMax: number;
  readyTimeoutMs: number;
}

interface PresentedKey {
  info: HostKeyInfo;
  type: string;
  blob: Uint8Array;
}

interface Connection {
  client: Client;
  jump: Client | null;
  endpoint: Endpoint;
  hostKey: PresentedKey;
  negotiated: Negotiated | null;
  /** Aborted, with the cause, when the connection ends. */
  dropped: AbortSignal;
  closed: Promise<void>;
  acquireChannel: (signal: AbortSignal) => Promise<() => void>;
}

interface Entry {
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

type CallFn<T> = (connection: Connection, signal: AbortSignal) => Promise<T>;

/** A counting semaphore whose waits can be aborted. */
function createSemaphore(limit: number): (signal: AbortSignal) => Promise<() => void> {
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
function raceSignals<T>(work: Promise<T>, races: [AbortSignal, () => Error][]): Promise<T> {
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

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errorCode(error: unknown): string | number | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  const code = error.code;
  return typeof code === "string" || typeof code === "number" ? code : undefined;
}

function errorLevel(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("level" in error)) return undefined;
  return typeof error.level === "string" ? error.level : undefined;
}

function expandHome(path: string, home: string): string {
  if (path === "~") return home;
  return path.startsWith("~/") ? `${home}${path.slice(1)}` : path;
}

async function readOptional(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  }
}

function tempName(path: string): string {
  return `${path}.part-${crypto.randomUUID().slice(0, 8)}`;
}

/** Reports transfer progress for large files, at most about once per percent. */
function progressReporter(
  onProgress: TransferOptions["onProgress"],
): ((done: number, _chunk: number, total: number) => void) | undefined {
  if (onProgress === undefined) return undefined;
  let reported = -1;
  return (done, _chunk, total) => {
    if (total < PROGRESS_MIN_BYTES) return;
    if (done === total || done - reported >= total / 100) {
      reported = done;
      onProgress(done, total);
    }
  };
}

function sftpCall(
  run: (callback: (error: Error | null | undefined) => void) => void,
): Promise<void> {
  return new Promise((resolve, reject) => run((error) => (error ? reject(error) : resolve())));
}

/** Renames over an existing file: OpenSSH's posix-rename, else unlink and rename (SFTP v3 rename refuses to overwrite). */
async function sftpReplace(sftp: Sftp, from: string, to: string): Promise<void> {
  try {
    await sftpCall((callback) => sftp.ext_openssh_rename(from, to, callback));
    return;
  } catch (error) {
    // ssh2 throws synchronously when the server lacks the extension; fall back only then.
    if (!/does not support/i.test(errorMessage(error))) throw error;
  }
  await sftpCall((callback) => sftp.unlink(to, callback)).catch(() => {
    // The destination usually does not exist yet; rename below reports real problems.
  });
  await sftpCall((callback) => sftp.rename(from, to, callback));
}

/** An ssh2 Client with its lifecycle events as promises. */
function newClient(): { client: Client; closed: Promise<void>; dropped: AbortController } {
  const client = new SSH2.Client();
  const dropped = new AbortController();
  let lastError: unknown = null;
  client.on("error", (error) => void (lastError = error));
  const closed = new Promise<void>((resolve) => {
    client.on("end", () => dropped.abort(lastError ?? new Error("closed by the server")));
    client.on("close", () => {
      dropped.abort(lastError ?? new Error("closed by the server"));
      resolve();
    });
  });
  return { client, closed, dropped };
}

/** A pool of SSH connections, one per target id. Use with `await using`. */
export class SshPool implements AsyncDisposable {
  #options: Required<Omit<PoolOptions, "agentSocket">> & { agentSocket: string | null };
  #entries = new Map<string, Entry>();
  #pending = new Set<Promise<unknown>>();
  #isDisposed = false;

  /** Creates an empty pool; nothing connects until the first call. */
  constructor(options: PoolOptions) {
    this.#options = {
      idleMs: DEFAULT_IDLE_MS,
      keepaliveMs: DEFAULT_KEEPALIVE_MS,
      connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
      globalKnownHostsFiles: GLOBAL_KNOWN_HOSTS,
      ...options,
    };
  }

  /** Runs argv on the target via loginCommand (bash -l -c). Resolves with the exit code; rejects only on SSH failure (SshFailedError -32002 with a clear message), timeout (TimeoutError) or abort (CancelledError). */
  async exec(
    target: SshTarget,
    argv: readonly string[],
    options: CallOptions = {},
  ): Promise<ExecResult> {
    const command = loginCommand(argv);
    const action = `run "${argv[0] ?? ""}"`;
    return await this.#call(
      target,
      { action, options, isRetryable: false },
      (connection, signal) =>
        new Promise<ExecResult>((resolve, reject) => {
          // No PTY: stdout and stderr stay apart and no terminal codes get in.
          connection.client.exec(command, (error, stream) => {
            if (error) {
              return reject(
                this.#failure(connection.endpoint, action, error, "channel_failed"),
              );
            }
            collectExec(stream, options.stdin, signal).then(resolve, reject);
          });
        }),
    );
  }

  /** SFTP fastPut to a temporary name then rename; onProgress for files over a few MB. mkdir -p of the parent is the caller's job (via exec). */
  upload(
    target: SshTarget,
    localPath: string,
    remotePath: string,
    options: TransferOptions = {},
  ): Promise<void> {
    const action = `upload "${localPath}" to "${remotePath}"`;
    return this.#sftp(target, action, options, async (sftp) => {
      try {
        await Deno.stat(localPath);
      } catch (cause) {
        if (cause instanceof Deno.errors.NotFound) {
          throw new NotFoundError(`Cannot ${action}: the local file does not exist`, { cause });
        }
        throw cause;
      }
      const temp = tempName(remotePath);
      const step = progressReporter(options.onProgress);
      try {
        await sftpCall((callback) =>
          sftp.fastPut(localPath, temp, { ...TRANSFER, ...(step ? { step } : {}) }, callback)
        );
        await sftpReplace(sftp, temp, remotePath);
      } catch (error) {
        await sftpCall((callback) => sftp.unlink(temp, callback)).catch(() => {
          // Best effort: the session may be gone, and the partial file is only litter.
        });
        throw error;
      }
    });
  }

  /** SFTP fastGet to a local temporary name then rename. */
  download(
    target: SshTarget,
    remotePath: string,
    localPath: string,
    options: TransferOptions = {},
  ): Promise<void> {
    const action = `download "${remotePath}" to "${localPath}"`;
    return this.#sftp(target, action, options, async (sftp) => {
      const temp = tempName(localPath);
      const step = progressReporter(options.onProgress);
      try {
        await sftpCall((callback) =>
          sftp.fastGet(remotePath, temp, { ...TRANSFER, ...(step ? { step } : {}) }, callback)
        );
        await Deno.rename(temp, localPath);
      } catch (error) {
        await Deno.remove(temp).catch(() => {
          // Nothing was written, or it is already gone.
        });
        throw error;
      }
    });
  }

  /** Writes text to a remote file (temp + rename). */
  writeFile(
    target: SshTarget,
    remotePath: string,
    text: string,
    options: CallOptions = {},
  ): Promise<void> {
    return this.#sftp(target, `write "${remotePath}"`, options, async (sftp) => {
      const temp = tempName(remotePath);
      try {
        await sftpCall((callback) => sftp.writeFile(temp, text, callback));
        await sftpReplace(sftp, temp, remotePath);
      } catch (error) {
        await sftpCall((callback) => sftp.unlink(temp, callback)).catch(() => {
          // Best effort, as in upload().
        });
        throw error;
      }
    });
  }

  /** Lists a remote directory (names and sizes), via SFTP. */
  readdir(
    target: SshTarget,
    remotePath: string,
    options: CallOptions = {},
  ): Promise<{ name: string; size: number; isFile: boolean }[]> {
    return this.#sftp(
      target,
      `list "${remotePath}"`,
      options,
      (sftp) =>
        new Promise((resolve, reject) => {
          sftp.readdir(remotePath, (error, list) => {
            if (error) return reject(error);
            resolve(
              list
                .filter((entry) => entry.filename !== "." && entry.filename !== "..")
                .map((entry) => ({
                  name: entry.filename,
                  size: entry.attrs.size,
                  isFile: (entry.attrs.mode & 0o170000) === 0o100000,
                }))
                .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
            );
          });
        }),
    );
  }

  /** Connects (or reuses) and reports the host key without failing on unknown keys: for clusters.test. Measures latency of a trivial exec. Throws SshFailedError only when no host key was seen at all. */
  async probe(
    target: SshTarget,
    options: CallOptions = {},
  ): Promise<{ hostKey: HostKeyInfo; latencyMs: number | null; error?: string }> {
    const entry = this.#entry(target);
    // A probe is an explicit retry: do not wait out the backoff of earlier failures.
    entry.retryAt = 0;
    const seen: { hostKey: HostKeyInfo | null } = { hostKey: null };
    try {
      return await this.#call(
        target,
        { action: "probe", options, isRetryable: true },
        async (connection, signal) => {
          seen.hostKey = connection.hostKey.info;
          const started = performance.now();
          await new Promise<void>((resolve, reject) => {
            connection.client.exec("true", (error, stream) => {
              if (error) return reject(error);
              collectExec(stream, undefined, signal).then(() => resolve(), reject);
            });
          });
          return {
            hostKey: connection.hostKey.info,
            latencyMs: Math.round(performance.now() - started),
          };
        },
      );
    } catch (error) {
      const hostKey = seen.hostKey ?? entry.lastHostKey?.info ?? null;
      if (hostKey === null) throw error;
      return { hostKey, latencyMs: null, error: errorMessage(error) };
    }
  }

  /** Appends the presented key to the user's known_hosts if its fingerprint equals `fingerprint` (conflict error otherwise); creates ~/.ssh (0700) and the file (0600) if needed. */
  async trustHostKey(
    target: SshTarget,
    fingerprint: string,
    options: CallOptions = {},
  ): Promise<{ line: string; file: string }> {
    const deadline = this.#deadline(target, "trust the host key", options);
    try {
      const config = await this.#sshConfig();
      const endpoint = this.#endpoint(target, config);
      const reading = this.#presentedKey(target, config, endpoint);
      this.#track(reading);
      const presented = await raceSignals(reading, [[
        deadline.signal,
        () => deadline.signal.reason,
      ]]);
      const { info } = presented;
      const file = endpoint.knownHostsFiles[0] ?? `${this.#options.home}/.ssh/known_hosts`;
      const line = knownHostsLine(
        endpoint.keyHost,
        endpoint.keyPort,
        presented.type,
        presented.blob,
      );
      if (info.fingerprint_sha256 !== fingerprint) {
        throw new ConflictError(
          `Cannot trust the host key of "${target.name}": the server presents ${info.fingerprint_sha256}, not "${fingerprint}"`,
          { data: { presented_fingerprint: info.fingerprint_sha256, fingerprint } },
        );
      }
      if (info.status === "mismatch" || info.status === "revoked") {
        throw hostKeyError(endpoint, presented);
      }
      if (info.status === "unknown") await appendLine(file, line);
      const entry = this.#entry(target);
      entry.failures = 0;
      entry.retryAt = 0;
      this.#options.log.info("ssh host key trusted", { target: target.id, fingerprint, file });
      return { line, file };
    } finally {
      deadline.clear();
    }
  }

  /** Drops the pooled connection of a target (after its settings change or on delete). */
  forget(targetId: string): void {
    const entry = this.#entries.get(targetId);
    if (entry === undefined) return;
    this.#entries.delete(targetId);
    this.#clearIdle(entry);
    if (entry.connection) this.#close(entry.connection);
    entry.connection = null;
  }

  /** True while the pool holds an open connection for the target (for tests/benchmarks). */
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

  /** Closes every connection and waits for calls in flight to settle. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#isDisposed = true;
    for (const id of [...this.#entries.keys()]) this.forget(id);
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  // ---- calls ----

  async #call<T>(
    target: SshTarget,
    call: { action: string; options: CallOptions; isRetryable: boolean },
    fn: CallFn<T>,
  ): Promise<T> {
    if (this.#isDisposed) {
      throw new SshFailedError(
        `Cannot ${call.action} on "${target.name}": the SSH pool is shut down`,
      );
    }
    const entry = this.#entry(target);
    const deadline = this.#deadline(target, call.action, call.options);
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
            [connection.dropped, () => this.#lost(connection, call.action)],
          ]);
        } catch (error) {
          // A connection found dead before anything was sent is safe to redo once on a new one.
          const isLost = connection.dropped.aborted && !deadline.signal.aborted;
          if (isLost && attempt === 0 && (call.isRetryable || !hasStarted)) continue;
          throw this.#mapError(target, connection.endpoint, call.action, error);
        }
      }
    } finally {
      entry.active--;
      deadline.clear();
      this.#scheduleIdle(entry);
    }
  }

  #sftp<T>(
    target: SshTarget,
    action: string,
    options: CallOptions,
    fn: (sftp: Sftp) => Promise<T>,
  ): Promise<T> {
    // Each call gets its own SFTP channel, so aborting one ends only its session.
    return this.#call(
      target,
      { action, options, isRetryable: true },
      (connection, signal) =>
        new Promise<T>((resolve, reject) => {
          connection.client.sftp((error, sftp) => {
            if (error) {
              return reject(
                this.#failure(connection.endpoint, action, error, "sftp_failed"),
              );
            }
            const onAbort = () => sftp.end();
            signal.addEventListener("abort", onAbort, { once: true });
            fn(sftp).then(resolve, reject).finally(() => {
              signal.removeEventListener("abort", onAbort);
              sftp.end();
            });
          });
        }),
    );
  }

  #deadline(
    target: SshTarget,
    action: string,
    options: CallOptions,
  ): { signal: AbortSignal; expiresAt: number; clear: () => void } {
    const controller = new AbortController();
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(
      () =>
        controller.abort(
          new TimeoutError(
            `Cannot ${action} on "${target.name}": timed out after ${timeoutMs} ms`,
            { data: { timeout_ms: timeoutMs } },
          ),
        ),
      timeoutMs,
    );
    const onAbort = () =>
      controller.abort(
        new CancelledError(`Cannot ${action} on "${target.name}": the request was cancelled`),
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

  #track(work: Promise<unknown>): void {
    const settled = work.then(() => {}, () => {
      // The caller saw (or raced past) this error; tracking only waits for it to end.
    });
    this.#pending.add(settled);
    settled.finally(() => this.#pending.delete(settled));
  }

  #entry(target: SshTarget): Entry {
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
      this.#options.log.debug("ssh connection idle, closing", { target: entry.target.id });
      this.#close(entry.connection);
      entry.connection = null;
    }, this.#options.idleMs);
  }

  // ---- connecting ----

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
      const config = await this.#sshConfig();
      const endpoint = this.#endpoint(target, config);
      const jumpHop = this.#jumpEndpoint(target, config);
      const jump = jumpHop === null
        ? null
        : await this.#handshake(jumpHop, { mode: "connect", sock: null });
      try {
        const sock = jump === null
          ? null
          : await forward(jump.client, endpoint.host, endpoint.port, endpoint.label);
        const connection = await this.#handshake(endpoint, {
          mode: "connect",
          sock,
          onHostKey: (key) => void (entry.lastHostKey = key),
        });
        const full: Connection = { ...connection, jump: jump?.client ?? null };
        if (this.#isDisposed || this.#entries.get(target.id) !== entry) {
          // The pool was closed, or the target forgotten, while this connection was being made.
          this.#close(full);
          throw new SshFailedError(
            `Cannot connect to ${endpoint.label}: the pool closed or forgot the cluster while connecting`,
            { data: { reason: "connection_lost" } },
          );
        }
        // Ending the inner connection ends the jump host's too.
        if (jump) void connection.closed.then(() => this.#close(jump));
        void full.closed.then(() => this.#onClosed(entry, full));
        entry.connection = full;
        entry.failures = 0;
        entry.retryAt = 0;
        this.#options.log.info("ssh connected", {
          target: target.id,
          host: endpoint.host,
          port: endpoint.port,
          ...this.connectionInfo(target.id),
        });
        this.#scheduleIdle(entry);
        return full;
      } catch (error) {
        if (jump) this.#close(jump);
        throw error;
      }
    } catch (error) {
      entry.failures++;
      entry.retryAt = Date.now() +
        Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (entry.failures - 1));
      entry.lastError = error instanceof Error ? error : new Error(String(error));
      this.#options.log.warn("ssh connect failed", {
        target: target.id,
        error: errorMessage(error),
        failures: entry.failures,
      });
      throw error;
    }
  }

  #onClosed(entry: Entry, connection: Connection): void {
    if (entry.connection !== connection) return;
    entry.connection = null;
    this.#clearIdle(entry);
    this.#options.log.info("ssh connection closed", {
      target: entry.target.id,
      reason: errorMessage(connection.dropped.reason),
    });
  }

  #close(connection: { client: Client; closed: Promise<void> }): void {
    connection.client.end();
    const timer = setTimeout(() => connection.client.destroy(), CLOSE_GRACE_MS);
    this.#track(connection.closed.finally(() => clearTimeout(timer)));
  }

  async #sshConfig(): Promise<string | undefined> {
    const text = await readOptional(`${this.#options.home}/.ssh/config`);
    return text === "" ? undefined : text;
  }

  #resolve(config: string | undefined, alias: string): ResolvedHost {
    const resolved = resolveSshHost(config, alias, {
      home: this.#options.home,
      localUser: this.#options.localUser,
      readInclude: readIncludeFiles,
    });
    for (const note of resolved.notes) this.#options.log.debug("ssh config note", { alias, note });
    return resolved;
  }

  #endpoint(target: SshTarget, config: string | undefined): Endpoint {
    const resolved = this.#resolve(config, target.hostname);
    const port = target.port ?? resolved.port;
    const explicit = target.keyFile === null
      ? []
      : [{ path: expandHome(target.keyFile, this.#options.home), isExplicit: true }];
    return this.#makeEndpoint(resolved, {
      label: `"${target.name}" (${resolved.hostname}:${port})`,
      port,
      user: target.username ?? resolved.user ?? this.#options.localUser,
      keyFiles: [
        ...explicit,
        ...resolved.identityFiles.map((path) => ({ path, isExplicit: false })),
      ],
      useAgent: target.useAgent,
    });
  }

  #jumpEndpoint(target: SshTarget, config: string | undefined): Endpoint | null {
    const hop = this.#resolve(config, target.hostname).proxyJump;
    if (hop === null) return null;
    // The target's options do not carry over to the jump host: look it up on its own.
    const resolved = this.#resolve(config, hop.host);
    const port = hop.port ?? resolved.port;
    const fallback = target.keyFile === null
      ? []
      : [{ path: expandHome(target.keyFile, this.#options.home), isExplicit: false }];
    return this.#makeEndpoint(resolved, {
      label: `"${target.name}" through jump host "${hop.host}" (${resolved.hostname}:${port})`,
      port,
      user: hop.user ?? resolved.user ?? this.#options.localUser,
      keyFiles: [
        ...resolved.identityFiles.map((path) => ({ path, isExplicit: false })),
        ...fallback,
      ],
      useAgent: target.useAgent,
    });
  }

  #makeEndpoint(
    resolved: ResolvedHost,
    o: {
      label: string;
      port: number;
      user: string;
      keyFiles: Endpoint["keyFiles"];
      useAgent: boolean;
    },
  ): Endpoint {
    const home = this.#options.home;
    // Like OpenSSH, fall back to the usual key names only when no key is configured.
    const defaults = o.keyFiles.length > 0
      ? []
      : ["id_ed25519", "id_ecdsa", "id_rsa"].map((name) => ({
        path: `${home}/.ssh/${name}`,
        isExplicit: false,
      }));
    const agentSetting = resolved.identityAgent;
    const agent = !o.useAgent || agentSetting === "none"
      ? null
      : agentSetting === null || agentSetting === "SSH_AUTH_SOCK"
      ? this.#options.agentSocket
      : agentSetting;
    const userFiles = resolved.userKnownHostsFiles.length > 0
      ? resolved.userKnownHostsFiles
      : [`${home}/.ssh/known_hosts`];
    return {
      label: o.label,
      host: resolved.hostname,
      port: o.port,
      user: o.user,
      keyHost: resolved.hostKeyAlias ?? resolved.hostname,
      // OpenSSH looks a HostKeyAlias up as written, without the port.
      keyPort: resolved.hostKeyAlias === null ? o.port : 22,
      // ~/.ssh/known_hosts is always read; trusted keys go to the first UserKnownHostsFile.
      knownHostsFiles: [...new Set([...userFiles, `${home}/.ssh/known_hosts`])],
      keyFiles: [...o.keyFiles, ...defaults].filter((key) => !key.path.endsWith(".pub")),
      agent,
      keepaliveMs: resolved.serverAliveInterval
        ? resolved.serverAliveInterval * 1000
        : this.#options.keepaliveMs,
      keepaliveCountMax: resolved.serverAliveCountMax ?? 3,
      readyTimeoutMs: resolved.connectTimeout
        ? resolved.connectTimeout * 1000
        : this.#options.connectTimeoutMs,
    };
  }

  async #knownHostsText(endpoint: Endpoint): Promise<string> {
    const files = [...endpoint.knownHostsFiles, ...this.#options.globalKnownHostsFiles];
    return (await Promise.all(files.map(readOptional))).join("\n");
  }

  /** Loads the key files and the agent into ssh2 auth methods; throws the first key error when nothing usable is left. */
  async #authMethods(endpoint: Endpoint): Promise<AuthMethod[]> {
    const methods: AuthMethod[] = [];
    let firstError: unknown = null;
    for (const keyFile of endpoint.keyFiles) {
      try {
        const key = await loadPrivateKey(keyFile.path);
        methods.push({ type: "publickey", username: endpoint.user, key: key.text });
      } catch (error) {
        if (keyFile.isExplicit) throw error;
        const isMissing = error instanceof SshFailedError &&
          error.data?.["reason"] === "key_missing";
        if (!isMissing) firstError ??= error;
        this.#options.log.debug("ssh key skipped", {
          key: keyFile.path,
          error: errorMessage(error),
        });
      }
    }
    if (endpoint.agent !== null) {
      methods.push({ type: "agent", username: endpoint.user, agent: endpoint.agent });
    }
    if (methods.length > 0) return methods;
    if (firstError !== null) throw firstError;
    throw new SshFailedError(
      `Cannot connect to ${endpoint.label}: no key to authenticate with: set a key file, or use the agent (SSH_AUTH_SOCK)`,
      { data: { reason: "no_credentials" } },
    );
  }

  /** Connects one hop and checks its host key; in "capture" mode it only reads the key and hangs up. */
  async #handshake(
    endpoint: Endpoint,
    o: {
      mode: "connect" | "capture";
      sock: Channel | null;
      onHostKey?: (key: PresentedKey) => void;
    },
  ): Promise<Omit<Connection, "jump">> {
    const knownText = await this.#knownHostsText(endpoint);
    const auth = o.mode === "connect" ? await this.#authMethods(endpoint) : [];
    const { client, closed, dropped } = newClient();
    let presented: PresentedKey | null = null;
    let negotiated: Negotiated | null = null;
    client.on("handshake", (algorithms) => void (negotiated = algorithms));
    const preferred = knownKeyTypes(knownText, { host: endpoint.keyHost, port: endpoint.keyPort })
      .flatMap((type) => HOST_KEY_ALGORITHMS[type] ?? []);
    const config: ClientConfig = {
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      readyTimeout: endpoint.readyTimeoutMs,
      keepaliveInterval: endpoint.keepaliveMs,
      keepaliveCountMax: endpoint.keepaliveCountMax,
      // Never unset: without a hostVerifier ssh2 accepts every host key.
      // Synchronous on purpose: ssh2 1.17's async callback form can hang the handshake.
      hostVerifier: (key) => {
        const blob = new Uint8Array(key);
        const type = keyTypeOfBlob(blob) ?? "unknown";
        const result = checkHostKeySync(knownText, {
          host: endpoint.keyHost,
          port: endpoint.keyPort,
          keyType: type,
          keyBlob: blob,
        });
        const info: HostKeyInfo = {
          type,
          fingerprint_sha256: fingerprintSha256(blob),
          known: result.status === "known",
          status: result.status,
        };
        if (result.status === "mismatch") info.expected = result.expected;
        presented = { info, type, blob };
        o.onHostKey?.(presented);
        return o.mode === "connect" && result.status === "known";
      },
      authHandler: auth,
      ...(o.sock === null ? {} : { sock: o.sock }),
      algorithms: {
        // Under Deno, ecdh-sha2-nistp521 fails with "invalid curve"; never offer it.
        kex: { remove: ["ecdh-sha2-nistp521"], prepend: [], append: [] },
        // Ask for a key type already on file first, as OpenSSH does, so a host with several
        // keys is not reported as unknown. Keys run in insertion order: remove, then prepend.
        ...(preferred.length > 0
          ? { serverHostKey: { remove: preferred, prepend: preferred, append: [] } }
          : {}),
      },
    };
    return await new Promise((resolve, reject) => {
      let isSettled = false;
      const fail = (error: unknown) => {
        if (isSettled) return;
        isSettled = true;
        this.#close({ client, closed });
        if (presented !== null && presented.info.status !== "known") {
          reject(hostKeyError(endpoint, presented));
        } else reject(connectError(endpoint, error));
      };
      client.on("error", fail);
      client.once("close", () => fail(new Error("the server closed the connection")));
      client.once("ready", () => {
        isSettled = true;
        client.off("error", fail);
        if (presented === null) {
          this.#close({ client, closed });
          return reject(connectError(endpoint, new Error("no host key was checked")));
        }
        resolve({
          client,
          endpoint,
          hostKey: presented,
          negotiated,
          dropped: dropped.signal,
          closed,
          acquireChannel: createSemaphore(MAX_CHANNELS),
        });
      });
      client.connect(config);
      // SSH sends many small packets; Nagle's algorithm with delayed ACKs adds ~40 ms to each
      // round trip (a 250 ms handshake on loopback becomes 35 ms without it).
      client.setNoDelay(true);
    });
  }

  /** The host key the target presents now, checked against known_hosts (through its jump host, if any). */
  async #presentedKey(
    target: SshTarget,
    config: string | undefined,
    endpoint: Endpoint,
  ): Promise<PresentedKey> {
    const open = this.#entries.get(target.id)?.connection;
    if (open && !open.dropped.aborted) return open.hostKey;
    const jumpHop = this.#jumpEndpoint(target, config);
    const jump = jumpHop === null
      ? null
      : await this.#handshake(jumpHop, { mode: "connect", sock: null });
    const seen: { key: PresentedKey | null } = { key: null };
    try {
      const sock = jump === null
        ? null
        : await forward(jump.client, endpoint.host, endpoint.port, endpoint.label);
      // Capture mode always refuses the key after reading it, so the handshake ends in an error.
      await this.#handshake(endpoint, {
        mode: "capture",
        sock,
        onHostKey: (key) => void (seen.key = key),
      })
        .then((connection) => this.#close(connection), (error) => {
          if (seen.key === null) throw error;
        });
      if (seen.key === null) {
        throw connectError(endpoint, new Error("the server presented no host key"));
      }
      return seen.key;
    } finally {
      if (jump) this.#close(jump);
    }
  }

  // ---- errors ----

  #lost(connection: Connection, action: string): Error {
    const cause = connection.dropped.reason;
    return new SshFailedError(
      `Cannot ${action} on ${connection.endpoint.label}: connection lost: ${errorMessage(cause)}`,
      {
        data: { reason: "connection_lost" },
        cause,
      },
    );
  }

  #failure(
    endpoint: Endpoint,
    action: string,
    error: unknown,
    reason: string,
  ): Error {
    return new SshFailedError(`Cannot ${action} on ${endpoint.label}: ${errorMessage(error)}`, {
      data: { reason },
      cause: error,
    });
  }

  #mapError(target: SshTarget, endpoint: Endpoint, action: string, error: unknown): Error {
    if (error instanceof RpcError) return error;
    const code = errorCode(error);
    if (code === 2) {
      return new NotFoundError(`Cannot ${action} on "${target.name}": no such file`, {
        cause: error,
      });
    }
    if (code === 3) {
      return this.#failure(endpoint, action, new Error("permission denied"), "sftp_failed");
    }
    if (typeof code === "number") {
      return this.#failure(endpoint, action, error, "sftp_failed");
    }
    // Local file system errors (Deno's, or node:fs inside fastGet) are not SSH failures.
    if (
      typeof code === "string" || Object.values(Deno.errors).some((type) => error instanceof type)
    ) {
      return error instanceof Error ? error : new Error(String(error));
    }
    return this.#failure(endpoint, action, error, "channel_failed");
  }
}

/** Collects a command's output; closes the channel when `signal` aborts. */
function collectExec(
  stream: Channel,
  stdin: string | undefined,
  signal: AbortSignal,
): Promise<ExecResult> {
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
      const text = (chunks: Uint8Array[]) => decoder.decode(Buffer.concat(chunks));
      if (!hasExited && code === null) {
        // No exit status: the connection went away under the command (the caller maps this).
        return reject(new Error("the channel closed without an exit status"));
      }
      resolve({ stdout: text(out), stderr: text(err), code, signal: signalName });
    });
    stream.end(stdin ?? "");
  });
}

/** Opens a direct-tcpip channel from the jump host to the target, to carry the inner connection. */
function forward(jump: Client, host: string, port: number, label: string): Promise<Channel> {
  return new Promise((resolve, reject) => {
    jump.forwardOut("127.0.0.1", 0, host, port, (error, stream) => {
      if (!error) return resolve(stream);
      reject(
        new SshFailedError(
          `Cannot connect to ${label}: the jump host cannot reach it: ${error.message}`,
          {
            data: { reason: "connect_failed" },
            cause: error,
          },
        ),
      );
    });
  });
}

/** The -32002 error for a host key that is not known; `data.kind` names the case. */
function hostKeyError(endpoint: Endpoint, presented: PresentedKey): Error {
  const { info } = presented;
  const name = endpoint.keyPort === 22
    ? endpoint.keyHost
    : `[${endpoint.keyHost}]:${endpoint.keyPort}`;
  const base = {
    key_type: info.type,
    presented_fingerprint: info.fingerprint_sha256,
    known_hosts_name: name,
  };
  if (info.status === "mismatch") {
    const expected = info.expected ?? [];
    return new SshFailedError(
      `Cannot connect to ${endpoint.label}: host key changed: the server presents ${info.type} key ${info.fingerprint_sha256}, but known_hosts has ${
        expected.join(", ")
      } for "${name}"; this could be an attack, so the key is refused (if the change is expected, remove the old entry with "ssh-keygen -R ${name}")`,
      {
        data: {
          kind: "host_key_mismatch",
          ...base,
          expected_fingerprint: expected[0] ?? null,
          expected_fingerprints: expected,
        },
      },
    );
  }
  if (info.status === "revoked") {
    return new SshFailedError(
      `Cannot connect to ${endpoint.label}: host key revoked: the server presents ${info.fingerprint_sha256}, which known_hosts marks @revoked`,
      { data: { kind: "host_key_revoked", ...base } },
    );
  }
  return new SshFailedError(
    `Cannot connect to ${endpoint.label}: host key unknown: the server presents ${info.type} key ${info.fingerprint_sha256}, which is not in known_hosts for "${name}"; check the fingerprint and trust it explicitly`,
    { data: { kind: "host_key_unknown", ...base, fingerprint_sha256: info.fingerprint_sha256 } },
  );
}

/** The -32002 error for a failed connection attempt, with ssh2's error level turned into words. */
function connectError(endpoint: Endpoint, error: unknown): Error {
  if (error instanceof SshFailedError) return error;
  const level = errorLevel(error);
  const code = errorCode(error);
  let detail = errorMessage(error);
  let reason = "connect_failed";
  if (level === "client-authentication") {
    detail =
      `authentication failed for user "${endpoint.user}": the server accepted none of the offered keys`;
    reason = "auth_failed";
  } else if (code === "ECONNREFUSED") detail = "connection refused";
  else if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    detail = `host "${endpoint.host}" not found`;
  } else if (code === "EHOSTUNREACH" || code === "ENETUNREACH") detail = "host unreachable";
  else if (level === "client-timeout") {
    detail = `no answer within ${endpoint.readyTimeoutMs} ms (${detail})`;
    reason = "connect_timeout";
  }
  return new SshFailedError(`Cannot connect to ${endpoint.label}: ${detail}`, {
    data: { reason },
    cause: error,
  });
}

/** Appends a line to a known_hosts file, creating its folder (0700) and the file (0600). */
async function appendLine(file: string, line: string): Promise<void> {
  await Deno.mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const existing = await readOptional(file);
  const separator = existing === "" || existing.endsWith("\n") ? "" : "\n";
  await Deno.writeTextFile(file, `${separator}${line}\n`, {
    append: true,
    create: true,
    mode: 0o600,
  });
}
