/**
 * Opening one SSH connection: through the jump host if there is one, with the host key checked
 * against known_hosts and the user's keys or agent offered for authentication.
 *
 * @module
 */
import { SshFailedError } from "../errors.ts";
import { createSemaphore } from "./_channels.ts";
import {
  type Endpoint,
  jumpEndpoint,
  type PoolSettings,
  readOptional,
  readSshConfig,
  targetEndpoint,
} from "./_endpoint.ts";
import { connectError, errorMessage, hostKeyError } from "./_errors.ts";
import type { AuthMethod, Channel, Client, ClientConfig, Negotiated } from "./_ssh2_types.ts";
import {
  checkHostKeySync,
  fingerprintSha256,
  keyTypeOfBlob,
  knownKeyTypes,
} from "./known_hosts.ts";
import { loadPrivateKey } from "./keys.ts";
import { loadSsh2 } from "./_ssh2.ts";
import type { HostKeyInfo, SshTarget } from "./pool.ts";

/** sshd's MaxSessions defaults to 10 channels per connection; stay below it. */
const MAX_CHANNELS = 8;
/** Host key algorithms ssh2 can verify, by the key type a known_hosts line names. */
const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

/** A host key as the server presented it, with the known_hosts verdict. */
export interface PresentedKey {
  info: HostKeyInfo;
  type: string;
  blob: Uint8Array;
}

/** An authenticated connection to a target, with its channel semaphore. */
export interface Connection {
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

/** What connecting needs from the pool: its settings, and its way of closing a client. */
export interface ConnectContext {
  settings: PoolSettings;
  close: (connection: { client: Client; closed: Promise<void> }) => void;
}

/** An ssh2 Client with its lifecycle events as promises. */
async function newClient(): Promise<
  { client: Client; closed: Promise<void>; dropped: AbortController }
> {
  const client = new (await loadSsh2()).Client();
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

async function knownHostsText(context: ConnectContext, endpoint: Endpoint): Promise<string> {
  const files = [...endpoint.knownHostsFiles, ...context.settings.globalKnownHostsFiles];
  return (await Promise.all(files.map(readOptional))).join("\n");
}

/** Loads the key files and the agent into ssh2 auth methods; throws the first key error when nothing usable is left. */
async function authMethods(context: ConnectContext, endpoint: Endpoint): Promise<AuthMethod[]> {
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
      context.settings.log.debug("ssh key skipped", {
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
async function handshake(
  context: ConnectContext,
  endpoint: Endpoint,
  o: {
    mode: "connect" | "capture";
    sock: Channel | null;
    onHostKey?: (key: PresentedKey) => void;
  },
): Promise<Omit<Connection, "jump">> {
  const knownText = await knownHostsText(context, endpoint);
  const auth = o.mode === "connect" ? await authMethods(context, endpoint) : [];
  const { client, closed, dropped } = await newClient();
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
      context.close({ client, closed });
      if (presented !== null && presented.info.status !== "known") {
        reject(hostKeyError(endpoint, presented.info));
      } else reject(connectError(endpoint, error));
    };
    client.on("error", fail);
    client.once("close", () => fail(new Error("the server closed the connection")));
    client.once("ready", () => {
      isSettled = true;
      client.off("error", fail);
      if (presented === null) {
        context.close({ client, closed });
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

/** Opens a direct-tcpip channel from the jump host to the target, to carry the inner connection. */
function forward(jump: Client, endpoint: Endpoint): Promise<Channel> {
  const { host, port, label } = endpoint;
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

/** Connects to the target (through its jump host, if any); `adopt` takes the connection over only while `isWanted()`. */
export async function openConnection(
  context: ConnectContext,
  o: {
    target: SshTarget;
    onHostKey: (key: PresentedKey) => void;
    isWanted: () => boolean;
    adopt: (connection: Connection) => void;
  },
): Promise<Connection> {
  const lookup = { config: await readSshConfig(context.settings.home), settings: context.settings };
  const endpoint = targetEndpoint(o.target, lookup);
  const jumpHop = jumpEndpoint(o.target, lookup);
  const jump = jumpHop === null
    ? null
    : await handshake(context, jumpHop, { mode: "connect", sock: null });
  try {
    const sock = jump === null ? null : await forward(jump.client, endpoint);
    const connection = await handshake(context, endpoint, {
      mode: "connect",
      sock,
      onHostKey: o.onHostKey,
    });
    const full: Connection = { ...connection, jump: jump?.client ?? null };
    if (!o.isWanted()) {
      // The pool was closed, or the target forgotten, while this connection was being made.
      context.close(full);
      throw new SshFailedError(
        `Cannot connect to ${endpoint.label}: the pool closed or forgot the cluster while connecting`,
        { data: { reason: "connection_lost" } },
      );
    }
    // Ending the inner connection ends the jump host's too.
    if (jump) void connection.closed.then(() => context.close(jump));
    o.adopt(full);
    return full;
  } catch (error) {
    if (jump) context.close(jump);
    throw error;
  }
}

/** The host key the target presents now, checked against known_hosts (through its jump host, if any). */
export async function readPresentedKey(
  context: ConnectContext,
  o: { target: SshTarget; config: string | undefined; endpoint: Endpoint },
): Promise<PresentedKey> {
  const { endpoint } = o;
  const jumpHop = jumpEndpoint(o.target, { config: o.config, settings: context.settings });
  const jump = jumpHop === null
    ? null
    : await handshake(context, jumpHop, { mode: "connect", sock: null });
  const seen: { key: PresentedKey | null } = { key: null };
  try {
    const sock = jump === null ? null : await forward(jump.client, endpoint);
    // Capture mode always refuses the key after reading it, so the handshake ends in an error.
    await handshake(context, endpoint, {
      mode: "capture",
      sock,
      onHostKey: (key) => void (seen.key = key),
    })
      .then((connection) => context.close(connection), (error) => {
        if (seen.key === null) throw error;
      });
    if (seen.key === null) {
      throw connectError(endpoint, new Error("the server presented no host key"));
    }
    return seen.key;
  } finally {
    if (jump) context.close(jump);
  }
}
