/**
 * `SshPool`: one lazily opened, kept-alive ssh2 connection per cluster, with exec and SFTP
 * multiplexed over it. Host keys are checked against known_hosts, `~/.ssh/config` aliases are
 * honoured, and every call has a timeout and an AbortSignal.
 *
 * @module
 */
import { dirname } from "node:path";
import type { Logger } from "../log.ts";
import { ConflictError } from "../errors.ts";
import { collectExec, startDeadline } from "./_channels.ts";
import { ConnectionTable } from "./_connection_table.ts";
import { type PoolSettings, readOptional } from "./_endpoint.ts";
import { errorMessage, failureError, hostKeyError } from "./_errors.ts";
import { sftpDownload, sftpReaddir, sftpUpload, sftpWriteFile, withSftp } from "./_sftp.ts";
import type { Sftp } from "./_ssh2_types.ts";
import { loginCommand } from "../shell_quote.ts";

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

const DEFAULT_IDLE_MS = 300_000;
const DEFAULT_KEEPALIVE_MS = 15_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
const GLOBAL_KNOWN_HOSTS = ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"];

/** Times a refused exec channel is opened again (after 50, 100, 200 and 400 ms). */
const CHANNEL_RETRIES = 4;

/** A pool of SSH connections, one per target id. Use with `await using`. */
export class SshPool implements AsyncDisposable {
  #options: PoolSettings;
  #connections: ConnectionTable;

  /** Creates an empty pool; nothing connects until the first call. */
  constructor(options: PoolOptions) {
    this.#options = {
      idleMs: DEFAULT_IDLE_MS,
      keepaliveMs: DEFAULT_KEEPALIVE_MS,
      connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
      globalKnownHostsFiles: GLOBAL_KNOWN_HOSTS,
      ...options,
    };
    this.#connections = new ConnectionTable(this.#options);
  }

  /** Runs argv on the target via loginCommand (bash -l -c). Resolves with the exit code; rejects only on SSH failure (SshFailedError -32002 with a clear message), timeout (TimeoutError) or abort (CancelledError). */
  async exec(
    target: SshTarget,
    argv: readonly string[],
    options: CallOptions = {},
  ): Promise<ExecResult> {
    const command = loginCommand(argv);
    const action = `run "${argv[0] ?? ""}"`;
    return await this.#connections.call(
      target,
      { action, options, isRetryable: false },
      (connection, signal) =>
        new Promise<ExecResult>((resolve, reject) => {
          let attempt = 0;
          const open = () => {
            // No PTY: stdout and stderr stay apart and no terminal codes get in.
            connection.client.exec(command, (error, stream) => {
              if (error) {
                // The server refused the channel (MaxSessions reached while others close): the
                // command did not start, so opening it again is safe.
                if (
                  /Channel open failure/.test(error.message) && attempt < CHANNEL_RETRIES &&
                  !signal.aborted
                ) {
                  setTimeout(open, 50 * 2 ** attempt++);
                  return;
                }
                return reject(
                  failureError(connection.endpoint, { action, error, reason: "channel_failed" }),
                );
              }
              collectExec(stream, { stdin: options.stdin, signal }).then(resolve, reject);
            });
          };
          open();
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
    return this.#sftp(
      target,
      action,
      options,
      (sftp) => sftpUpload(sftp, { action, localPath, remotePath, onProgress: options.onProgress }),
    );
  }

  /** SFTP fastGet to a local temporary name then rename. */
  download(
    target: SshTarget,
    remotePath: string,
    localPath: string,
    options: TransferOptions = {},
  ): Promise<void> {
    const action = `download "${remotePath}" to "${localPath}"`;
    return this.#sftp(
      target,
      action,
      options,
      (sftp) => sftpDownload(sftp, { remotePath, localPath, onProgress: options.onProgress }),
    );
  }

  /** Writes text to a remote file (temp + rename). */
  writeFile(
    target: SshTarget,
    remotePath: string,
    text: string,
    options: CallOptions = {},
  ): Promise<void> {
    return this.#sftp(
      target,
      `write "${remotePath}"`,
      options,
      (sftp) => sftpWriteFile(sftp, { remotePath, text }),
    );
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
      (sftp) => sftpReaddir(sftp, remotePath),
    );
  }

  /** Connects (or reuses) and reports the host key without failing on unknown keys: for clusters.test. Measures latency of a trivial exec. Throws SshFailedError only when no host key was seen at all. */
  async probe(
    target: SshTarget,
    options: CallOptions = {},
  ): Promise<{ hostKey: HostKeyInfo; latencyMs: number | null; error?: string }> {
    const entry = this.#connections.entry(target);
    // A probe is an explicit retry: do not wait out the backoff of earlier failures.
    entry.retryAt = 0;
    const seen: { hostKey: HostKeyInfo | null } = { hostKey: null };
    try {
      return await this.#connections.call(
        target,
        { action: "probe", options, isRetryable: true },
        async (connection, signal) => {
          seen.hostKey = connection.hostKey.info;
          const started = performance.now();
          await new Promise<void>((resolve, reject) => {
            connection.client.exec("true", (error, stream) => {
              if (error) return reject(error);
              collectExec(stream, { stdin: undefined, signal }).then(() => resolve(), reject);
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
    const deadline = startDeadline(target.name, { action: "trust the host key", options });
    try {
      const { endpoint, presented } = await this.#connections.presentedKey(
        target,
        deadline.signal,
      );
      const { info } = presented;
      const file = endpoint.knownHostsFiles[0] ?? `${this.#options.home}/.ssh/known_hosts`;
      const { knownHostsLine } = await import("./known_hosts.ts");
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
        throw hostKeyError(endpoint, info);
      }
      if (info.status === "unknown") await appendLine(file, line);
      const entry = this.#connections.entry(target);
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
    this.#connections.forget(targetId);
  }

  /** True while the pool holds an open connection for the target (for tests/benchmarks). */
  isConnected(targetId: string): boolean {
    return this.#connections.isConnected(targetId);
  }

  /** The algorithms negotiated on the target's open connection, or null when there is none. */
  connectionInfo(targetId: string): ConnectionInfo | null {
    return this.#connections.connectionInfo(targetId);
  }

  /** Closes every connection and waits for calls in flight to settle. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#connections[Symbol.asyncDispose]();
  }

  #sftp<T>(
    target: SshTarget,
    action: string,
    options: CallOptions,
    fn: (sftp: Sftp) => Promise<T>,
  ): Promise<T> {
    // Each call gets its own SFTP channel, so aborting one ends only its session.
    return this.#connections.call(
      target,
      { action, options, isRetryable: true },
      (connection, signal) => withSftp(connection, { action, signal, run: fn }),
    );
  }
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
